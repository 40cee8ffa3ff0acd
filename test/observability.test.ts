import { Writable } from "node:stream";
import { APIKeyRole } from "../src/entities/enums";
import { createLogger } from "../src/logger";
import { MAX_OPERATION_NAMES } from "../src/metrics";
import { Receiver } from "./helpers/receiver";
import { waitFor } from "./helpers/wait";
import { bearer, startTestServer, TestServer } from "./helpers/server";

/** Every line the server logs, at every level. */
const logLines: string[] = [];
const logDestination = new Writable({
  write(chunk, _encoding, done) {
    logLines.push(...String(chunk).split("\n").filter(Boolean));
    done();
  },
});

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({}, { logger: createLogger("trace", logDestination) });
});
afterAll(async () => {
  await server?.stop();
});

async function scrape(target: TestServer = server): Promise<string> {
  const response = await fetch(new URL("/metrics", target.url));
  expect(response.status).toBe(200);
  expect(response.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
  return response.text();
}

/** The value of one sample, e.g. sample(text, 'keyway_graphql_requests_total{operation="X",type="query",status="200"}'). */
function sample(text: string, series: string): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(series + " "));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe("GET /metrics", () => {
  it("counts GraphQL requests and their latency by operation name, type and status", async () => {
    const before = await scrape();
    for (let i = 0; i < 3; i++)
      await server.post("query InventoryCount { organizations { apiKeys { totalCount } } }", {}, bearer(server.adminKey));
    await server.post(
      `mutation CreateProbeKey { createSecretAPIKey(input: { secretKey: { name: "metrics probe" } }) { __typename } }`,
      {},
      bearer(server.adminKey),
    );
    await server.post("query WhoAmI { viewer { role } }");
    await server.post("query WithBadKey { ping }", {}, bearer("kw_test_notakey"));
    await server.post("{ ping }");
    await server.post("{ nope }");

    const text = await scrape();
    // Other tests of this file send requests too: what these requests added.
    const added = (series: string) => (sample(text, series) ?? 0) - (sample(before, series) ?? 0);
    expect(added('keyway_graphql_requests_total{operation="InventoryCount",type="query",status="200"}')).toBe(3);
    expect(added('keyway_graphql_requests_total{operation="CreateProbeKey",type="mutation",status="200"}')).toBe(1);
    expect(added('keyway_graphql_requests_total{operation="WhoAmI",type="query",status="401"}')).toBe(1);
    // Refused before an operation is chosen (bad key, invalid document): counted with their status.
    expect(added('keyway_graphql_requests_total{operation="unknown",type="unknown",status="401"}')).toBe(1);
    expect(added('keyway_graphql_requests_total{operation="anonymous",type="query",status="200"}')).toBe(1);
    expect(added('keyway_graphql_requests_total{operation="unknown",type="unknown",status="400"}')).toBe(1);
    expect(added('keyway_graphql_request_duration_seconds_count{operation="InventoryCount",type="query"}')).toBe(3);
    expect(added('keyway_graphql_request_duration_seconds_bucket{le="+Inf",operation="InventoryCount",type="query"}')).toBe(3);
    expect(text).toContain("# TYPE process_cpu_user_seconds_total counter");
  });

  it("reports key-cache hits and misses and the cache size", async () => {
    // The bootstrap key, used (and so cached) beside the new one.
    expect((await server.post("{ viewer { role } }", {}, bearer(server.adminKey))).status).toBe(200);
    const before = await scrape();
    const key = await server.issueKey(APIKeyRole.READONLY);
    for (let i = 0; i < 4; i++) expect((await server.post("{ viewer { role } }", {}, bearer(key))).status).toBe(200);
    const after = await scrape();
    const delta = (series: string) => sample(after, series)! - (sample(before, series) ?? 0);
    expect(delta('keyway_api_key_cache_lookups_total{result="miss"}')).toBe(1);
    expect(delta('keyway_api_key_cache_lookups_total{result="hit"}')).toBe(3);
    expect(sample(after, "keyway_api_key_cache_entries")).toBeGreaterThanOrEqual(2);
  });

  it("reports the job queue's depth by state", async () => {
    const { dataSource } = server.app.services;
    // Other jobs (a recurring sweep) may be scheduled too: compare with the count before.
    const scheduled = async () => sample(await scrape(), 'keyway_job_queue_jobs{state="scheduled"}')!;
    const before = await scheduled();
    await dataSource.query(
      `SELECT graphile_worker.add_job('metrics_probe', '{}'::json, run_at => now() + interval '1 hour', job_key => 'metrics-probe')`,
    );
    try {
      expect(await scheduled()).toBe(before + 1);
    } finally {
      await dataSource.query(`SELECT graphile_worker.remove_job('metrics-probe')`);
    }
    expect(await scheduled()).toBe(before);
    expect(sample(await scrape(), 'keyway_job_queue_jobs{state="failed"}')).toBe(0);
  });

  it("counts delivery outcomes as targets are activated", async () => {
    const receiver = await Receiver.start();
    try {
      receiver.answer("refuses", 500);
      const add = `mutation($input: AddWebhookNotificationTargetInput!) {
        addWebhookNotificationTarget(input: $input) { __typename } }`;
      for (const name of ["accepts", "refuses"]) {
        // Subscribed to an event no test here causes: the activation is the only delivery either gets.
        const result = await server.admin.request<any>(add, {
          input: { name, uri: receiver.target(name), subscriptions: ["USER_ROLE_UPDATED"] },
        });
        expect(result.addWebhookNotificationTarget.__typename).toBe("WebhookNotificationTarget");
      }
      const counts = await waitFor(
        async () => {
          const text = await scrape();
          const success = sample(text, 'keyway_deliveries_total{outcome="success"}') ?? 0;
          const failure = sample(text, 'keyway_deliveries_total{outcome="failure"}') ?? 0;
          return success >= 1 && failure >= 1 ? { success, failure } : undefined;
        },
        undefined,
        "both activation attempts to be counted",
      );
      expect(counts).toEqual({ success: 1, failure: 1 });
    } finally {
      await receiver.stop();
    }
  });

  it("keeps at most MAX_OPERATION_NAMES operation names; the rest count as other", async () => {
    // A server of its own: once full, the names of the other tests' operations would count as other too.
    const flooded = await startTestServer();
    const names = Array.from({ length: MAX_OPERATION_NAMES + 5 }, (_, i) => `Flood${i}`);
    let text: string;
    try {
      for (let i = 0; i < names.length; i += 20) {
        await Promise.all(names.slice(i, i + 20).map((name) => flooded.post(`query ${name} { ping }`)));
      }
      text = await scrape(flooded);
    } finally {
      await flooded.stop();
    }
    const series = text.split("\n").filter((line) => line.startsWith("keyway_graphql_requests_total{"));
    const operations = new Set(series.map((line) => /operation="([^"]*)"/.exec(line)![1]));
    expect(operations.size).toBe(MAX_OPERATION_NAMES + 1);
    expect(sample(text, 'keyway_graphql_requests_total{operation="other",type="query",status="200"}')).toBeGreaterThanOrEqual(5);
  });

  it("belongs to one server: another in the same process counts only its own requests", async () => {
    const other = await startTestServer();
    try {
      await other.post("query OnlyOnTheOther { ping }");
      const text = await scrape(other);
      expect(sample(text, 'keyway_graphql_requests_total{operation="OnlyOnTheOther",type="query",status="200"}')).toBe(1);
      expect(text).not.toContain("InventoryCount");
      expect(await scrape()).not.toContain("OnlyOnTheOther");
    } finally {
      await other.stop();
    }
  });
});

describe("request logs", () => {
  it("have one JSON line per request with its id, operation, status and duration", async () => {
    const response = await fetch(server.url, {
      method: "POST",
      headers: { "content-type": "application/json", ...bearer(server.adminKey) },
      body: JSON.stringify({ query: "query LoggedQuery { viewer { environment } }" }),
    });
    const requestId = response.headers.get("x-request-id");
    expect(requestId).toMatch(/^[0-9a-f-]{36}$/);
    await response.json();

    const lines = logLines.map((line) => JSON.parse(line)).filter((entry) => entry.requestId === requestId && entry.msg === "request");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      service: "keyway",
      method: "POST",
      path: "/graphql",
      operation: "LoggedQuery",
      operationType: "query",
      status: 200,
    });
    expect(lines[0].durationMs).toBeGreaterThanOrEqual(0);
  });

  it("cover requests refused before GraphQL runs, with the id the response carries", async () => {
    const response = await fetch(server.url, {
      method: "POST",
      headers: { "content-type": "application/json", ...bearer("kw_test_notakey") },
      body: JSON.stringify({ query: "query Refused { ping }" }),
    });
    expect(response.status).toBe(401);
    const requestId = response.headers.get("x-request-id");
    expect(requestId).toMatch(/^[0-9a-f-]{36}$/);
    const lines = logLines.map((line) => JSON.parse(line)).filter((entry) => entry.requestId === requestId && entry.msg === "request");
    expect(lines).toEqual([expect.objectContaining({ path: "/graphql", operation: "unknown", status: 401 })]);
  });

  it("never contain a key: not the one authenticating, not one created or rotated", async () => {
    const created = await server.admin.request<any>(
      `mutation CreateLoggedKey($input: CreateSecretAPIKeyInput!) { createSecretAPIKey(input: $input) { ... on APIKey { id key } } }`,
      { input: { secretKey: { name: "log probe", role: "ADMIN" } } },
    );
    const { id, key } = created.createSecretAPIKey;
    expect(key).toMatch(/^kw_test_/);
    // The new key authenticates, is rotated (a second plaintext), and a request with a refused key fails.
    expect((await server.post("{ viewer { role } }", {}, bearer(key))).status).toBe(200);
    const rotated = await server
      .client(key)
      .request<any>(`mutation($input: RotateAPIKeyInput!) { rotateAPIKey(input: $input) { ... on APIKey { key } } }`, {
        input: { apiKeyId: id },
      });
    const rotatedKey = rotated.rotateAPIKey.key;
    expect(rotatedKey).toMatch(/^kw_test_/);
    const revoked = await server.admin.request<any>(`mutation($id: ID!) { revokeAPIKey(input: { apiKeyId: $id }) { __typename } }`, {
      id: (await server.client(rotatedKey).request<any>("{ viewer { actor { ... on APIKey { id } } } }")).viewer.actor.id,
    });
    expect(revoked.revokeAPIKey.__typename).toBe("APIKey");
    expect((await server.post("{ viewer { role } }", {}, bearer(rotatedKey))).status).toBe(401);

    const log = logLines.join("\n");
    expect(logLines.filter((line) => line.includes('"operation":"CreateLoggedKey"')).length).toBe(1);
    for (const secret of [server.adminKey, key, rotatedKey]) {
      // The first 12 characters are the public prefix; the rest is secret.
      expect(log).not.toContain(secret.slice(12));
    }
    expect(log.toLowerCase()).not.toContain('"authorization"');
    expect(log).not.toContain("log probe");
  });
});
