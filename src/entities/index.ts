import { ApiKey } from "./api-key.js";
import { AuditLogEntry } from "./audit-log-entry.js";
import { CollaborativeAuthorizationEndpoint } from "./collaborative-authorization-endpoint.js";
import { CollaborativeAuthorizationRequest } from "./collaborative-authorization-request.js";
import { Membership } from "./membership.js";
import { NotificationEvent } from "./notification-event.js";
import { Organization } from "./organization.js";
import { SigningKey } from "./signing-key.js";
import { User } from "./user.js";

/** Every entity, listed as classes so the same data source works from sources (jest) and dist. */
export const ENTITIES = [Organization, User, Membership, ApiKey, AuditLogEntry, NotificationEvent, SigningKey, CollaborativeAuthorizationEndpoint, CollaborativeAuthorizationRequest];
