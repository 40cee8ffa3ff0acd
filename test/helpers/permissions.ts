import {
  getNamedType,
  GraphQLField,
  GraphQLInputType,
  isCompositeType,
  isEnumType,
  isInputObjectType,
  isListType,
  isNonNullType,
} from "graphql";
import { APIKeyRole, UserRole } from "../../src/entities/enums";
import { PERMISSIONS, type Permission } from "../../src/auth/permissions";
import { ID_PREFIXES, NodeTypeName } from "../../src/db/ids";
import { restrictedKey } from "./api-key-controls";
import type { TestServer } from "./server";
import { createUser, loginAdmin } from "./users";

/**
 * What the product contract says each actor holds and each operation needs, written out by hand: only the vocabulary (the
 * permissions there are) comes from the code, so a misspelt permission does not compile; which role holds what and
 * which operation needs what is not read from the code under test, so a permission declared wrongly, or a role given
 * the wrong permissions, fails the tests that read these tables.
 */

/** The permissions (14 of them; the single-permission matrix checks the count). */
export const ALL_PERMISSIONS: readonly Permission[] = PERMISSIONS;
const READS = ALL_PERMISSIONS.filter((p) => p.endsWith(":read"));
const without = (from: readonly Permission[], ...dropped: Permission[]) => from.filter((p) => !dropped.includes(p));

/** Roles × permissions, for each kind of actor with a role. */
export const ROLE_PERMISSIONS = {
  "ADMIN user": ALL_PERMISSIONS,
  "DEVELOPER user": without(ALL_PERMISSIONS, "users:write", "secret:read", "secret:write"),
  "SUPPORT user": [...without(READS, "secret:read"), "events:replay"],
  "ADMIN key": ALL_PERMISSIONS,
  "READONLY key": without(READS, "secret:read"),
} satisfies Record<string, readonly Permission[]>;

/** Need no credentials or no permission. */
export const PUBLIC_MUTATIONS = ["signUp", "login", "acceptInvitation", "logout"];

/** What each mutation needs. */
export const MUTATION_PERMISSIONS: Record<string, Permission> = {
  createSecretAPIKey: "keys:write",
  updateAPIKey: "keys:write",
  activateAPIKey: "keys:write",
  deactivateAPIKey: "keys:write",
  rotateAPIKey: "keys:write",
  revokeAPIKey: "keys:write",
  deleteAPIKey: "keys:write",
  inviteUser: "users:write",
  updateUserRole: "users:write",
  removeUser: "users:write",
  // Any member may change their own password.
  changePassword: "users:read",
  addWebhookNotificationTarget: "targets:write",
  activateNotificationTarget: "targets:write",
  deactivateNotificationTarget: "targets:write",
  removeNotificationTarget: "targets:write",
  renameNotificationTarget: "targets:write",
  addSubscriptionsToNotificationTarget: "targets:write",
  removeSubscriptionsFromNotificationTarget: "targets:write",
  setEmailForNotificationTarget: "targets:write",
  removeEmailFromNotificationTarget: "targets:write",
  rotateNotificationTargetSigningKey: "targets:write",
  setNotificationTargetRateLimit: "targets:write",
  replayNotificationEvent: "events:replay",
  recoverNotificationEvents: "events:replay",
  addCollaborativeAuthorizationEndpoint: "collab:write",
  activateCollaborativeAuthorizationEndpoint: "collab:write",
  deactivateCollaborativeAuthorizationEndpoint: "collab:write",
  removeCollaborativeAuthorizationEndpoint: "collab:write",
  renameCollaborativeAuthorizationEndpoint: "collab:write",
  simulateCollaborativeAuthorization: "collab:simulate",
  rotateSharedSecret: "secret:write",
  // Each member manages their own second factor; API keys get INVALID_STATE.
  enableTwoFactor: "users:read",
  confirmTwoFactor: "users:read",
  disableTwoFactor: "users:read",
  setOrganizationTwoFactorRequirement: "users:write",
};

/** What each field of Organization needs; null: anyone in the organization (its scalar fields). */
export const ORGANIZATION_FIELD_PERMISSIONS: Record<string, Permission | null> = {
  id: null,
  name: null,
  plan: null,
  createdAt: null,
  requireTwoFactor: null,
  apiKeys: "keys:read",
  users: "users:read",
  invitations: "users:read",
  webhookNotificationTargets: "targets:read",
  notificationEvents: "events:read",
  collaborativeAuthorizationEndpoints: "collab:read",
  collaborativeAuthorizationRequests: "collab:read",
  auditLog: "audit:read",
  sharedSecret: "secret:read",
};

export interface PermissionActor {
  name: string;
  credential: string;
  permissions: ReadonlySet<Permission>;
}

/** The bootstrap ADMIN user, a DEVELOPER and a SUPPORT user, the bootstrap ADMIN key and a READONLY key, with what each holds. */
export async function roleActors(server: TestServer): Promise<PermissionActor[]> {
  const [developer, support] = [await createUser(server, UserRole.DEVELOPER), await createUser(server, UserRole.SUPPORT)];
  const credentials: Record<keyof typeof ROLE_PERMISSIONS, string> = {
    "ADMIN user": await loginAdmin(server),
    "DEVELOPER user": developer.token,
    "SUPPORT user": support.token,
    "ADMIN key": server.adminKey,
    "READONLY key": await server.issueKey(APIKeyRole.READONLY),
  };
  return (Object.keys(credentials) as Array<keyof typeof ROLE_PERMISSIONS>).map((name) => ({
    name,
    credential: credentials[name],
    permissions: new Set(ROLE_PERMISSIONS[name]),
  }));
}

/** A RESTRICTED key holding each single permission, in ALL_PERMISSIONS order. */
export async function singlePermissionKeys(server: TestServer): Promise<Array<PermissionActor & { permission: Permission }>> {
  const keys = [];
  for (const permission of ALL_PERMISSIONS) {
    const { key } = await restrictedKey(server, [permission]);
    keys.push({ name: `RESTRICTED key with ${permission}`, credential: key, permission, permissions: new Set([permission]) });
  }
  return keys;
}

/** A syntactically valid id of the type the field name suggests (apiKeyId → key_…, targetIds → nt_…) that names nothing. */
function unknownId(fieldName: string): string {
  const noun = fieldName.replace(/Ids?$/, "").toLowerCase();
  const type = (Object.keys(ID_PREFIXES) as NodeTypeName[]).find((name) => name.toLowerCase().endsWith(noun)) ?? "APIKey";
  return `${ID_PREFIXES[type]}_${"0".repeat(31)}1`;
}

function scalarValue(scalar: string, fieldName: string): unknown {
  const name = fieldName.toLowerCase();
  switch (scalar) {
    case "ID":
      return unknownId(fieldName);
    case "Int":
    case "Float":
      return 100;
    case "Boolean":
      return false;
    case "DateTime":
      return new Date(Date.now() + 86_400_000).toISOString();
    default:
      if (name.includes("email")) return "matrix@example.test";
      if (name.includes("uri") || name.includes("url")) return "http://127.0.0.1:9/matrix";
      if (name.includes("password")) return "matrix-password-1";
      if (name.includes("currency")) return "USD";
      return `matrix-${Math.random().toString(36).slice(2, 8)}`;
  }
}

/** Required fields only, filled with type-appropriate values; enums take their last (by convention least privileged) value. */
function minimalValue(type: GraphQLInputType, fieldName: string): unknown {
  if (isNonNullType(type)) return minimalValue(type.ofType, fieldName);
  if (isListType(type)) return [minimalValue(type.ofType, fieldName)];
  if (isEnumType(type)) return type.getValues()[type.getValues().length - 1].name;
  if (isInputObjectType(type)) {
    const value: Record<string, unknown> = {};
    for (const field of Object.values(type.getFields())) {
      if (isNonNullType(field.type) && field.defaultValue === undefined) value[field.name] = minimalValue(field.type, field.name);
    }
    return value;
  }
  return scalarValue(type.name, fieldName);
}

/**
 * A document calling `field` with its required arguments only, generated from their input types, and `selection`
 * on a composite result; `wrap` places the call (`organizations { … }` for a field of Organization).
 */
export function generatedOperation(
  kind: "mutation" | "query",
  field: GraphQLField<unknown, unknown>,
  options: { wrap?: (call: string) => string; selection?: string } = {},
): { query: string; variables: Record<string, any> } {
  const { wrap = (call: string) => call, selection = "__typename" } = options;
  const required = field.args.filter((arg) => isNonNullType(arg.type) && arg.defaultValue === undefined);
  const variables = Object.fromEntries(required.map((arg) => [arg.name, minimalValue(arg.type, arg.name)]));
  const declarations = required.map((arg) => `$${arg.name}: ${arg.type.toString()}`).join(", ");
  const args = required.map((arg) => `${arg.name}: $${arg.name}`).join(", ");
  const selected = isCompositeType(getNamedType(field.type)) ? ` { ${selection} }` : "";
  const call = `${field.name}${args ? `(${args})` : ""}${selected}`;
  return { query: `${kind}${declarations ? `(${declarations})` : ""} { ${wrap(call)} }`, variables };
}
