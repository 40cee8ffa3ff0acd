import { getMetadataStorage } from "type-graphql";
import type { Services } from "../app.js";
import { tenantContext, type RequestContext } from "../auth/request-context.js";
import type { NodeTypeName } from "../schema/ids.js";
import { forbidden } from "../auth/request-context.js";
import type { Permission } from "../auth/permissions.js";

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
  WebhookNotificationTarget: (services, ctx, uuid) => services.notificationTargets.findById(tenantContext(ctx), uuid),
  NotificationEvent: (services, ctx, uuid) => services.notificationEvents.findById(tenantContext(ctx), uuid),
  DeliveryAttempt: (services, ctx, uuid) => services.notificationTargets.findAttempt(tenantContext(ctx), uuid),
};

/**
 * The Organization field that lists each type: node(id) asks for exactly the permissions
 * that field declares (@Allowed), so the two cannot drift apart. null (the organization
 * itself) needs none, as `organizations` does not. A type with a loader but no entry here
 * is refused: a new type must say how it is guarded.
 */
export const NODE_LISTED_BY: Partial<Record<NodeTypeName, string | null>> = {
  Organization: null,
  // Users are listed through their memberships.
  User: "users",
  APIKey: "apiKeys",
  UserMembership: "users",
  UserInvitation: "invitations",
  AuditLogEntry: "auditLog",
  CollaborativeAuthorizationEndpoint: "collaborativeAuthorizationEndpoints",
  CollaborativeAuthorizationRequest: "collaborativeAuthorizationRequests",
  WebhookNotificationTarget: "webhookNotificationTargets",
  NotificationEvent: "notificationEvents",
  // Attempts are listed under their targets (and events, whose readers hold targets:read too).
  DeliveryAttempt: "webhookNotificationTargets",
};

let declared: Map<string, Permission[]> | null = null;

/** What an Organization field declares, read once from type-graphql's metadata (complete once the schema is built). */
function declaredBy(field: string): Permission[] {
  if (!declared) {
    const organization = getMetadataStorage().objectTypes.find((type) => type.name === "Organization");
    declared = new Map((organization?.fields ?? []).map((f) => [f.schemaName, (f.roles ?? []) as Permission[]]));
  }
  const permissions = declared.get(field);
  if (!permissions) throw new Error(`NODE_LISTED_BY names "${field}", which is not a field of Organization`);
  return permissions;
}

/** A node of `type` by UUID; a field error FORBIDDEN when the caller lacks what the type's list field needs. */
export function loadNode(type: NodeTypeName, services: Services, ctx: RequestContext, uuid: string): Promise<object | null> | null {
  const load = NODE_LOADERS[type];
  if (!load) return null;
  const listedBy = NODE_LISTED_BY[type];
  if (listedBy === undefined) throw forbidden(`node(id) declares no permission for ${type}`, null);
  if (listedBy !== null) {
    const { permissions } = tenantContext(ctx);
    const missing = declaredBy(listedBy).filter((permission) => !permissions.has(permission));
    if (missing.length) throw forbidden(`Missing permission: ${missing.join(", ")}`, null);
  }
  return load(services, ctx, uuid);
}
