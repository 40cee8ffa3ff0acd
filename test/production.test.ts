import { getIntrospectionQuery } from "graphql";
import { ConfigError, loadConfig } from "../src/config";
import { bearer, HttpResult, startTestServer, TestServer } from "./helpers/server";

/** NODE_ENV=production needs a bcrypt cost of at least 10. */
const PRODUCTION = { NODE_ENV: "production", KEYWAY_BCRYPT_COST: "10" };

let production: TestServer;
let development: TestServer;

beforeAll(async () => {
  production = await startTestServer(PRODUCTION);
  development = await startTestServer();
});
afterAll(async () => {
  await production?.stop();
  await development?.stop();
});

/** Mistakes a client makes, each of which graphql-js answers with a suggestion outside production. */
// Every row has its variables: jest hands a test function with more parameters than the row a `done` callback.
const MISTAKES: Array<[string, string, Record<string, unknown>]> = [
  ["a mistyped field", `{ viewer { rol } }`, {}],
  ["a mistyped argument", `{ organizations { apiKeys(frist: 10) { totalCount } } }`, {}],
  ["a mistyped enum value, literal", `{ organizations { apiKeys(filterBy: { role: [ADMN] }) { totalCount } } }`, {}],
  [
    "a mistyped enum value in variables",
    `query($r: [APIKeyRole!]) { organizations { apiKeys(filterBy: { role: $r }) { totalCount } } }`,
    { r: ["ADMN"] },
  ],
  [
    "a mistyped input field in variables",
    `mutation($input: CreateSecretAPIKeyInput!) { createSecretAPIKey(input: $input) { __typename } }`,
    { input: { secretKey: { nam: "x", role: "ADMIN" } } },
  ],
  ["a mistyped type in a variable definition", `query($r: APIKeyRol) { ping }`, {}],
  [
    "a mistyped enum value in an input object literal",
    `mutation { createSecretAPIKey(input: { secretKey: { name: "x", role: READONLI } }) { __typename } }`,
    {},
  ],
];

function messages(result: HttpResult): string {
  return (result.body.errors ?? []).map((error) => error.message).join("\n");
}

describe("suggestions", () => {
  it.each(MISTAKES)("are given outside production for %s", async (_name, query, variables) => {
    const result = await development.post(query, variables, bearer(development.adminKey));
    expect(result.status).toBe(400);
    expect(messages(result)).toMatch(/Did you mean/);
  });

  it.each(MISTAKES)("are never given in production, for %s", async (_name, query, variables) => {
    const result = await production.post(query, variables, bearer(production.adminKey));
    expect(result.status).toBe(400);
    expect(result.body.errors?.length).toBeGreaterThan(0);
    expect(messages(result)).not.toMatch(/Did you mean|Suggestion/i);
    // The error still says what is wrong.
    expect(messages(result)).toMatch(/"(rol|frist|ADMN|nam|APIKeyRol|READONLI)"/);
  });
});

describe("introspection in production", () => {
  const SCHEMA = `{ __schema { queryType { name } } }`;

  it("is refused to anonymous callers, whichever way the query asks", async () => {
    for (const query of [
      SCHEMA,
      `{ __type(name: "APIKey") { name fields { name } } }`,
      `query { ping ...Described } fragment Described on Query { __schema { types { name } } }`,
      getIntrospectionQuery(),
    ]) {
      const result = await production.post(query);
      expect(result.status).toBe(401);
      expect(result.body.errors?.[0].extensions?.code).toBe("UNAUTHENTICATED");
      expect(result.body.data).toBeUndefined();
    }
  });

  it("is answered for authenticated callers", async () => {
    const result = await production.post(getIntrospectionQuery(), {}, bearer(production.adminKey));
    expect(result.status).toBe(200);
    expect(result.body.data.__schema.queryType.name).toBe("Query");
  });

  it("leaves __typename and anonymous operations alone", async () => {
    const result = await production.post(`{ __typename ping }`);
    expect(result.body).toEqual({ data: { __typename: "Query", ping: "pong" } });
  });

  it("is open to everyone outside production", async () => {
    const result = await development.post(SCHEMA);
    expect(result.status).toBe(200);
    expect(result.body.data.__schema.queryType.name).toBe("Query");
  });

  it("is refused to everyone with KEYWAY_INTROSPECTION=none", async () => {
    const closed = await startTestServer({ ...PRODUCTION, KEYWAY_INTROSPECTION: "none" });
    try {
      const result = await closed.post(SCHEMA, {}, bearer(closed.adminKey));
      expect(result.status).toBe(400);
      expect(result.body.errors?.[0].extensions?.code).toBe("GRAPHQL_VALIDATION_FAILED");
      expect((await closed.post(`{ ping }`)).body.data).toEqual({ ping: "pong" });
    } finally {
      await closed.stop();
    }
  });

  it("defaults to authenticated in production and to all elsewhere; other values are refused at start", () => {
    expect(loadConfig({ NODE_ENV: "production" }).introspection).toBe("authenticated");
    expect(loadConfig({ NODE_ENV: "development" }).introspection).toBe("all");
    expect(loadConfig({ NODE_ENV: "production", KEYWAY_INTROSPECTION: "all" }).introspection).toBe("all");
    expect(() => loadConfig({ KEYWAY_INTROSPECTION: "sometimes" })).toThrow(ConfigError);
  });
});
