import { registerEnumType } from "type-graphql";

export enum Environment {
  TEST = "TEST",
  LIVE = "LIVE",
}
registerEnumType(Environment, { name: "Environment", description: "Every object lives in one environment." });

export enum Plan {
  FREE = "FREE",
  PAID = "PAID",
}
registerEnumType(Plan, { name: "Plan", description: "FREE organizations cannot create credentials or targets in LIVE." });

export enum APIKeyRole {
  ADMIN = "ADMIN",
  READONLY = "READONLY",
  /** Holds exactly the permissions listed on the key. */
  RESTRICTED = "RESTRICTED",
}
registerEnumType(APIKeyRole, {
  name: "APIKeyRole",
  valuesConfig: { RESTRICTED: { description: "Holds exactly the permissions listed on the key (APIKey.permissions)." } },
});

export enum UserRole {
  ADMIN = "ADMIN",
  DEVELOPER = "DEVELOPER",
  SUPPORT = "SUPPORT",
}
registerEnumType(UserRole, { name: "UserRole" });

export enum ActorType {
  USER = "USER",
  API_KEY = "API_KEY",
  SYSTEM = "SYSTEM",
}
registerEnumType(ActorType, { name: "ActorType" });

export enum NotificationEventName {
  API_KEY_CREATED = "API_KEY_CREATED",
  API_KEY_UPDATED = "API_KEY_UPDATED",
  API_KEY_ROTATED = "API_KEY_ROTATED",
  API_KEY_REVOKED = "API_KEY_REVOKED",
  API_KEY_ACTIVATED = "API_KEY_ACTIVATED",
  API_KEY_DEACTIVATED = "API_KEY_DEACTIVATED",
  API_KEY_DELETED = "API_KEY_DELETED",
  API_KEY_EXPIRING_SOON = "API_KEY_EXPIRING_SOON",
  API_KEY_EXPIRED = "API_KEY_EXPIRED",
  USER_INVITED = "USER_INVITED",
  USER_JOINED = "USER_JOINED",
  USER_REMOVED = "USER_REMOVED",
  USER_ROLE_UPDATED = "USER_ROLE_UPDATED",
  NOTIFICATION_ACTIVATION = "NOTIFICATION_ACTIVATION",
  COLLABORATIVE_AUTHORIZATION_DECIDED = "COLLABORATIVE_AUTHORIZATION_DECIDED",
}
registerEnumType(NotificationEventName, { name: "NotificationEventName" });
