import { ApiKey } from "./api-key.js";
import { AuditLogEntry } from "./audit-log-entry.js";
import { Membership } from "./membership.js";
import { NotificationEvent } from "./notification-event.js";
import { Organization } from "./organization.js";
import { SigningKey } from "./signing-key.js";
import { User } from "./user.js";
import { NotificationTarget } from "./notification-target.js";
import { NotificationTargetStatusChange } from "./notification-target-status-change.js";
import { NotificationDelivery } from "./notification-delivery.js";
import { DeliveryAttempt } from "./delivery-attempt.js";

/** Every entity, listed as classes so the same data source works from sources (jest) and dist. */
export const ENTITIES = [Organization, User, Membership, ApiKey, AuditLogEntry, NotificationEvent, SigningKey,
  NotificationTarget, NotificationTargetStatusChange, NotificationDelivery, DeliveryAttempt];
