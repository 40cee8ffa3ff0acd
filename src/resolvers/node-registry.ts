import { getMetadataStorage } from "type-graphql";
import type { Services } from "../services/registry.js";
import type { RequestContext } from "../auth/request-context.js";
import { tenantContext } from "../auth/graphql-edge.js";
import type { NodeTypeName } from "../db/ids.js";
import { forbidden } from "../auth/graphql-edge.js";
import type { Permission } from "../auth/permissions.js";
import type { OrganizationApiKeysResolver } from "./api-key.resolver.js";
import type { OrganizationAuditLogResolver } from "./audit-log.resolver.js";
import type { OrganizationCollaborativeAuthorizationResolver } from "./collaborative-authorization.resolver.js";
import type { OrganizationNotificationEventsResolver } from "./notification-event.resolver.js";
import type { OrganizationNotificationTargetsResolver } from "./notification-target.resolver.js";
import type { OrganizationUsersResolver } from "./user.resolver.js";

/**
 * How `node(id:)` finds each type, always within the caller's organization and
 * environment. Each capability adds its types here.
 */
type NodeLoader = (services: Services, ctx: RequestContext, uuid: string) => Promise<object | null>;

export const NODE_LOADERS = {
  Organization: async (services, ctx, uuid) =>
    uuid === tenantContext(ctx).organizationId ? services.organizations.findForDisplay(ctx, uuid) : null,
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
} satisfies Partial<Record<NodeTypeName, NodeLoader>>;

/** The types node(id) answers. */
export type LoadedNodeType = keyof typeof NODE_LOADERS;

/** The Organization fields that list objects: the field resolvers on Organization, so a misspelt name does not compile. */
type OrganizationListField =
  | keyof OrganizationApiKeysResolver
  | keyof OrganizationAuditLogResolver
  | keyof OrganizationCollaborativeAuthorizationResolver
  | keyof OrganizationNotificationEventsResolver
  | keyof OrganizationNotificationTargetsResolver
  | keyof OrganizationUsersResolver;

/**
 * The Organization field that lists each type: node(id) asks for exactly the permissions
 * that field declares (@Allowed), so the two cannot drift apart. null (the organization
 * itself) needs none, as `organizations` does not. Every type with a loader must have an
 * entry (it does not compile otherwise): a new type must say how it is guarded.
 */
export const NODE_LISTED_BY: Record<LoadedNodeType, OrganizationListField | null> = {
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
function declaredBy(field: OrganizationListField): Permission[] {
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
  if (!isLoaded(type)) return null;
  const listedBy = NODE_LISTED_BY[type];
  if (listedBy !== null) {
    const { permissions } = tenantContext(ctx);
    const missing = declaredBy(listedBy).filter((permission) => !permissions.has(permission));
    if (missing.length) throw forbidden(`Missing permission: ${missing.join(", ")}`, null);
  }
  const load: NodeLoader = NODE_LOADERS[type];
  return load(services, ctx, uuid);
}

function isLoaded(type: NodeTypeName): type is LoadedNodeType {
  return Object.hasOwn(NODE_LOADERS, type);
}
