import { Arg, Ctx, FieldResolver, ID, Query, Resolver } from "type-graphql";
import { Authenticated } from "../auth/allowed.js";
import type { Services } from "../services/registry.js";
import type { RequestContext } from "../auth/request-context.js";
import { tenantContext } from "../auth/graphql-edge.js";
import { ActorType } from "../entities/enums.js";
import { Organization } from "../entities/organization.js";
import { parseId } from "../db/ids.js";
import { Actor } from "../schema/actor.js";
import { Node } from "../entities/node.js";
import { Viewer } from "../schema/viewer.js";
import { loadersFor } from "./loaders.js";
import { loadNode } from "./node-registry.js";

/** A cached API key hands every request the same permission set: its sorted list is made once, not per `viewer`. */
const sortedLists = new WeakMap<ReadonlySet<string>, readonly string[]>();
function sortedPermissions(permissions: ReadonlySet<string>): string[] {
  let sorted = sortedLists.get(permissions);
  if (!sorted) sortedLists.set(permissions, (sorted = Object.freeze([...permissions].sort())));
  return sorted as string[];
}

@Resolver()
export class SystemResolver {
  constructor(private readonly services: Services) {}

  @Query(() => String, { description: 'Always "pong"; needs no credentials.' })
  ping(): string {
    return "pong";
  }

  @Authenticated()
  @Query(() => Viewer)
  viewer(@Ctx() ctx: RequestContext): Viewer {
    const { environment, actor, permissions } = tenantContext(ctx);
    return Object.assign(new Viewer(), {
      environment,
      role: actor.role ?? "SYSTEM",
      permissions: sortedPermissions(permissions),
    });
  }

  @Authenticated()
  @Query(() => Node, { nullable: true, description: "Any object of the caller's organization and environment by id; null otherwise." })
  async node(@Arg("id", () => ID) id: string, @Ctx() ctx: RequestContext): Promise<object | null> {
    const parsed = parseId(id);
    return parsed ? loadNode(parsed.type, this.services, ctx, parsed.uuid) : null;
  }

  @Authenticated()
  @Query(() => [Organization], { description: "The caller's organization (a list, as in Highnote)." })
  async organizations(@Ctx() ctx: RequestContext): Promise<Organization[]> {
    const organization = await this.services.organizations.findForDisplay(ctx, tenantContext(ctx).organizationId);
    return organization ? [organization] : [];
  }
}

/** The viewer's actor and organization are loaded only when asked for: `{ viewer { environment } }` costs no query. */
@Resolver(() => Viewer)
export class ViewerResolver {
  constructor(private readonly services: Services) {}

  @FieldResolver(() => Actor, { description: "The user of a session, or the API key." })
  actor(@Ctx() ctx: RequestContext): Promise<typeof Actor | null> | null {
    const { actor } = tenantContext(ctx);
    const loaders = loadersFor(ctx, this.services);
    if (actor.type === ActorType.USER) return loaders.user.load(actor.id);
    if (actor.type === ActorType.API_KEY) return loaders.apiKey.load(actor.id);
    return null;
  }

  @FieldResolver(() => Organization)
  async organization(@Ctx() ctx: RequestContext): Promise<Organization> {
    return (await this.services.organizations.findForDisplay(ctx, tenantContext(ctx).organizationId))!;
  }
}
