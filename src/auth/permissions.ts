import { APIKeyRole, UserRole } from "../entities/enums.js";

/** Every permission a resolver may declare with @Allowed("<permission>"). */
export const PERMISSIONS = [
  "keys:read",
  "keys:write",
  "users:read",
  "users:write",
  "targets:read",
  "targets:write",
  "events:read",
  "events:replay",
  "collab:read",
  "collab:write",
  "collab:simulate",
  "secret:read",
  "secret:write",
  "audit:read",
] as const;

export type Permission = (typeof PERMISSIONS)[number];

const READS = PERMISSIONS.filter((permission) => permission.endsWith(":read"));
const READS_BUT_SECRET = READS.filter((permission) => permission !== "secret:read");

/** The one role → permission map. */
export const USER_ROLE_PERMISSIONS: Record<UserRole, readonly Permission[]> = {
  [UserRole.ADMIN]: PERMISSIONS,
  [UserRole.DEVELOPER]: PERMISSIONS.filter((p) => !["users:write", "secret:read", "secret:write"].includes(p)),
  [UserRole.SUPPORT]: [...READS_BUT_SECRET, "events:replay"],
};

/** RESTRICTED keys hold the permissions listed on the key itself, none by role. */
export const API_KEY_ROLE_PERMISSIONS: Record<APIKeyRole, readonly Permission[]> = {
  [APIKeyRole.ADMIN]: PERMISSIONS,
  [APIKeyRole.READONLY]: READS_BUT_SECRET,
  [APIKeyRole.RESTRICTED]: [],
};

/** What a key holds: its role's permissions, or for a RESTRICTED key its own list (in PERMISSIONS order). */
export function apiKeyPermissions(role: APIKeyRole, own: readonly string[] | null): readonly Permission[] {
  if (role !== APIKeyRole.RESTRICTED) return API_KEY_ROLE_PERMISSIONS[role];
  const held = new Set(own ?? []);
  return PERMISSIONS.filter((permission) => held.has(permission));
}

export function isPermission(value: string): value is Permission {
  return (PERMISSIONS as readonly string[]).includes(value);
}

/** True when `held` covers every permission of `wanted`: the no-escalation rule. */
export function covers(held: ReadonlySet<Permission>, wanted: readonly Permission[]): boolean {
  return wanted.every((permission) => held.has(permission));
}
