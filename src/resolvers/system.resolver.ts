import { Arg, Authorized, Ctx, ID, Query, Resolver } from "type-graphql";
import type { Services } from "../app.js";
import { tenantContext, type RequestContext } from "../auth/request-context.js";
import { ActorType } from "../entities/enums.js";
import { Organization } from "../entities/organization.js";
import { parseId } from "../schema/ids.js";
import { Node } from "../schema/node.js";
import { Viewer } from "../schema/viewer.js";
import { loadersFor } from "./loaders.js";
import { NODE_LOADERS } from "./node-registry.js";

@Resolver()
export class SystemResolver {
  constructor(private readonly services: Services) {}

  @Query(() => String, { description: "Always \"pong\"; needs no credentials." })
  ping(): string {
    return "pong";
  }

  @Authorized()
  @Query(() => Viewer)
  async viewer(@Ctx() ctx: RequestContext): Promise<Viewer> {
    const tenant = tenantContext(ctx);
    const loaders = loadersFor(ctx, this.services);
    const { actor } = tenant;
    const actorObject =
      actor.type === ActorType.USER
        ? await loaders.user.load(actor.id)
        : actor.type === ActorType.API_KEY
          ? await loaders.apiKey.load(actor.id)
          : null;
    return Object.assign(new Viewer(), {
      actor: actorObject,
      environment: tenant.environment,
      organization: await this.services.organizations.findById(tenant.organizationId),
      role: actor.role ?? "SYSTEM",
      permissions: [...tenant.permissions].sort(),
    });
  }

  @Authorized()
  @Query(() => Node, { nullable: true, description: "Any object of the caller's organization and environment by id; null otherwise." })
  async node(@Arg("id", () => ID) id: string, @Ctx() ctx: RequestContext): Promise<object | null> {
    const parsed = parseId(id);
    const load = parsed && NODE_LOADERS[parsed.type];
    return load ? load(this.services, ctx, parsed.uuid) : null;
  }

  @Authorized()
  @Query(() => [Organization], { description: "The caller's organization (a list, as in Highnote)." })
  async organizations(@Ctx() ctx: RequestContext): Promise<Organization[]> {
    const organization = await this.services.organizations.findById(tenantContext(ctx).organizationId);
    return organization ? [organization] : [];
  }
}
