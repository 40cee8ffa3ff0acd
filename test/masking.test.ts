import { Writable } from "node:stream";
import { Client } from "pg";
import { createLogger } from "../src/logger";
import { bearer, startTestServer, TestServer } from "./helpers/server";

/** Every line the server logs, parsed. */
const logLines: Array<Record<string, any>> = [];
const logDestination = new Writable({
  write(chunk, _encoding, done) {
    for (const line of String(chunk).split("\n").filter(Boolean)) logLines.push(JSON.parse(line));
    done();
  },
});

let server: TestServer;
let db: Client;

beforeAll(async () => {
  server = await startTestServer({}, { logger: createLogger("info", logDestination) });
  db = new Client({ connectionString: server.app.databaseUrl });
  await db.connect();
});
afterAll(async () => {
  await db?.end();
  await server?.stop();
});

interface Answer {
  status: number;
  requestId: string | null;
  body: { data?: any; errors?: Array<{ message: string; path?: unknown[]; extensions?: Record<string, any> }> };
  text: string;
}

async function send(
  query: string,
  variables: Record<string, unknown> = {},
  headers = bearer(server.adminKey),
  operationName?: string,
): Promise<Answer> {
  const response = await fetch(server.url, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify({ query, variables, ...(operationName ? { operationName } : {}) }),
  });
  const text = await response.text();
  return { status: response.status, requestId: response.headers.get("x-request-id"), body: JSON.parse(text), text };
}

/** The unexpected-error log lines of one request. */
function causesLogged(requestId: string | null): Array<Record<string, any>> {
  return logLines.filter((line) => line.requestId === requestId && line.msg === "unexpected error");
}

/**
 * The client sees "Internal server error" and the request id, nothing of the cause; the cause is
 * logged once under that id.
 */
function expectMasked(answer: Answer, cause: RegExp): void {
  expect(answer.body.errors?.length).toBeGreaterThan(0);
  for (const error of answer.body.errors!) {
    expect(error.message).toBe("Internal server error");
    expect(error.extensions).toEqual({ code: "INTERNAL_SERVER_ERROR", requestId: answer.requestId });
  }
  expect(answer.text).not.toMatch(cause);
  expect(answer.text).not.toMatch(/SELECT|column "|relation "|cannot represent|non-nullable|Expected|stack|at \w+ \(/i);
  const logged = causesLogged(answer.requestId);
  expect(logged).toHaveLength(answer.body.errors!.length);
  for (const line of logged) {
    expect(JSON.stringify(line.err)).toMatch(cause);
    // Statement parameters may be secrets: the log has the statement, never its values.
    expect(line.err.parameters).toBeUndefined();
  }
}

/** Runs a query twice: the first run is interpreted by graphql-js, the second runs compiled (graphql-jit). */
async function bothRuns(query: string, variables: Record<string, unknown> = {}): Promise<[Answer, Answer]> {
  const first = await send(query, variables);
  const second = await send(query, variables);
  return [first, second];
}

async function createKey(name: string): Promise<string> {
  const result = await send(`mutation($input: CreateSecretAPIKeyInput!) { createSecretAPIKey(input: $input) { ... on APIKey { id } } }`, {
    input: { secretKey: { name, role: "READONLY" } },
  });
  expect(result.body.errors).toBeUndefined();
  return result.body.data.createSecretAPIKey.id;
}

describe("masking on every execution path", () => {
  it("masks a serialization failure (an enum value the schema lacks), interpreted and compiled, in a list, node() and a mutation payload", async () => {
    const creator = await send(
      `mutation($input: CreateSecretAPIKeyInput!) { createSecretAPIKey(input: $input) { ... on APIKey { id key } } }`,
      { input: { secretKey: { name: "bogus role", role: "ADMIN" } } },
    );
    const { id, key } = creator.body.data.createSecretAPIKey;
    const created = await send(
      `mutation($input: CreateSecretAPIKeyInput!) { createSecretAPIKey(input: $input) { ... on APIKey { id } } }`,
      { input: { secretKey: { name: "created by bogus", role: "READONLY" } } },
      bearer(key),
    );
    const createdId = created.body.data.createSecretAPIKey.id;
    await db.query(`ALTER TYPE api_key_role ADD VALUE IF NOT EXISTS 'BOGUS'`);
    await db.query(`UPDATE api_keys SET role = 'BOGUS' WHERE name = 'bogus role'`);
    try {
      const list = `query BogusList { organizations { apiKeys(first: 100) { edges { node { id name role } } } } }`;
      for (const answer of await bothRuns(list)) {
        expect(answer.status).toBe(200);
        expectMasked(answer, /BOGUS|APIKeyRole/);
      }
      const node = `query BogusNode($id: ID!) { node(id: $id) { ... on APIKey { id role } } }`;
      for (const answer of await bothRuns(node, { id })) expectMasked(answer, /BOGUS|APIKeyRole/);

      const mutation = `mutation BogusCreator($input: UpdateAPIKeyInput!) {
        updateAPIKey(input: $input) { ... on APIKey { id createdBy { ... on APIKey { id role } } } }
      }`;
      for (const answer of await bothRuns(mutation, { input: { apiKeyId: createdId, description: "touched" } })) {
        expectMasked(answer, /BOGUS|APIKeyRole/);
      }
    } finally {
      await db.query(`UPDATE api_keys SET role = 'READONLY' WHERE name = 'bogus role'`);
    }
  });

  it("masks an exception thrown by a resolver's own code (a TypeError on a corrupt row), in a mutation run twice", async () => {
    const id = await createKey("throws");
    await db.query(`ALTER TYPE api_key_role ADD VALUE IF NOT EXISTS 'BOGUS'`);
    await db.query(`UPDATE api_keys SET role = 'BOGUS' WHERE name = 'throws'`);
    try {
      // Changing a key checks that its role is within the caller's: the unknown role makes that code throw.
      const mutation = `mutation Throws($input: UpdateAPIKeyInput!) { updateAPIKey(input: $input) { ... on APIKey { id } } }`;
      for (const answer of await bothRuns(mutation, { input: { apiKeyId: id, description: "touched" } })) {
        expect(answer.status).toBe(200);
        expectMasked(answer, /Cannot read properties/);
      }
    } finally {
      await db.query(`UPDATE api_keys SET role = 'READONLY' WHERE name = 'throws'`);
    }
  });

  it("masks graphql-js's own completion errors (null for a non-null field), interpreted and compiled, in a query and a mutation", async () => {
    const id = await createKey("nameless");
    await db.query(`ALTER TABLE api_keys ALTER COLUMN name DROP NOT NULL`);
    await db.query(`UPDATE api_keys SET name = NULL WHERE name = 'nameless'`);

    const node = `query Nameless($id: ID!) { node(id: $id) { ... on APIKey { id name } } }`;
    for (const answer of await bothRuns(node, { id })) {
      expect(answer.status).toBe(200);
      expectMasked(answer, /non-nullable|APIKey\.name/);
    }
    const mutation = `mutation NamelessUpdate($input: UpdateAPIKeyInput!) { updateAPIKey(input: $input) { ... on APIKey { id name } } }`;
    for (const answer of await bothRuns(mutation, { input: { apiKeyId: id, description: "touched" } }))
      expectMasked(answer, /non-nullable|APIKey\.name/);

    await db.query(`UPDATE api_keys SET name = 'named again' WHERE name IS NULL`);
    await db.query(`ALTER TABLE api_keys ALTER COLUMN name SET NOT NULL`);
  });

  it("masks a database error thrown in a resolver, interpreted and compiled, in a query and a mutation", async () => {
    await db.query(`ALTER TABLE audit_log RENAME COLUMN target_id TO target_id_gone`);
    try {
      const query = `query BrokenAudit { organizations { auditLog(first: 10) { edges { node { id action targetId } } } } }`;
      for (const answer of await bothRuns(query)) {
        expect(answer.status).toBe(200);
        expectMasked(answer, /target_id/);
      }
      const mutation = `mutation BrokenCreate($input: CreateSecretAPIKeyInput!) { createSecretAPIKey(input: $input) { ... on APIKey { id } } }`;
      for (const answer of await bothRuns(mutation, { input: { secretKey: { name: `unwritten ${Date.now()}`, role: "READONLY" } } })) {
        expectMasked(answer, /target_id/);
      }
    } finally {
      await db.query(`ALTER TABLE audit_log RENAME COLUMN target_id_gone TO target_id`);
    }
    // Nothing was half-written: the failed mutation's key is not there.
    const keys = await send(`{ organizations { apiKeys(first: 100, filterBy: { search: "unwritten" }) { totalCount } } }`);
    expect(keys.body.data.organizations[0].apiKeys.totalCount).toBe(0);
  });
});

describe("deliberate errors", () => {
  it("keep their message and code on the first and the compiled run", async () => {
    for (const [query, code] of [
      [`query BadCursor { organizations { apiKeys(after: "garbage") { totalCount } } }`, "BAD_USER_INPUT"],
      [`query BigPage { organizations { apiKeys(first: 101) { totalCount } } }`, "BAD_USER_INPUT"],
    ]) {
      for (const answer of await bothRuns(query)) {
        expect(answer.body.errors?.[0].extensions?.code).toBe(code);
        expect(answer.body.errors?.[0].message).not.toBe("Internal server error");
        expect(causesLogged(answer.requestId)).toHaveLength(0);
      }
    }
  });
});

describe("requests that fail outside execution", () => {
  it("answers an operationName that names no operation with 400, not 500", async () => {
    const answer = await send("query A { ping }", {}, bearer(server.adminKey), "B");
    expect(answer.status).toBe(400);
    expect(answer.body.errors?.[0].message).toBe('Unknown operation named "B".');
    expect(answer.body.errors?.[0].extensions?.code).toBe("OPERATION_RESOLUTION_FAILURE");
    expect(answer.body.data).toBeUndefined();
  });

  it("masks and logs a failure while authenticating (the context), with the request id", async () => {
    const key = await server.issueKey("READONLY" as never);
    await db.query(`ALTER TABLE api_keys RENAME TO api_keys_gone`);
    try {
      const answer = await send("{ viewer { role } }", {}, bearer(key));
      expect(answer.status).toBe(500);
      expectMasked(answer, /api_keys/);
    } finally {
      await db.query(`ALTER TABLE api_keys_gone RENAME TO api_keys`);
    }
  });
});
