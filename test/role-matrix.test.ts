import {
  getNamedType,
  GraphQLField,
  GraphQLInputType,
  GraphQLObjectType,
  GraphQLSchema,
  isCompositeType,
  isEnumType,
  isInputObjectType,
  isListType,
  isNonNullType,
  isUnionType,
} from "graphql";
import { startTestServer, TestServer } from "./helpers/server";
import { APIKeyRole, UserRole } from "../src/entities/enums";
import { createSchema } from "../src/schema/build-schema";
import { ID_PREFIXES, NodeTypeName } from "../src/schema/ids";
import { bearerHeaders, createUser, loginAdmin, post } from "./helpers/users";

/**
 * Every mutation of the built schema × every kind of actor, and every field of Organization × every actor,
 * against what DESIGN §3 says, written out below by hand: nothing here is read from the code under test, so a
 * permission declared wrongly (or a role given the wrong permissions) fails. Inputs are generated from the input
 * types; a mutation or Organization field missing from the tables below fails the test until someone writes
 * down what it needs.
 */

type Permission =
  | "keys:read"
  | "keys:write"
  | "users:read"
  | "users:write"
  | "targets:read"
  | "targets:write"
  | "events:read"
  | "events:replay"
  | "collab:read"
  | "collab:write"
  | "collab:simulate"
  | "secret:read"
  | "secret:write"
  | "audit:read";

/** DESIGN §3, "Permissions". */
const ALL: Permission[] = [
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
];
const READS = ALL.filter((p) => p.endsWith(":read"));
const without = (from: Permission[], ...dropped: Permission[]) => from.filter((p) => !dropped.includes(p));

/** DESIGN §3's table, roles × permissions. */
const ROLE_PERMISSIONS: Record<string, Permission[]> = {
  "ADMIN user": ALL,
  "DEVELOPER user": without(ALL, "users:write", "secret:read", "secret:write"),
  "SUPPORT user": [...without(READS, "secret:read"), "events:replay"],
  "ADMIN key": ALL,
  "READONLY key": without(READS, "secret:read"),
};

/** What each mutation needs (DESIGN §6 comments); the public ones need no credentials at all. */
const PUBLIC_MUTATIONS = ["signUp", "login", "acceptInvitation", "logout"];
const MUTATION_PERMISSIONS: Record<string, Permission> = {
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

/** What each field of Organization needs (DESIGN §6); null: anyone in the organization. */
const ORGANIZATION_FIELD_PERMISSIONS: Record<string, Permission | null> = {
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

interface Actor {
  name: string;
  credential: string;
  permissions: ReadonlySet<Permission>;
}

let server: TestServer;
let schema: GraphQLSchema;
let actors: Actor[];

beforeAll(async () => {
  schema = await createSchema(null);
  server = await startTestServer();
  const [developer, support] = [await createUser(server, UserRole.DEVELOPER), await createUser(server, UserRole.SUPPORT)];
  const credentials: Record<string, string> = {
    "ADMIN user": await loginAdmin(server),
    "DEVELOPER user": developer.token,
    "SUPPORT user": support.token,
    "ADMIN key": server.adminKey,
    "READONLY key": await server.issueKey(APIKeyRole.READONLY),
  };
  actors = Object.entries(credentials).map(([name, credential]) => ({ name, credential, permissions: new Set(ROLE_PERMISSIONS[name]) }));
});
afterAll(async () => {
  await server?.stop();
});

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

function operation(kind: "mutation" | "query", field: GraphQLField<unknown, unknown>, wrap: (call: string) => string) {
  const required = field.args.filter((arg) => isNonNullType(arg.type) && arg.defaultValue === undefined);
  const variables = Object.fromEntries(required.map((arg) => [arg.name, minimalValue(arg.type, arg.name)]));
  const declarations = required.map((arg) => `$${arg.name}: ${arg.type.toString()}`).join(", ");
  const args = required.map((arg) => `${arg.name}: $${arg.name}`).join(", ");
  const selection = isCompositeType(getNamedType(field.type)) ? " { __typename }" : "";
  const call = `${field.name}${args ? `(${args})` : ""}${selection}`;
  return { query: `${kind}${declarations ? `(${declarations})` : ""} { ${wrap(call)} }`, variables };
}

describe("role × operation matrix", () => {
  it("has an expectation for every mutation and Organization field of the schema", () => {
    const mutations = Object.keys(schema.getMutationType()!.getFields()).filter((name) => !PUBLIC_MUTATIONS.includes(name));
    expect(mutations.filter((name) => !(name in MUTATION_PERMISSIONS))).toEqual([]);
    expect(Object.keys(MUTATION_PERMISSIONS).filter((name) => !mutations.includes(name))).toEqual([]);
    const fields = Object.keys((schema.getType("Organization") as GraphQLObjectType).getFields());
    expect(fields.filter((name) => !(name in ORGANIZATION_FIELD_PERMISSIONS))).toEqual([]);
    expect(Object.keys(ORGANIZATION_FIELD_PERMISSIONS).filter((name) => !fields.includes(name))).toEqual([]);
  });

  it("allows exactly the mutations each actor's permissions cover, for every mutation in the schema", async () => {
    const guarded = Object.values(schema.getMutationType()!.getFields()).filter((field) => !PUBLIC_MUTATIONS.includes(field.name));
    expect(guarded.length).toBeGreaterThanOrEqual(29);
    const mismatches: string[] = [];
    let cells = 0;
    let denied = 0;
    for (const field of guarded) {
      const needs = MUTATION_PERMISSIONS[field.name];
      // The contract: a guarded mutation returns a union with AccessDeniedError.
      const type = getNamedType(field.type);
      expect([field.name, isUnionType(type) && type.getTypes().some((t) => t.name === "AccessDeniedError")]).toEqual([field.name, true]);
      for (const actor of actors) {
        const { query, variables } = operation("mutation", field, (call) => call);
        const result = await post(server, query, variables, bearerHeaders(actor.credential));
        cells++;
        const allowed = needs !== undefined && actor.permissions.has(needs);
        const typename = result.body.data?.[field.name]?.__typename;
        if (typename === "AccessDeniedError") denied++;
        if (result.status !== 200 || result.body.errors) {
          mismatches.push(`${field.name} as ${actor.name}: HTTP ${result.status} ${JSON.stringify(result.body.errors)}`);
        } else if (allowed === (typename === "AccessDeniedError")) {
          mismatches.push(`${field.name} as ${actor.name}: expected ${allowed ? "allowed" : "denied"}, got ${typename}`);
        }
      }
    }
    expect(mismatches).toEqual([]);
    expect(cells).toBe(guarded.length * actors.length);
    expect(cells).toBeGreaterThanOrEqual(29 * 5);
    // Both outcomes occur: SUPPORT and READONLY are denied every write, the ADMINs none.
    expect(denied).toBeGreaterThanOrEqual(2 * 25);
    expect(denied).toBeLessThan(cells - 2 * guarded.length);
    process.stdout.write(`role matrix: ${guarded.length} mutations × ${actors.length} actors = ${cells} cells checked\n`);
  });

  it("returns permission-guarded Organization fields to the actors that hold the permission, FORBIDDEN to the others", async () => {
    const fields = (schema.getType("Organization") as GraphQLObjectType).getFields();
    const mismatches: string[] = [];
    let cells = 0;
    let forbiddenCells = 0;
    for (const [name, needs] of Object.entries(ORGANIZATION_FIELD_PERMISSIONS)) {
      const field = fields[name];
      for (const actor of actors) {
        const { query, variables } = operation("query", field, (call) => `organizations { ${call} }`);
        const result = await post(server, query, variables, bearerHeaders(actor.credential));
        cells++;
        const allowed = needs === null || actor.permissions.has(needs);
        const forbidden = result.body.errors?.some((e: any) => e.extensions?.code === "FORBIDDEN" && e.path?.[2] === field.name) ?? false;
        if (forbidden) forbiddenCells++;
        const otherErrors = result.body.errors?.filter((e: any) => e.extensions?.code !== "FORBIDDEN") ?? [];
        if (result.status !== 200 || otherErrors.length)
          mismatches.push(`${field.name} as ${actor.name}: ${JSON.stringify(result.body.errors)}`);
        else if (allowed === forbidden) mismatches.push(`${field.name} as ${actor.name}: expected ${allowed ? "allowed" : "FORBIDDEN"}`);
        else if (allowed && result.body.data?.organizations?.[0]?.[field.name] === undefined)
          mismatches.push(`${field.name} as ${actor.name}: no data`);
      }
    }
    expect(mismatches).toEqual([]);
    expect(cells).toBeGreaterThanOrEqual(13 * 5);
    // sharedSecret is refused to DEVELOPER, SUPPORT and READONLY.
    expect(forbiddenCells).toBeGreaterThanOrEqual(3);
    process.stdout.write(
      `role matrix: ${Object.keys(ORGANIZATION_FIELD_PERMISSIONS).length} Organization fields × ${actors.length} actors = ${cells} cells checked\n`,
    );
  });
});
