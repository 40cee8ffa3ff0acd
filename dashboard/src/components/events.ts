import type { NotificationEventName } from "../gql/graphql";

/** Every event name, for subscriptions and filters (the schema's NotificationEventName). */
export const EVENT_NAMES: NotificationEventName[] = [
  "API_KEY_CREATED",
  "API_KEY_UPDATED",
  "API_KEY_ROTATED",
  "API_KEY_REVOKED",
  "API_KEY_ACTIVATED",
  "API_KEY_DEACTIVATED",
  "API_KEY_DELETED",
  "API_KEY_EXPIRING_SOON",
  "API_KEY_EXPIRED",
  "USER_INVITED",
  "USER_JOINED",
  "USER_REMOVED",
  "USER_ROLE_UPDATED",
  "COLLABORATIVE_AUTHORIZATION_DECIDED",
];
