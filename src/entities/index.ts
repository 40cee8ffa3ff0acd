import { ApiKey } from "./api-key.js";
import { ApiKeyDailyUsage } from "./api-key-daily-usage.js";
import { AuditLogEntry } from "./audit-log-entry.js";
import { CollaborativeAuthorizationEndpoint } from "./collaborative-authorization-endpoint.js";
import { CollaborativeAuthorizationRequest } from "./collaborative-authorization-request.js";
import { DeliveryAttempt } from "./delivery-attempt.js";
import { Membership } from "./membership.js";
import { NotificationDelivery } from "./notification-delivery.js";
import { NotificationTarget } from "./notification-target.js";
import { NotificationTargetStatusChange } from "./notification-target-status-change.js";
import { NotificationEvent } from "./notification-event.js";
import { NotificationEventRecovery } from "./notification-event-recovery.js";
import { Organization } from "./organization.js";
import { UserSession } from "./user-session.js";
import { SharedSecret } from "./shared-secret.js";
import { SigningKey } from "./signing-key.js";
import { User } from "./user.js";
import { UserInvitation } from "./user-invitation.js";

/** Every entity, listed as classes so the same data source works from sources (jest) and dist. */
export const ENTITIES = [
  Organization,
  User,
  Membership,
  ApiKey,
  AuditLogEntry,
  NotificationEvent,
  SigningKey,
  UserSession,
  UserInvitation,
  SharedSecret,
  CollaborativeAuthorizationEndpoint,
  CollaborativeAuthorizationRequest,
  NotificationTarget,
  NotificationTargetStatusChange,
  NotificationDelivery,
  DeliveryAttempt,
  ApiKeyDailyUsage,
  NotificationEventRecovery,
];
