import { Ctx, FieldResolver, Mutation, Resolver } from "type-graphql";
import { Allowed } from "../auth/allowed.js";
import type { Services } from "../services/registry.js";
import type { RequestContext } from "../auth/request-context.js";
import { tenantContext } from "../auth/graphql-edge.js";
import { Organization } from "../entities/organization.js";
import { SharedSecret } from "../entities/shared-secret.js";
import { SharedSecretPayload } from "../schema/users.js";

@Resolver()
export class SharedSecretResolver {
  constructor(private readonly services: Services) {}

  @Allowed("secret:write")
  @Mutation(() => SharedSecretPayload, {
    description: "A new shared secret; JWTs signed with the previous one are accepted for 24 more hours.",
  })
  rotateSharedSecret(@Ctx() ctx: RequestContext): Promise<typeof SharedSecretPayload> {
    return this.services.sharedSecrets.rotate(tenantContext(ctx));
  }
}

@Resolver(() => Organization)
export class OrganizationSharedSecretResolver {
  constructor(private readonly services: Services) {}

  @Allowed("secret:read")
  @FieldResolver(() => SharedSecret, {
    nullable: true,
    description: "The environment's API shared secret, created on first read. Sign HS256 JWTs with it (sub = an API key id, exp ≤ 1 h).",
  })
  sharedSecret(@Ctx() ctx: RequestContext): Promise<SharedSecret> {
    return this.services.sharedSecrets.current(tenantContext(ctx));
  }
}
