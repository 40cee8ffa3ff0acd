import type { GraphQLClient } from "graphql-request";
import { UserRole } from "../src/entities/enums";
import { CREATE_KEY, KEY_ACTION, mutate, SEED_ENV } from "./helpers/seed";
import { startTestServer, TestServer } from "./helpers/server";
import { createUser } from "./helpers/users";

// A key list reads only the columns of the fields the query selects. Each APIKey field, read alone in a list,
// must equal the same field of the same key read whole by node(id): a field whose columns the list failed to
// read shows here.

let server: TestServer;
let reader: GraphQLClient;

/** Every field of APIKey, each with the subselection it needs. */
const FIELDS: Record<string, string> = {
  id: "id",
  name: "name",
  description: "description",
  environment: "environment",
  role: "role",
  status: "status",
  prefix: "prefix",
  redactedKey: "redactedKey",
  key: "key",
  createdAt: "createdAt",
  updatedAt: "updatedAt",
  expiresAt: "expiresAt",
  lastUsedAt: "lastUsedAt",
  usageCount: "usageCount",
  deactivatedAt: "deactivatedAt",
  revokedAt: "revokedAt",
  permissions: "permissions",
  allowedIps: "allowedIps",
  metadata: "metadata",
  rateLimit: "rateLimit { limit windowSeconds }",
  createdBy: "createdBy { __typename ... on APIKey { id } ... on User { id } }",
  rotatedFrom: "rotatedFrom { id }",
  rotatedTo: "rotatedTo { id }",
  usage: "usage(days: 2) { date requestCount }",
};

const listOf = (selection: string, fragments = "") =>
  `{ organizations { apiKeys(first: 50) { edges { cursor node { ${selection} } } } } } ${fragments}`;

async function nodes(query: string): Promise<any[]> {
  const data = await reader.request<any>(query);
  return data.organizations[0].apiKeys.edges.map((edge: any) => edge.node);
}

/** The listed keys read one by one through node(id), which loads whole rows. */
async function whole(): Promise<any[]> {
  const ids = (await nodes(listOf("id"))).map((node) => node.id);
  const query = `query($id: ID!) { node(id: $id) { ... on APIKey { ${Object.values(FIELDS).join(" ")} } } }`;
  return Promise.all(ids.map(async (id) => (await reader.request<any>(query, { id })).node));
}

beforeAll(async () => {
  server = await startTestServer(SEED_ENV);
  const create = (secretKey: Record<string, unknown>) =>
    mutate(server, server.adminKey, "createSecretAPIKey", CREATE_KEY, { input: { secretKey } });
  await create({
    name: "restricted",
    description: "every control",
    role: "RESTRICTED",
    permissions: ["keys:read"],
    allowedIps: ["127.0.0.1", "10.0.0.0/8"],
    rateLimit: { limit: 50, windowSeconds: 60 },
    metadata: { team: "payments", n: 3 },
    expiresAt: new Date(Date.now() + 86_400_000).toISOString(),
  });
  const used = await create({ name: "used" });
  await server.client(used.key).request("{ viewer { environment } }");
  const action = async (field: string, id: string) => mutate(server, server.adminKey, field, KEY_ACTION(field), { id });
  await action("deactivateAPIKey", (await create({ name: "deactivated" })).id);
  await action("revokeAPIKey", (await create({ name: "revoked" })).id);
  await action("rotateAPIKey", (await create({ name: "rotated", role: "ADMIN" })).id);
  // Read by a user session: an API key reading the list would change its own usage between two reads.
  reader = server.client((await createUser(server, UserRole.ADMIN)).token);
  // The used key's count reaches the table within a second.
  await new Promise((resolve) => setTimeout(resolve, 1500));
});
afterAll(async () => {
  await server?.stop();
});

it("reads each field alone as node(id) reads it from the whole row", async () => {
  const all = await whole();
  expect(all.length).toBeGreaterThanOrEqual(7);
  expect(all.some((node) => node.rateLimit && node.metadata && node.permissions.length === 1)).toBe(true);
  expect(all.some((node) => node.rotatedFrom)).toBe(true);
  for (const [field, selection] of Object.entries(FIELDS)) {
    const alone = await nodes(listOf(selection));
    expect([field, alone.map((node) => node[field])]).toEqual([field, all.map((node) => node[field])]);
  }
});

it("reads the fields of fragments and inline fragments too, and every field at once", async () => {
  const all = await whole();
  expect(await nodes(listOf(Object.values(FIELDS).join(" ")))).toEqual(all);
  const spread = await nodes(
    listOf("...Row ... on APIKey { redactedKey }", "fragment Row on APIKey { status rateLimit { limit } ... on Node { id } }"),
  );
  expect(spread.map((node) => [node.id, node.status, node.rateLimit?.limit ?? null, node.redactedKey])).toEqual(
    all.map((node) => [node.id, node.status, node.rateLimit?.limit ?? null, node.redactedKey]),
  );
});
