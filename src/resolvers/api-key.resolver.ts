import { GraphQLError, type FieldNode, type GraphQLResolveInfo } from "graphql";
import { Arg, Args, Ctx, FieldResolver, Info, Int, Mutation, Resolver, Root } from "type-graphql";
import { Allowed } from "../auth/allowed.js";
import type { Services } from "../services/registry.js";
import type { RequestContext } from "../auth/request-context.js";
import { forbidden, tenantContext } from "../auth/graphql-edge.js";
import { ApiKey } from "../entities/api-key.js";
import { ActorType } from "../entities/enums.js";
import { Organization } from "../entities/organization.js";
import { USAGE_MAX_DAYS } from "../limits.js";
import { Actor } from "../schema/actor.js";
import {
  ActivateAPIKeyInput,
  APIKeyConnection,
  APIKeyDailyUsage,
  APIKeyFilterInput,
  APIKeyPayload,
  CreateSecretAPIKeyInput,
  DeactivateAPIKeyInput,
  DeleteAPIKeyInput,
  RevokeAPIKeyInput,
  RotateAPIKeyInput,
  UpdateAPIKeyInput,
} from "../schema/api-keys.js";
import { ConnectionArgs, toConnection } from "../schema/connection.js";
import { inputId } from "../schema/ids.js";
import { loadersFor } from "./loaders.js";
import { columnsFor, selectedNodeFields } from "./selected-columns.js";

type Payload = typeof APIKeyPayload;

@Resolver(() => ApiKey)
export class ApiKeyResolver {
  constructor(private readonly services: Services) {}

  private keyId(input: { apiKeyId: string }): string {
    return inputId("APIKey", input.apiKeyId, "apiKeyId");
  }

  @Allowed("keys:write")
  @Mutation(() => APIKeyPayload, { description: "Creates a secret key; the payload's `key` is the only time the secret is shown." })
  createSecretAPIKey(@Arg("input") input: CreateSecretAPIKeyInput, @Ctx() ctx: RequestContext): Promise<Payload> {
    return this.services.apiKeys.create(tenantContext(ctx), input.secretKey);
  }

  @Allowed("keys:write")
  @Mutation(() => APIKeyPayload)
  updateAPIKey(@Arg("input") input: UpdateAPIKeyInput, @Ctx() ctx: RequestContext): Promise<Payload> {
    const { apiKeyId: _, ...changes } = input;
    return this.services.apiKeys.update(tenantContext(ctx), this.keyId(input), changes);
  }

  @Allowed("keys:write")
  @Mutation(() => APIKeyPayload, { description: "Unblocks a deactivated key." })
  activateAPIKey(@Arg("input") input: ActivateAPIKeyInput, @Ctx() ctx: RequestContext): Promise<Payload> {
    return this.services.apiKeys.activate(tenantContext(ctx), this.keyId(input));
  }

  @Allowed("keys:write")
  @Mutation(() => APIKeyPayload, { description: "Blocks a key until it is activated again." })
  deactivateAPIKey(@Arg("input") input: DeactivateAPIKeyInput, @Ctx() ctx: RequestContext): Promise<Payload> {
    return this.services.apiKeys.deactivate(tenantContext(ctx), this.keyId(input));
  }

  @Allowed("keys:write")
  @Mutation(() => APIKeyPayload, {
    description: "Returns the new key (with `key`); the old one works until expireOldKeyInSeconds have passed.",
  })
  rotateAPIKey(@Arg("input") input: RotateAPIKeyInput, @Ctx() ctx: RequestContext): Promise<Payload> {
    return this.services.apiKeys.rotate(tenantContext(ctx), this.keyId(input), input.expireOldKeyInSeconds);
  }

  @Allowed("keys:write")
  @Mutation(() => APIKeyPayload, { description: "Irreversible." })
  revokeAPIKey(@Arg("input") input: RevokeAPIKeyInput, @Ctx() ctx: RequestContext): Promise<Payload> {
    return this.services.apiKeys.revoke(tenantContext(ctx), this.keyId(input));
  }

  @Allowed("keys:write")
  @Mutation(() => APIKeyPayload, { description: "Removes the key from lists and refuses it at once; the record stays for the audit log." })
  deleteAPIKey(@Arg("input") input: DeleteAPIKeyInput, @Ctx() ctx: RequestContext): Promise<Payload> {
    return this.services.apiKeys.delete(tenantContext(ctx), this.keyId(input));
  }

  @FieldResolver(() => Actor, { nullable: true, description: "null when Keyway created it (bootstrap, operator CLI)." })
  // Not async: a plain null keeps graphql-js on its synchronous path for the whole list.
  createdBy(@Root() key: ApiKey, @Ctx() ctx: RequestContext): Promise<typeof Actor | null> | null {
    if (!key.createdById) return null;
    // The creator is a user or another key: reading it takes what reading those takes.
    const needs = key.createdByType === ActorType.USER ? "users:read" : "keys:read";
    if (!tenantContext(ctx).permissions.has(needs)) throw forbidden(`Missing permission: ${needs}`, null);
    const loaders = loadersFor(ctx, this.services);
    return key.createdByType === ActorType.USER ? loaders.user.load(key.createdById) : loaders.apiKey.load(key.createdById);
  }

  @Allowed("keys:read")
  @FieldResolver(() => ApiKey, { nullable: true })
  rotatedFrom(@Root() key: ApiKey, @Ctx() ctx: RequestContext): Promise<ApiKey | null> | null {
    return key.rotatedFromId ? loadersFor(ctx, this.services).apiKey.load(key.rotatedFromId) : null;
  }

  @Allowed("keys:read")
  @FieldResolver(() => ApiKey, { nullable: true })
  rotatedTo(@Root() key: ApiKey, @Ctx() ctx: RequestContext): Promise<ApiKey | null> | null {
    return key.rotatedToId ? loadersFor(ctx, this.services).apiKey.load(key.rotatedToId) : null;
  }

  @Allowed("keys:read")
  @FieldResolver(() => [APIKeyDailyUsage], {
    description: `Requests per UTC day over the last \`days\` days (1–${USAGE_MAX_DAYS}, today included), oldest first, zero days included; they add up to usageCount (which may lag a second).`,
  })
  usage(
    @Root() key: ApiKey,
    @Arg("days", () => Int, { defaultValue: 30, nullable: true }) days: number | null,
    @Ctx() ctx: RequestContext,
  ): Promise<APIKeyDailyUsage[]> {
    const span = days ?? 30;
    if (span < 1 || span > USAGE_MAX_DAYS) {
      throw new GraphQLError(`days must be between 1 and ${USAGE_MAX_DAYS}`, { extensions: { code: "BAD_USER_INPUT" } });
    }
    return loadersFor(ctx, this.services).apiKeyUsage.load({ keyId: key.id, days: span });
  }
}

/**
 * What an APIKey field reads beyond a column of its own name (getters and field resolvers above).
 * A field that is neither makes the list read every column, so a field added without an entry here
 * costs speed, never correctness; test/list-columns.test.ts compares every field read alone in a list
 * with the same key read whole by node(id).
 */
const API_KEY_FIELD_READS: Readonly<Record<string, readonly (keyof ApiKey)[]>> = {
  __typename: [],
  key: [],
  usage: [],
  status: ["state", "expiresAt"],
  permissions: ["role", "grantedPermissions"],
  rateLimit: ["rateLimitLimit", "rateLimitWindowSeconds"],
  redactedKey: ["prefix", "last4"],
  createdBy: ["createdByType", "createdById"],
  rotatedFrom: ["rotatedFromId"],
  rotatedTo: ["rotatedToId"],
};
/** The row's identity, tenant and place in the order: every list reads them. */
const API_KEY_ALWAYS: readonly (keyof ApiKey)[] = ["id", "organizationId", "environment", "createdAt"];

@Resolver(() => Organization)
export class OrganizationApiKeysResolver {
  /** Per field node of a query document (Apollo reuses the parsed document of a query it has seen). */
  private readonly columnsByNode = new WeakMap<FieldNode, Array<keyof ApiKey> | null>();

  constructor(private readonly services: Services) {}

  @Allowed("keys:read")
  @FieldResolver(() => APIKeyConnection, { description: "Newest first." })
  apiKeys(
    @Args() page: ConnectionArgs,
    @Arg("filterBy", () => APIKeyFilterInput, { nullable: true }) filterBy: APIKeyFilterInput | null,
    @Ctx() ctx: RequestContext,
    @Info() info: GraphQLResolveInfo,
  ) {
    return toConnection(this.services.apiKeys.list(tenantContext(ctx), page, filterBy, this.columns(info)));
  }

  /**
   * The columns the page must read for the fields selected on its keys (seam: a 20-key page of 10 fields read
   * 12 columns instead of 27; each row's parsing and hydration is per column).
   */
  private columns(info: GraphQLResolveInfo): Array<keyof ApiKey> | null {
    const node = info.fieldNodes.length === 1 ? info.fieldNodes[0] : null;
    const kept = node ? this.columnsByNode.get(node) : undefined;
    if (kept !== undefined) return kept;
    const metadata = this.services.dataSource.getMetadata(ApiKey);
    const columns = columnsFor(metadata, selectedNodeFields(info), API_KEY_FIELD_READS, API_KEY_ALWAYS) as Array<keyof ApiKey> | null;
    if (node) this.columnsByNode.set(node, columns);
    return columns;
  }
}
