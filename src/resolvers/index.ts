import { ApiKeyResolver, OrganizationApiKeysResolver } from "./api-key.resolver.js";
import { OrganizationAuditLogResolver } from "./audit-log.resolver.js";
import {
  CollaborativeAuthorizationEndpointResolver,
  CollaborativeAuthorizationRequestResolver,
  OrganizationCollaborativeAuthorizationResolver,
} from "./collaborative-authorization.resolver.js";
import { NotificationEventRecoveryResolver, RecoverableEventCountResolver } from "./event-recovery.resolver.js";
import { NotificationEventResolver, OrganizationNotificationEventsResolver } from "./notification-event.resolver.js";
import {
  DeliveryAttemptResolver,
  NotificationTargetResolver,
  OrganizationNotificationTargetsResolver,
  WebhookNotificationTargetEventResolver,
} from "./notification-target.resolver.js";
import { OrganizationSharedSecretResolver, SharedSecretResolver } from "./shared-secret.resolver.js";
import { SystemResolver, ViewerResolver } from "./system.resolver.js";
import { TwoFactorResolver } from "./two-factor.resolver.js";
import { OrganizationUsersResolver, UserResolver } from "./user.resolver.js";

/** Every resolver class; each capability adds its own, one per line. */
export const RESOLVERS = [
  SystemResolver,
  ViewerResolver,
  ApiKeyResolver,
  OrganizationApiKeysResolver,
  UserResolver,
  OrganizationUsersResolver,
  TwoFactorResolver,
  SharedSecretResolver,
  OrganizationSharedSecretResolver,
  OrganizationAuditLogResolver,
  CollaborativeAuthorizationEndpointResolver,
  CollaborativeAuthorizationRequestResolver,
  OrganizationCollaborativeAuthorizationResolver,
  NotificationTargetResolver,
  WebhookNotificationTargetEventResolver,
  DeliveryAttemptResolver,
  OrganizationNotificationTargetsResolver,
  NotificationEventResolver,
  OrganizationNotificationEventsResolver,
  NotificationEventRecoveryResolver,
  RecoverableEventCountResolver,
] as const;
