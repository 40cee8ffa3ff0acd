/**
 * Keyway's fixed input limits, each written once: the GraphQL input types' validators and the
 * services that check the same rule both read them here. Limits an operator may change are settings
 * (settings.ts), not these.
 */

/** Names of API keys, notification targets, authorization endpoints, organizations and users, in characters. */
export const NAME_MAX = 100;
/** An API key's description, in characters. */
export const DESCRIPTION_MAX = 500;
/** An email address, in characters (the longest a mail path allows). */
export const EMAIL_MAX = 254;
/** A webhook or authorization endpoint's URL, in characters. */
export const URI_MAX = 2048;
/** Free texts that only narrow or annotate (a list's search, a simulated merchant's name) and tokens pasted back, in characters. */
export const SHORT_TEXT_MAX = 200;

export const PASSWORD_MIN_BYTES = 10;
/** bcrypt ignores everything past 72 bytes, so longer passwords are refused rather than silently cut. */
export const PASSWORD_MAX_BYTES = 72;
/** Bounds the request only; the byte limits above are the rule, checked by the service. */
export const PASSWORD_MAX_CHARS = 200;

/** Addresses or CIDR ranges in one API key's allowlist. */
export const MAX_ALLOWED_IPS = 50;
/** An API key's metadata, serialized as JSON. */
export const METADATA_MAX_BYTES = 4096;
/** An API key's rate limit: at most this many requests… */
export const RATE_LIMIT_MAX = 1_000_000;
/** …per a window of at most this many seconds. */
export const RATE_LIMIT_WINDOW_MAX_SECONDS = 86_400;
/** How long a rotated key's old secret may keep working. */
export const MAX_ROTATION_GRACE_SECONDS = 7 * 86_400;
/** Days of an API key's usage one request may ask for. */
export const USAGE_MAX_DAYS = 366;

/** Signing keys of one notification target valid at once. */
export const MAX_SIGNING_KEYS = 5;
/** Targets one replay of a notification event may name. */
export const MAX_REPLAY_TARGETS = 100;
/** Page size of every connection (first / last), and the one used when neither is given. */
export const PAGE_SIZE_MAX = 100;
export const PAGE_SIZE_DEFAULT = 20;

/** A GraphQL request's JSON body. */
export const REQUEST_BODY_MAX_BYTES = 1024 * 1024;
/** What is kept of an outbound request's response body (a delivery attempt's, an authorization endpoint's). */
export const RESPONSE_BODY_MAX_BYTES = 1024;

/** 1048576 → "1 MB", 4096 → "4 KB": how the limits above are spelled in messages and descriptions. */
export function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024 && bytes % (1024 * 1024) === 0) return `${bytes / (1024 * 1024)} MB`;
  if (bytes >= 1024 && bytes % 1024 === 0) return `${bytes / 1024} KB`;
  return `${bytes} bytes`;
}
