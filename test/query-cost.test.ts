import { getIntrospectionQuery } from "graphql";
import { APIKeyRole } from "../src/entities/enums";
import { bearer, HttpResult, startTestServer, TestServer } from "./helpers/server";

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer();
  // A full page: 100 keys besides the bootstrap key.
  for (let i = 0; i < 100; i++) await server.issueKey(i % 2 ? APIKeyRole.ADMIN : APIKeyRole.READONLY);
});
afterAll(async () => {
  await server?.stop();
});

const KEY_FIELDS = `id name description environment role status prefix redactedKey createdAt updatedAt expiresAt lastUsedAt
  usageCount deactivatedAt revokedAt key
  createdBy { ... on APIKey { id name role } ... on User { id email } }
  rotatedFrom { id } rotatedTo { id }`;

/** The dashboard's key table: 100 keys with every column (issue "Real clients are never refused", request 1). */
const DASHBOARD_KEYS = `query DashboardKeys { organizations { apiKeys(first: 100) { totalCount
  pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  edges { cursor node { ${KEY_FIELDS} } } } } }`;

const ATTEMPT_FIELDS = `id attemptNumber createdAt durationMs environment errorMessage httpStatus responseBody status`;

/** Highnote's ListWebhookNotificationTargets shape: targets with subscriptions, signing keys and their latest attempts. */
const LIST_TARGETS = `query ListWebhookNotificationTargets($first: Int = 20, $after: String) {
  organizations { id webhookNotificationTargets(first: $first, after: $after) {
    pageInfo { hasNextPage endCursor }
    edges { cursor node {
      id name uri email status environment createdAt updatedAt deactivatedAt subscriptions
      signingKeys { id secret environment createdAt expiresAt }
      deliveryAttempts(first: 20) { totalCount edges { node { ${ATTEMPT_FIELDS} } } }
    } }
  } } }`;

async function post(query: string, variables?: Record<string, unknown>): Promise<HttpResult> {
  return server.post(query, variables, bearer(server.adminKey));
}

/** Admitted on the first (interpreted) and the second (compiled) run, with data and no errors. */
async function expectAdmitted(query: string, variables?: Record<string, unknown>): Promise<HttpResult> {
  let result: HttpResult | undefined;
  for (let run = 0; run < 2; run++) {
    result = await post(query, variables);
    expect(result.body.errors).toBeUndefined();
    expect(result.status).toBe(200);
    expect(result.body.data).toBeDefined();
  }
  return result!;
}

/** Refused before execution: 400, GRAPHQL_VALIDATION_FAILED, the numbers, never "Syntax Error". */
async function expectCostRefused(query: string, variables?: Record<string, unknown>): Promise<number> {
  const result = await post(query, variables);
  expect(result.status).toBe(400);
  expect(result.body.data).toBeUndefined();
  const [error] = result.body.errors!;
  expect(error.extensions?.code).toBe("GRAPHQL_VALIDATION_FAILED");
  expect(error.message).toMatch(/^Query cost \d+ exceeds the limit of 20000/);
  expect(error.message).not.toMatch(/syntax/i);
  expect(error.extensions?.limit).toBe(20000);
  expect(error.extensions?.cost).toBeGreaterThan(20000);
  return error.extensions!.cost;
}

describe("the cost limit admits what clients send", () => {
  it("admits the dashboard's page of 100 keys with every field and its nested objects", async () => {
    const result = await expectAdmitted(DASHBOARD_KEYS);
    expect(result.body.data.organizations[0].apiKeys.edges).toHaveLength(100);
  });

  it("admits two such pages side by side under aliases", async () => {
    const result = await expectAdmitted(`query TwoPages { organizations {
      newest: apiKeys(first: 100) { totalCount edges { cursor node { ${KEY_FIELDS} } } }
      oldest: apiKeys(last: 100) { totalCount edges { cursor node { ${KEY_FIELDS} } } } } }`);
    expect(result.body.data.organizations[0].newest.edges).toHaveLength(100);
    expect(result.body.data.organizations[0].oldest.edges).toHaveLength(100);
  });

  it("admits two aliased pages of 50 target events with 5 fields each", async () => {
    await expectAdmitted(`query TargetEvents { organizations { webhookNotificationTargets(first: 10) { edges { node {
      delivered: webhookNotificationTargetEvents(first: 50, filterBy: { hasSuccessfulDelivery: true }) {
        edges { node { environment hasSuccessfulDelivery nextAttemptAt event { id name } } } }
      failing: webhookNotificationTargetEvents(first: 50, filterBy: { hasSuccessfulDelivery: false }) {
        edges { node { environment hasSuccessfulDelivery nextAttemptAt event { id name } } } } } } } } }`);
  });

  it("admits Highnote's ListWebhookNotificationTargets, with its default and with an explicit page", async () => {
    await expectAdmitted(LIST_TARGETS);
    await expectAdmitted(LIST_TARGETS, { first: 20 });
  });

  it("admits a page of 100 events with every field, and 100 attempts with their event and target", async () => {
    await expectAdmitted(`{ organizations { notificationEvents(first: 100) { totalCount edges { cursor node {
      id name createdAt expiresAt environment data } } } } }`);
    await expectAdmitted(`{ organizations { webhookNotificationTargets(first: 1) { edges { node {
      deliveryAttempts(first: 100) { edges { node { ${ATTEMPT_FIELDS} event { id name createdAt } target { id name uri status } } } } } } } } }`);
  });

  it("admits the standard introspection query", async () => {
    const result = await expectAdmitted(getIntrospectionQuery());
    expect(result.body.data.__schema.types.length).toBeGreaterThan(50);
  });
});

describe("the cost limit refuses work", () => {
  it("refuses 100 targets × 100 delivery attempts", async () => {
    await expectCostRefused(`{ organizations { webhookNotificationTargets(first: 100) { edges { node {
      deliveryAttempts(first: 100) { edges { node { id status } } } } } } } }`);
  });

  it("refuses 100 events × 100 delivery attempts, even with one field per attempt", async () => {
    await expectCostRefused(`{ organizations { notificationEvents(first: 100) { edges { node {
      deliveryAttempts(first: 100) { edges { node { id } } } } } } } }`);
  });

  it("counts page sizes given in variables and variable defaults as it counts literals", async () => {
    const aliases = (size: string) =>
      Array.from({ length: 30 }, (_, i) => `k${i}: apiKeys(first: ${size}) { edges { node { id name } } }`).join("\n");
    const literal = await expectCostRefused(`{ organizations { ${aliases("100")} } }`);
    expect(await expectCostRefused(`query($n: Int) { organizations { ${aliases("$n")} } }`, { n: 100 })).toBe(literal);
    expect(await expectCostRefused(`query($n: Int = 100) { organizations { ${aliases("$n")} } }`)).toBe(literal);
    // The same operation with small pages is ordinary.
    await expectAdmitted(`query($n: Int) { organizations { ${aliases("$n")} } }`, { n: 5 });
  });

  it("measures an operation sent again by the page sizes it is sent with, whatever its other variables", async () => {
    const aliases = Array.from({ length: 30 }, (_, i) => `k${i}: apiKeys(first: $n, after: $after) { edges { node { id } } }`);
    const query = `query($n: Int, $after: String) { organizations { ${aliases.join("\n")} } }`;
    const cost = await expectCostRefused(query, { n: 100, after: null });
    await expectAdmitted(query, { n: 5, after: null });
    // A cursor does not change the measure; the page size does, each time it changes.
    expect(await expectCostRefused(query, { n: 100, after: "not-a-cursor" })).toBe(cost);
    await expectAdmitted(query, { n: 5 });
    // Variables that do not coerce are refused by execution, and leave nothing behind: the same page size with a
    // valid cursor is measured, not let through.
    const again = `${query} # another document`;
    const invalid = await post(again, { n: 100, after: 5 });
    expect(invalid.status).toBe(400);
    expect(invalid.body.errors?.[0].extensions?.code).toBe("BAD_USER_INPUT");
    expect(await expectCostRefused(again, { n: 100 })).toBe(cost);
  });

  it("refuses fragment-hidden and @include-hidden nesting by what executes", async () => {
    const fragments = `fragment Attempts on WebhookNotificationTarget { deliveryAttempts(first: $inner) { edges { node { id } } } }`;
    const query = `query($inner: Int!, $deep: Boolean!) { organizations { webhookNotificationTargets(first: 100) { edges { node {
      id ...Attempts @include(if: $deep) } } } } } ${fragments}`;
    await expectCostRefused(query, { inner: 100, deep: true });
    await expectAdmitted(query, { inner: 100, deep: false });
  });
});

describe("depth, aliases and size", () => {
  it("names the depth limit and the depth found, without calling it a syntax error", async () => {
    const deep = `{ viewer { organization { apiKeys { edges { node { ${"rotatedFrom { ".repeat(8)}id${" }".repeat(8)} } } } } } }`;
    const result = await post(deep);
    expect(result.status).toBe(400);
    expect(result.body.errors?.[0]).toMatchObject({
      message: "Query depth 14 exceeds the limit of 12",
      extensions: { code: "GRAPHQL_VALIDATION_FAILED", depth: 14, limit: 12 },
    });
  });

  it("names the alias limit and the count found", async () => {
    const aliases = Array.from({ length: 31 }, (_, i) => `a${i}: ping`).join(" ");
    const result = await post(`{ ${aliases} }`);
    expect(result.status).toBe(400);
    expect(result.body.errors?.[0]).toMatchObject({
      message: "Query uses 31 aliases, more than the limit of 30",
      extensions: { code: "GRAPHQL_VALIDATION_FAILED" },
    });
  });

  it("refuses 10,000 chained fragments with a 400 before validation recurses", async () => {
    const count = 10_000;
    const chain = Array.from({ length: count }, (_, i) =>
      i + 1 < count ? `fragment F${i} on Query { ...F${i + 1} }` : `fragment F${i} on Query { ping }`,
    ).join("\n");
    const result = await post(`{ ...F0 }\n${chain}`);
    expect(result.status).toBe(400);
    expect(result.body.errors?.[0]).toMatchObject({
      message: "Query defines more than 100 fragments, the limit",
      extensions: { code: "GRAPHQL_VALIDATION_FAILED" },
    });
    // The server still answers.
    expect((await post("{ ping }")).body.data).toEqual({ ping: "pong" });
  });

  it("refuses documents past the token limit and brackets nested past any real query", async () => {
    const long = await post(`{ ${Array.from({ length: 10_001 }, () => "__typename").join(" ")} }`);
    expect(long.status).toBe(400);
    expect(long.body.errors?.[0].message).toBe("Query has more than 10000 tokens, the limit");
    const nested = await post(`{ ${"viewer { ".repeat(2000)}role${" }".repeat(2000)} }`);
    expect(nested.status).toBe(400);
    expect(nested.body.errors?.[0].extensions?.code).toBe("GRAPHQL_VALIDATION_FAILED");
  });

  it("still reports syntax errors as syntax errors", async () => {
    const result = await post("{ ping ");
    expect(result.status).toBe(400);
    expect(result.body.errors?.[0].extensions?.code).toBe("GRAPHQL_PARSE_FAILED");
  });
});
