import { Arg, Args, Ctx, FieldResolver, Mutation, Resolver, Root } from "type-graphql";
import { Allowed } from "../auth/allowed.js";
import type { Services } from "../services/registry.js";
import type { RequestContext } from "../auth/request-context.js";
import { tenantContext } from "../auth/graphql-edge.js";
import { CollaborativeAuthorizationEndpoint } from "../entities/collaborative-authorization-endpoint.js";
import { CollaborativeAuthorizationRequest } from "../entities/collaborative-authorization-request.js";
import { Organization } from "../entities/organization.js";
import { SigningKey } from "../entities/signing-key.js";
import {
  ActivateCollaborativeAuthorizationEndpointInput,
  AddCollaborativeAuthorizationEndpointInput,
  CollaborativeAuthorizationEndpointConnection,
  CollaborativeAuthorizationEndpointPayload,
  CollaborativeAuthorizationRequestConnection,
  CollaborativeAuthorizationRequestPayload,
  DeactivateCollaborativeAuthorizationEndpointInput,
  RemoveCollaborativeAuthorizationEndpointInput,
  RenameCollaborativeAuthorizationEndpointInput,
  SimulateCollaborativeAuthorizationInput,
} from "../schema/collaborative-authorization.js";
import { ConnectionArgs, toConnection } from "../schema/connection.js";
import { inputId } from "../schema/ids.js";
import { loadersFor } from "./loaders.js";

type EndpointPayload = typeof CollaborativeAuthorizationEndpointPayload;
type RequestPayload = typeof CollaborativeAuthorizationRequestPayload;

@Resolver(() => CollaborativeAuthorizationEndpoint)
export class CollaborativeAuthorizationEndpointResolver {
  constructor(private readonly services: Services) {}

  private endpointId(input: { endpointId: string }): string {
    return inputId("CollaborativeAuthorizationEndpoint", input.endpointId, "endpointId");
  }

  @Allowed("collab:write")
  @Mutation(() => CollaborativeAuthorizationEndpointPayload, {
    description: "Adds an endpoint as PENDING_VERIFICATION with a new signing key; activate it to receive decision requests.",
  })
  addCollaborativeAuthorizationEndpoint(
    @Arg("input") input: AddCollaborativeAuthorizationEndpointInput,
    @Ctx() ctx: RequestContext,
  ): Promise<EndpointPayload> {
    return this.services.collaborativeAuthorization.add(tenantContext(ctx), input);
  }

  @Allowed("collab:write")
  @Mutation(() => CollaborativeAuthorizationEndpointPayload, {
    description:
      "Sends a signed verification request; a 2xx within the budget makes the endpoint ACTIVE and, in the same transaction, " +
      "deactivates the previously active one. Otherwise it becomes ACTIVATION_FAILED and nothing else changes.",
  })
  activateCollaborativeAuthorizationEndpoint(
    @Arg("input") input: ActivateCollaborativeAuthorizationEndpointInput,
    @Ctx() ctx: RequestContext,
  ): Promise<EndpointPayload> {
    return this.services.collaborativeAuthorization.activate(tenantContext(ctx), this.endpointId(input));
  }

  @Allowed("collab:write")
  @Mutation(() => CollaborativeAuthorizationEndpointPayload, {
    description: "With no ACTIVE endpoint, every authorization is DECLINED (standInReason NO_ACTIVE_ENDPOINT).",
  })
  deactivateCollaborativeAuthorizationEndpoint(
    @Arg("input") input: DeactivateCollaborativeAuthorizationEndpointInput,
    @Ctx() ctx: RequestContext,
  ): Promise<EndpointPayload> {
    return this.services.collaborativeAuthorization.deactivate(tenantContext(ctx), this.endpointId(input));
  }

  @Allowed("collab:write")
  @Mutation(() => CollaborativeAuthorizationEndpointPayload)
  renameCollaborativeAuthorizationEndpoint(
    @Arg("input") input: RenameCollaborativeAuthorizationEndpointInput,
    @Ctx() ctx: RequestContext,
  ): Promise<EndpointPayload> {
    return this.services.collaborativeAuthorization.rename(tenantContext(ctx), this.endpointId(input), input.name);
  }

  @Allowed("collab:write")
  @Mutation(() => CollaborativeAuthorizationEndpointPayload, {
    description: "The ACTIVE endpoint cannot be removed (INVALID_STATE): deactivate it or activate another one first.",
  })
  removeCollaborativeAuthorizationEndpoint(
    @Arg("input") input: RemoveCollaborativeAuthorizationEndpointInput,
    @Ctx() ctx: RequestContext,
  ): Promise<EndpointPayload> {
    return this.services.collaborativeAuthorization.remove(tenantContext(ctx), this.endpointId(input));
  }

  /** Secrets that let their holder sign decision requests: only for those who may change endpoints. */
  @Allowed("collab:write")
  @FieldResolver(() => [SigningKey], {
    nullable: true,
    description: "Unexpired signing keys, newest first. Needs collab:write (null with a FORBIDDEN error otherwise).",
  })
  signingKeys(@Root() endpoint: CollaborativeAuthorizationEndpoint, @Ctx() ctx: RequestContext): Promise<SigningKey[]> {
    return loadersFor(ctx, this.services).signingKeys.load(endpoint.id);
  }
}

@Resolver(() => CollaborativeAuthorizationRequest)
export class CollaborativeAuthorizationRequestResolver {
  constructor(private readonly services: Services) {}

  @Allowed("collab:simulate")
  @Mutation(() => CollaborativeAuthorizationRequestPayload, {
    description: "TEST only: asks the ACTIVE endpoint (or applies the stand-in) exactly as a real authorization would, and records it.",
  })
  simulateCollaborativeAuthorization(
    @Arg("input") input: SimulateCollaborativeAuthorizationInput,
    @Ctx() ctx: RequestContext,
  ): Promise<RequestPayload> {
    return this.services.collaborativeAuthorization.simulate(tenantContext(ctx), input);
  }

  // simulateCollaborativeAuthorization's payload reaches it with collab:simulate alone.
  @Allowed("collab:read")
  @FieldResolver(() => CollaborativeAuthorizationEndpoint, { nullable: true, description: "null when no endpoint was active." })
  endpoint(
    @Root() request: CollaborativeAuthorizationRequest,
    @Ctx() ctx: RequestContext,
  ): Promise<CollaborativeAuthorizationEndpoint | null> | null {
    return request.endpointId ? loadersFor(ctx, this.services).collaborativeAuthorizationEndpoint.load(request.endpointId) : null;
  }
}

@Resolver(() => Organization)
export class OrganizationCollaborativeAuthorizationResolver {
  constructor(private readonly services: Services) {}

  @Allowed("collab:read")
  @FieldResolver(() => CollaborativeAuthorizationEndpointConnection, { description: "Newest first; removed endpoints are not listed." })
  collaborativeAuthorizationEndpoints(@Args() page: ConnectionArgs, @Ctx() ctx: RequestContext) {
    return toConnection(this.services.collaborativeAuthorization.listEndpoints(tenantContext(ctx), page));
  }

  @Allowed("collab:read")
  @FieldResolver(() => CollaborativeAuthorizationRequestConnection, { description: "Newest first." })
  collaborativeAuthorizationRequests(@Args() page: ConnectionArgs, @Ctx() ctx: RequestContext) {
    return toConnection(this.services.collaborativeAuthorization.listRequests(tenantContext(ctx), page));
  }
}
