import type { Services } from "../app.js";
import { tenantContext, type RequestContext } from "../auth/request-context.js";
import type { NodeTypeName } from "../schema/ids.js";
import { forbidden } from "../auth/request-context.js";
import type { Permission } from "../auth/permissions.js";

/** node(id) asks for the permission the type's list field asks for. */
function requirePermission(ctx: RequestContext, permission: Permission): void {
  if (!tenantContext(ctx).permissions.has(permission)) throw forbidden(`Missing permission: ${permission}`, null);
}

/**
 * How `node(id:)` finds each type, always within the caller's organization and
 * environment. Each capability adds its types here.
 */
type NodeLoader = (services: Services, ctx: RequestContext, uuid: string) => Promise<object | null>;

export const NODE_LOADERS: Partial<Record<NodeTypeName, NodeLoader>> = {
  Organization: async (services, ctx, uuid) =>
    uuid === tenantContext(ctx).organizationId ? services.organizations.findForDisplay(uuid) : null,
  User: (services, ctx, uuid) => services.users.findById(tenantContext(ctx), uuid),
  APIKey: (services, ctx, uuid) => services.apiKeys.findById(tenantContext(ctx), uuid),
  UserMembership: (services, ctx, uuid) => services.users.findMembership(tenantContext(ctx), uuid),
  UserInvitation: (services, ctx, uuid) => services.users.findInvitation(tenantContext(ctx), uuid),
  AuditLogEntry: (services, ctx, uuid) => services.auditLog.findById(tenantContext(ctx), uuid),
  CollaborativeAuthorizationEndpoint: (services, ctx, uuid) => services.collaborativeAuthorization.findEndpoint(tenantContext(ctx), uuid),
  CollaborativeAuthorizationRequest: (services, ctx, uuid) => services.collaborativeAuthorization.findRequest(tenantContext(ctx), uuid),
  WebhookNotificationTarget: (services, ctx, uuid) => {
    requirePermission(ctx, "targets:read");
    return services.notificationTargets.findById(tenantContext(ctx), uuid);
  },
  // Listed under targets (and events, whose readers hold targets:read too).
  DeliveryAttempt: (services, ctx, uuid) => {
    requirePermission(ctx, "targets:read");
    return services.notificationTargets.findAttempt(tenantContext(ctx), uuid);
  },
  NotificationEvent: (services, ctx, uuid) => {
    requirePermission(ctx, "events:read");
    return services.notificationEvents.findById(tenantContext(ctx), uuid);
  },
};
