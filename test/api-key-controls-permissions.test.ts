import {
  getNamedType,
  GraphQLField,
  GraphQLInputType,
  GraphQLSchema,
  isCompositeType,
  isEnumType,
  isInputObjectType,
  isListType,
  isNonNullType,
  isObjectType,
} from "graphql";
import { createSchema } from "../src/schema/build-schema";
import { ID_PREFIXES, NodeTypeName } from "../src/schema/ids";
import { restrictedKey } from "./helpers/api-key-controls";
import { bearer, startTestServer, TestServer } from "./helpers/server";
import { createUser, INVITE } from "./helpers/users";

/**
 * Every query field and every mutation × a RESTRICTED key holding each single permission:
 * allowed exactly where that permission is declared. The expected tables are written by
 * hand from DESIGN §3 and §6, not read from the code, so a declaration that drifts fails here.
 */

const PERMISSIONS = [
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

/** Mutation → the permission it needs (DESIGN §6; changePassword: users:read, which every user role holds). */
const MUTATIONS: Record<string, string> = {
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
  enableTwoFactor: "users:read",
  confirmTwoFactor: "users:read",
  disableTwoFactor: "users:read",
  setOrganizationTwoFactorRequirement: "users:write",
};
/** Need no credentials or no permission. */
const PUBLIC_MUTATIONS = ["signUp", "login", "logout", "acceptInvitation"];

/** Organization's object-valued fields → the permission each needs. */
const ORGANIZATION_FIELDS: Record<string, string> = {
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

/** node(id) for each type → the permission of the list it appears in (null: any authenticated actor). */
const NODES: Record<string, string | null> = {
  Organization: null,
  User: "users:read",
  UserMembership: "users:read",
  UserInvitation: "users:read",
  APIKey: "keys:read",
  AuditLogEntry: "audit:read",
  WebhookNotificationTarget: "targets:read",
  NotificationEvent: "events:read",
  CollaborativeAuthorizationEndpoint: "collab:read",
  CollaborativeAuthorizationRequest: "collab:read",
};

let server: TestServer;
let schema: GraphQLSchema;
let keys: Array<{ permission: string; key: string }>;
const nodeIds: Record<string, string> = {};

async function admin(query: string, variables?: Record<string, unknown>): Promise<any> {
  const result = await server.post(query, variables, bearer(server.adminKey));
  if (result.status !== 200 || result.body.errors) throw new Error(JSON.stringify(result.body));
  return result.body.data;
}

beforeAll(async () => {
  schema = await createSchema(null);
  server = await startTestServer();
  // One object of every Node type, for node(id).
  const user = await createUser(server, "DEVELOPER" as any);
  nodeIds.User = user.userId;
  nodeIds.UserInvitation = (await admin(INVITE, { input: { email: "matrix-invited@example.test", role: "SUPPORT" } })).inviteUser.id;
  nodeIds.APIKey = (await restrictedKey(server, ["keys:read"])).id;
  nodeIds.WebhookNotificationTarget = (
    await admin(`mutation { addWebhookNotificationTarget(input: { name: "matrix", uri: "http://127.0.0.1:9/matrix",
    subscriptions: [API_KEY_CREATED] }) { ... on WebhookNotificationTarget { id } } }`)
  ).addWebhookNotificationTarget.id;
  nodeIds.CollaborativeAuthorizationEndpoint = (
    await admin(`mutation { addCollaborativeAuthorizationEndpoint(input: { name: "matrix",
    uri: "http://127.0.0.1:9/collab" }) { ... on CollaborativeAuthorizationEndpoint { id } } }`)
  ).addCollaborativeAuthorizationEndpoint.id;
  nodeIds.CollaborativeAuthorizationRequest = (
    await admin(`mutation { simulateCollaborativeAuthorization(input: { amount: 100, currencyCode: "USD" }) {
    ... on CollaborativeAuthorizationRequest { id } } }`)
  ).simulateCollaborativeAuthorization.id;
  const lists = await admin(`{ organizations { id users(first: 1) { edges { node { id } } } auditLog(first: 1) { edges { node { id } } }
    notificationEvents(first: 1) { edges { node { id } } } } }`);
  const organization = lists.organizations[0];
  nodeIds.Organization = organization.id;
  nodeIds.UserMembership = organization.users.edges[0].node.id;
  nodeIds.AuditLogEntry = organization.auditLog.edges[0].node.id;
  nodeIds.NotificationEvent = organization.notificationEvents.edges[0].node.id;

  keys = [];
  for (const permission of PERMISSIONS) keys.push({ permission, key: (await restrictedKey(server, [permission])).key });
});
afterAll(async () => {
  await server?.stop();
});

/** A syntactically valid id of the type the field name suggests that names nothing. */
function unknownId(fieldName: string): string {
  const noun = fieldName.replace(/Ids?$/, "").toLowerCase();
  const type = (Object.keys(ID_PREFIXES) as NodeTypeName[]).find((name) => name.toLowerCase().endsWith(noun)) ?? "APIKey";
  return `${ID_PREFIXES[type]}_${"0".repeat(31)}1`;
}

function requiredValue(type: GraphQLInputType, fieldName: string): unknown {
  if (isNonNullType(type)) return requiredValue(type.ofType, fieldName);
  if (isListType(type)) return [requiredValue(type.ofType, fieldName)];
  if (isEnumType(type)) return type.getValues().at(-1)!.name;
  if (isInputObjectType(type)) {
    return Object.fromEntries(
      Object.values(type.getFields())
        .filter((field) => isNonNullType(field.type) && field.defaultValue === undefined)
        .map((field) => [field.name, requiredValue(field.type, field.name)]),
    );
  }
  if (type.name === "ID") return unknownId(fieldName);
  if (type.name === "Int") return 100;
  if (type.name === "Boolean") return false;
  if (type.name === "DateTime") return new Date(Date.now() + 86_400_000).toISOString();
  const name = fieldName.toLowerCase();
  if (name.includes("email")) return "matrix@example.test";
  if (name.includes("uri")) return "http://127.0.0.1:9/matrix";
  if (name.includes("password")) return "matrix-password-1";
  if (name.includes("currency")) return "USD";
  return `matrix-${Math.random().toString(36).slice(2, 8)}`;
}

function mutationFor(field: GraphQLField<unknown, unknown>, permission: string) {
  const required = field.args.filter((arg) => isNonNullType(arg.type) && arg.defaultValue === undefined);
  const variables: Record<string, any> = Object.fromEntries(required.map((arg) => [arg.name, requiredValue(arg.type, arg.name)]));
  // A key may only create keys within what it holds: ask for exactly that, so only the permission check can refuse.
  if (field.name === "createSecretAPIKey")
    variables.input.secretKey = { ...variables.input.secretKey, role: "RESTRICTED", permissions: [permission] };
  const declarations = required.map((arg) => `$${arg.name}: ${arg.type.toString()}`).join(", ");
  const args = required.map((arg) => `${arg.name}: $${arg.name}`).join(", ");
  const selection = isCompositeType(getNamedType(field.type)) ? " { __typename ... on AccessDeniedError { message } }" : "";
  return { query: `mutation${declarations ? `(${declarations})` : ""} { ${field.name}${args ? `(${args})` : ""}${selection} }`, variables };
}

it("the tables cover every mutation, Organization field and node type of the schema", () => {
  const mutations = Object.keys(schema.getMutationType()!.getFields()).sort();
  expect(mutations).toEqual([...Object.keys(MUTATIONS), ...PUBLIC_MUTATIONS].sort());
  const organization = schema.getType("Organization");
  if (!isObjectType(organization)) throw new Error("no Organization type");
  const objectFields = Object.values(organization.getFields())
    .filter((f) => isObjectType(getNamedType(f.type)))
    .map((f) => f.name);
  expect(objectFields.sort()).toEqual(Object.keys(ORGANIZATION_FIELDS).sort());
  expect(Object.keys(NODES).sort()).toEqual(Object.keys(nodeIds).sort());
});

it("allows each mutation exactly to the key holding its permission", async () => {
  const mismatches: string[] = [];
  let cells = 0;
  for (const field of Object.values(schema.getMutationType()!.getFields())) {
    if (PUBLIC_MUTATIONS.includes(field.name)) continue;
    for (const { permission, key } of keys) {
      const { query, variables } = mutationFor(field, permission);
      const result = await server.post(query, variables, bearer(key));
      cells++;
      const payload = result.body.data?.[field.name];
      if (result.status !== 200 || result.body.errors) {
        mismatches.push(`${field.name} with ${permission}: HTTP ${result.status} ${JSON.stringify(result.body.errors)}`);
        continue;
      }
      // Refused by the permission check, not by a rule of the operation (escalation, NOT_FOUND, …).
      const denied = payload?.__typename === "AccessDeniedError" && payload.message.includes("lacks the permission");
      const expected = MUTATIONS[field.name] === permission;
      if (denied === expected)
        mismatches.push(`${field.name} with ${permission}: expected ${expected ? "allowed" : "denied"}, got ${JSON.stringify(payload)}`);
    }
  }
  expect(mismatches).toEqual([]);
  expect(cells).toBe(Object.keys(MUTATIONS).length * PERMISSIONS.length);
});

it("returns each Organization field exactly to the key holding its permission, FORBIDDEN to the others", async () => {
  const mismatches: string[] = [];
  for (const [field, needs] of Object.entries(ORGANIZATION_FIELDS)) {
    const selection = field === "sharedSecret" ? "sharedSecret { id }" : `${field}(first: 1) { totalCount }`;
    for (const { permission, key } of keys) {
      const result = await server.post(`{ organizations { ${selection} } }`, {}, bearer(key));
      const forbidden = result.body.errors?.some((e) => e.extensions?.code === "FORBIDDEN" && e.path?.[2] === field) ?? false;
      const others = result.body.errors?.filter((e) => e.extensions?.code !== "FORBIDDEN") ?? [];
      if (result.status !== 200 || others.length) mismatches.push(`${field} with ${permission}: ${JSON.stringify(result.body.errors)}`);
      else if (forbidden === (needs === permission))
        mismatches.push(`${field} with ${permission}: expected ${needs === permission ? "allowed" : "FORBIDDEN"}`);
      else if (!forbidden && !result.body.data?.organizations[0][field]) mismatches.push(`${field} with ${permission}: no data`);
    }
  }
  expect(mismatches).toEqual([]);
});

it("returns node(id) of each type exactly to the key holding its list's permission, and the root fields to every key", async () => {
  const aliases = Object.keys(NODES);
  const query = `{ ping viewer { role } organizations { id } ${aliases.map((type) => `${type}: node(id: "${nodeIds[type]}") { id }`).join(" ")} }`;
  const mismatches: string[] = [];
  for (const { permission, key } of keys) {
    const result = await server.post(query, {}, bearer(key));
    expect(result.status).toBe(200);
    expect(result.body.data).toMatchObject({ ping: "pong", viewer: { role: "RESTRICTED" }, organizations: [{ id: nodeIds.Organization }] });
    for (const type of aliases) {
      const allowed = NODES[type] === null || NODES[type] === permission;
      const errors = result.body.errors?.filter((e) => e.path?.[0] === type) ?? [];
      const node = result.body.data?.[type];
      const ok = allowed
        ? errors.length === 0 && node?.id === nodeIds[type]
        : node === null && errors.length === 1 && errors[0].extensions?.code === "FORBIDDEN";
      if (!ok)
        mismatches.push(
          `node(${type}) with ${permission}: expected ${allowed ? "the node" : "FORBIDDEN"}, got ${JSON.stringify({ node, errors })}`,
        );
    }
  }
  expect(mismatches).toEqual([]);
});
