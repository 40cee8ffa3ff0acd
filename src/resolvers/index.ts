import { ApiKeyResolver, OrganizationApiKeysResolver } from "./api-key.resolver.js";
import { SystemResolver } from "./system.resolver.js";
import { NotificationEventResolver, OrganizationNotificationEventsResolver } from "./notification-event.resolver.js";
import {
  DeliveryAttemptResolver,
  NotificationTargetResolver,
  OrganizationNotificationTargetsResolver,
  WebhookNotificationTargetEventResolver,
} from "./notification-target.resolver.js";

/** Every resolver class; each capability adds its own. */
export const RESOLVERS = [SystemResolver, ApiKeyResolver, OrganizationApiKeysResolver,
  NotificationTargetResolver, WebhookNotificationTargetEventResolver, DeliveryAttemptResolver, OrganizationNotificationTargetsResolver,
  NotificationEventResolver, OrganizationNotificationEventsResolver] as const;
