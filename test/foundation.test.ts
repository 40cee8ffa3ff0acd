import { ClientError } from "graphql-request";
import { APIKeyRole, Environment } from "../src/entities/enums";
import { Client } from "pg";
import { adminUrl } from "./helpers/database";
import { bearer, startTestServer, TestServer } from "./helpers/server";
import { waitFor } from "./helpers/wait";

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server?.stop();
});

describe("requests without credentials", () => {
  it("answers ping", async () => {
    const result = await server.post("{ ping }");
    expect({ status: result.status, body: result.body }).toEqual({ status: 200, body: { data: { ping: "pong" } } });
  });

  it("refuses everything else with 401 UNAUTHENTICATED", async () => {
    const result = await server.post("{ viewer { environment } }");
    expect(result.status).toBe(401);
    expect(result.body.errors?.[0].extensions?.code).toBe("UNAUTHENTICATED");
  });

  it("refuses a malformed key without saying more than 'Invalid API key'", async () => {
    const result = await server.post("{ ping }", {}, bearer("kw_test_notakeyatall"));
    expect(result.status).toBe(401);
    expect(result.body.errors?.[0]).toMatchObject({ message: "Invalid API key", extensions: { code: "UNAUTHENTICATED" } });
    expect(result.body.errors?.[0].extensions?.reason).toBeUndefined();
  });

  it("refuses a key with one character changed (checksum)", async () => {
    const key = server.adminKey;
    const typo = key.slice(0, 10) + (key[10] === "a" ? "b" : "a") + key.slice(11);
    const result = await server.post("{ viewer { environment } }", {}, bearer(typo));
    expect(result.status).toBe(401);
    expect(result.body.errors?.[0].message).toBe("Invalid API key");
  });
});

describe("the bootstrap key", () => {
  it("has the documented format", () => {
    expect(server.adminKey).toMatch(/^kw_test_[0-9A-Za-z]{36}$/);
  });

  it("authenticates with Bearer and shows the viewer", async () => {
    const data = await server.admin.request<any>(`{
      viewer { environment role permissions organization { id name plan } actor { __typename ... on APIKey { id role } } }
    }`);
    expect(data.viewer).toMatchObject({
      environment: "TEST",
      role: "ADMIN",
      organization: { plan: "PAID" },
      actor: { __typename: "APIKey", role: "ADMIN" },
    });
    expect(data.viewer.permissions).toContain("secret:write");
    expect(data.viewer.organization.id).toMatch(/^org_[0-9a-f]{32}$/);
  });

  it("authenticates with HTTP Basic, the key as username", async () => {
    const basic = Buffer.from(`${server.adminKey}:`).toString("base64");
    const result = await server.post("{ viewer { environment } }", {}, { authorization: `Basic ${basic}` });
    expect({ status: result.status, body: result.body }).toEqual({ status: 200, body: { data: { viewer: { environment: "TEST" } } } });
  });

  it("accepts a matching Keyway-Environment header and refuses a disagreeing one", async () => {
    const ok = await server.post("{ viewer { environment } }", {}, { ...bearer(server.adminKey), "keyway-environment": "TEST" });
    expect(ok.status).toBe(200);
    const mismatch = await server.post("{ viewer { environment } }", {}, { ...bearer(server.adminKey), "keyway-environment": "LIVE" });
    expect(mismatch.status).toBe(400);
    expect(mismatch.body.errors?.[0].extensions?.code).toBe("ENVIRONMENT_MISMATCH");
  });

  it("lists the viewer's organization", async () => {
    const data = await server.admin.request<any>("{ organizations { id name plan } }");
    expect(data.organizations).toHaveLength(1);
    expect(data.organizations[0].plan).toBe("PAID");
  });
});

describe("a second start on the same database", () => {
  it("creates nothing", async () => {
    expect(await server.app.bootstrap()).toBeNull();
  });
});

describe("tenancy", () => {
  it("hides a TEST key from LIVE and from another organization", async () => {
    const created = await server.admin.request<any>(
      `mutation { createSecretAPIKey(input: { secretKey: { name: "tenancy probe" } }) { ... on APIKey { id } } }`,
    );
    const id = created.createSecretAPIKey.id;
    const nodeQuery = `query($id: ID!) { node(id: $id) { id } }`;
    expect((await server.admin.request<any>(nodeQuery, { id })).node).toEqual({ id });

    const liveKey = await server.issueKey(APIKeyRole.ADMIN, Environment.LIVE);
    expect((await server.client(liveKey).request<any>(nodeQuery, { id })).node).toBeNull();

    const other = await server.otherOrganization();
    expect((await server.client(other.testKey).request<any>(nodeQuery, { id })).node).toBeNull();

    const revoke = `mutation($id: ID!) { revokeAPIKey(input: { apiKeyId: $id }) {
      __typename ... on UserError { errors { code errorPath } } } }`;
    for (const key of [liveKey, other.testKey]) {
      const result = await server.client(key).request<any>(revoke, { id });
      expect(result.revokeAPIKey).toEqual({ __typename: "UserError", errors: [{ code: "NOT_FOUND", errorPath: ["input", "apiKeyId"] }] });
    }
    expect((await server.admin.request<any>(`query($id: ID!) { node(id: $id) { ... on APIKey { status } } }`, { id })).node.status).toBe(
      "ACTIVE",
    );
  });
});

describe("errors and limits", () => {
  it("masks unexpected errors and gives the request id, never SQL", async () => {
    // The database refuses the insert, with SQL in its message: an error no rule anticipates.
    const db = server.app.services.dataSource;
    await db.query(
      `CREATE FUNCTION refuse_insert() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'SELECT * FROM api_keys failed'; END $$`,
    );
    await db.query(`CREATE TRIGGER refuse_insert BEFORE INSERT ON api_keys FOR EACH ROW EXECUTE FUNCTION refuse_insert()`);
    const response = await fetch(server.url, {
      method: "POST",
      headers: { "content-type": "application/json", ...bearer(server.adminKey) },
      body: JSON.stringify({ query: `mutation { createSecretAPIKey(input: { secretKey: { name: "refused" } }) { __typename } }` }),
    }).finally(() => db.query(`DROP TRIGGER refuse_insert ON api_keys; DROP FUNCTION refuse_insert()`));
    const body = await response.json();
    expect(body.errors[0]).toMatchObject({ message: "Internal server error", extensions: { code: "INTERNAL_SERVER_ERROR" } });
    expect(body.errors[0].extensions.requestId).toBe(response.headers.get("x-request-id"));
    expect(JSON.stringify(body)).not.toMatch(/SELECT|api_keys|stack/i);
  });

  it("refuses a cursor it did not write with BAD_USER_INPUT", async () => {
    const result = await server.post(`{ organizations { apiKeys(after: "garbage") { totalCount } } }`, {}, bearer(server.adminKey));
    expect(result.body.errors?.[0].extensions?.code).toBe("BAD_USER_INPUT");
  });

  it("refuses page sizes outside 1-100 with BAD_USER_INPUT", async () => {
    for (const first of [0, 101]) {
      const result = await server.post(`{ organizations { apiKeys(first: ${first}) { totalCount } } }`, {}, bearer(server.adminKey));
      expect(result.body.errors?.[0].extensions?.code).toBe("BAD_USER_INPUT");
    }
  });

  it("refuses queries deeper than 12", async () => {
    const deep = `{ viewer { organization { apiKeys { edges { node { ${"rotatedFrom { ".repeat(8)}id${" }".repeat(8)} } } } } } }`;
    const result = await server.post(deep, {}, bearer(server.adminKey));
    expect(result.body.errors?.[0].message).toMatch(/depth/i);
    expect(result.status).toBe(400);
    expect(result.body.errors?.[0].message).toMatch(/depth/i);
  });

  it("refuses more than 30 aliases", async () => {
    const aliases = Array.from({ length: 31 }, (_, i) => `a${i}: ping`).join(" ");
    const result = await server.post(`{ ${aliases} }`, {}, bearer(server.adminKey));
    expect(result.status).toBe(400);
    expect(result.body.errors?.[0].message).toMatch(/alias/i);
  });

  it("refuses bodies over 1 MB with a JSON error", async () => {
    const response = await fetch(server.url, {
      method: "POST",
      headers: { "content-type": "application/json", ...bearer(server.adminKey) },
      body: JSON.stringify({ query: "{ ping }", variables: { pad: "x".repeat(1024 * 1024) } }),
    });
    expect(response.status).toBe(413);
    expect((await response.json()).errors[0].message).toMatch(/1 MB/);
  });

  it("is unhealthy only when the database is", async () => {
    // A server of its own, whose database the test takes away and gives back.
    const own = await startTestServer();
    const name = new URL(own.app.databaseUrl).pathname.slice(1);
    const admin = new Client({ connectionString: adminUrl() });
    await admin.connect();
    const health = async () => {
      const response = await fetch(own.url.replace("/graphql", "/healthz"));
      return { status: response.status, body: await response.json() };
    };
    try {
      expect(await health()).toEqual({ status: 200, body: { status: "ok" } });
      await admin.query(`ALTER DATABASE ${name} ALLOW_CONNECTIONS false`);
      await admin.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1", [name]);
      const down = await waitFor(
        async () => {
          const answer = await health();
          return answer.status !== 200 && answer;
        },
        undefined,
        "/healthz to see the outage",
      );
      expect(down).toEqual({ status: 503, body: { status: "unavailable" } });
      await admin.query(`ALTER DATABASE ${name} ALLOW_CONNECTIONS true`);
      expect(
        await waitFor(
          async () => {
            const answer = await health();
            return answer.status === 200 && answer;
          },
          undefined,
          "/healthz to see the database back",
        ),
      ).toEqual({ status: 200, body: { status: "ok" } });
    } finally {
      await admin.query(`ALTER DATABASE ${name} ALLOW_CONNECTIONS true`);
      await admin.end();
      await own.stop();
    }
  });

  it("turns a graphql-request call with errors into a ClientError", async () => {
    await expect(server.client(null).request("{ viewer { role } }")).rejects.toBeInstanceOf(ClientError);
  });
});

describe("compiled queries", () => {
  // A query runs interpreted (graphql-js) the first time and compiled (graphql-jit) after that:
  // both must answer alike, data, errors and HTTP status.
  const runs = async (query: string, variables: Record<string, unknown>, key: string) => {
    const results = [];
    for (let run = 0; run < 3; run++) {
      const result = await server.post(query, variables, bearer(key));
      for (const error of result.body.errors ?? []) delete (error.extensions as Record<string, unknown> | undefined)?.requestId;
      results.push({ status: result.status, body: result.body });
    }
    expect(results[1]).toEqual(results[0]);
    expect(results[2]).toEqual(results[0]);
    return results[0];
  };

  it("answers a list with unions, interfaces, enums, dates, counts and directives alike", async () => {
    const created = await server.admin.request<any>(
      `mutation { createSecretAPIKey(input: { secretKey: { name: "compiled probe", role: READONLY } }) { ... on APIKey { id } } }`,
    );
    const query = `query($first: Int!, $withCount: Boolean!, $id: ID!) {
      viewer { environment role }
      node(id: $id) { __typename id ... on APIKey { name status } }
      organizations { apiKeys(first: $first, filterBy: { search: "compiled" }) {
        totalCount @include(if: $withCount)
        edges { cursor node { id name role status createdAt expiresAt usageCount rotatedFrom { id }
          createdBy { __typename ... on APIKey { id name } ... on User { email } } } }
        pageInfo { hasNextPage hasPreviousPage endCursor } } } }`;
    const result = await runs(query, { first: 5, withCount: true, id: created.createSecretAPIKey.id }, server.adminKey);
    expect(result.status).toBe(200);
    const data = result.body.data;
    expect(data.node).toEqual({ __typename: "APIKey", id: created.createSecretAPIKey.id, name: "compiled probe", status: "ACTIVE" });
    const list = data.organizations[0].apiKeys;
    expect(list.totalCount).toBe(1);
    expect(list.edges[0].node).toMatchObject({ name: "compiled probe", role: "READONLY", expiresAt: null, rotatedFrom: null });
    expect(list.edges[0].node.createdAt).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    expect(list.edges[0].node.createdBy).toMatchObject({ __typename: "APIKey" });
  });

  it("reports a refused field with its path, keeping the rest of the data, alike", async () => {
    const readonly = await server.issueKey(APIKeyRole.READONLY);
    const result = await runs(`{ viewer { role } organizations { name sharedSecret { secret } } }`, {}, readonly);
    expect(result.body.errors?.[0]).toMatchObject({ extensions: { code: "FORBIDDEN" }, path: ["organizations", 0, "sharedSecret"] });
    expect(result.body.data.viewer).toEqual({ role: "READONLY" });
  });

  it("refuses a variable of the wrong type with 400 BAD_USER_INPUT, alike", async () => {
    const result = await runs(
      `query($first: Int) { organizations { apiKeys(first: $first) { totalCount } } }`,
      { first: "ten" },
      server.adminKey,
    );
    expect(result.status).toBe(400);
    expect(result.body.errors?.[0].extensions?.code).toBe("BAD_USER_INPUT");
  });
});

describe("timestamps", () => {
  it("keep milliseconds and time zones through a round trip", async () => {
    const mutation = `mutation($expiresAt: DateTime) { createSecretAPIKey(input: { secretKey: { name: "timestamp probe", expiresAt: $expiresAt } }) {
      ... on APIKey { id expiresAt } } }`;
    const created = (await server.admin.request<any>(mutation, { expiresAt: "2031-06-15T08:30:00.290+05:30" })).createSecretAPIKey;
    expect(created.expiresAt).toBe("2031-06-15T03:00:00.290Z");
    const read = await server.admin.request<any>(`query($id: ID!) { node(id: $id) { ... on APIKey { expiresAt createdAt } } }`, {
      id: created.id,
    });
    expect(read.node.expiresAt).toBe("2031-06-15T03:00:00.290Z");
    expect(Math.abs(Date.parse(read.node.createdAt) - Date.now())).toBeLessThan(60_000);
  });
});
