import type { Services } from "../app.js";
import { tenantContext, type RequestContext } from "../auth/request-context.js";
import type { NodeTypeName } from "../schema/ids.js";

/**
 * How `node(id:)` finds each type, always within the caller's organization and
 * environment. Each capability adds its types here.
 */
type NodeLoader = (services: Services, ctx: RequestContext, uuid: string) => Promise<object | null>;

export const NODE_LOADERS: Partial<Record<NodeTypeName, NodeLoader>> = {
  Organization: async (services, ctx, uuid) =>
    uuid === tenantContext(ctx).organizationId ? services.organizations.findById(uuid) : null,
  User: (services, ctx, uuid) => services.users.findById(tenantContext(ctx), uuid),
  APIKey: (services, ctx, uuid) => services.apiKeys.findById(tenantContext(ctx), uuid),
  UserMembership: (services, ctx, uuid) => services.users.findMembership(tenantContext(ctx), uuid),
  UserInvitation: (services, ctx, uuid) => services.users.findInvitation(tenantContext(ctx), uuid),
  AuditLogEntry: (services, ctx, uuid) => services.auditLog.findById(tenantContext(ctx), uuid),
  CollaborativeAuthorizationEndpoint: (services, ctx, uuid) => services.collaborativeAuthorization.findEndpoint(tenantContext(ctx), uuid),
  CollaborativeAuthorizationRequest: (services, ctx, uuid) => services.collaborativeAuthorization.findRequest(tenantContext(ctx), uuid),
};
