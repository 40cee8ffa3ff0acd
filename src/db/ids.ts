/**
 * Node ids are opaque and typed: `<prefix>_<32 hex>` wrapping the row's UUID.
 * The prefix tells the type, so `node(id:)` and mutation inputs can reject an id
 * of the wrong kind without a database lookup.
 */
export const ID_PREFIXES = {
  Organization: "org",
  User: "usr",
  UserMembership: "mem",
  UserInvitation: "inv",
  APIKey: "key",
  AuditLogEntry: "aud",
  NotificationEvent: "evt",
  WebhookNotificationTarget: "nt",
  DeliveryAttempt: "dat",
  CollaborativeAuthorizationEndpoint: "cae",
  CollaborativeAuthorizationRequest: "car",
  SharedSecret: "ss",
  SigningKey: "sk",
  NotificationTargetStatusChange: "nts",
  NotificationEventRecovery: "rec",
} as const;

export type NodeTypeName = keyof typeof ID_PREFIXES;

export function encodeId(type: NodeTypeName, uuid: string): string {
  return `${ID_PREFIXES[type]}_${uuid.replace(/-/g, "")}`;
}

const ID_PATTERN = /^([a-z]+)_([0-9a-f]{32})$/;

/** Returns the type and UUID of an id, or null when it is not a Keyway id. */
export function parseId(id: string): { type: NodeTypeName; uuid: string } | null {
  const match = ID_PATTERN.exec(id);
  if (!match) return null;
  const type = (Object.keys(ID_PREFIXES) as NodeTypeName[]).find((name) => ID_PREFIXES[name] === match[1]);
  if (!type) return null;
  const hex = match[2];
  const uuid = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  return { type, uuid };
}

/** The UUID of an id of the expected type, or null. */
export function decodeId(type: NodeTypeName, id: string): string | null {
  const parsed = parseId(id);
  return parsed && parsed.type === type ? parsed.uuid : null;
}
