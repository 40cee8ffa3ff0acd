import { KEY_FIELDS, restrictedKey, updateKey, windowSecondsWithTimeLeft } from "./helpers/api-key-controls";
import { bearer, startTestServer, TestServer } from "./helpers/server";
import { startSecondInstance, SecondInstance } from "./helpers/second-instance";
import { waitFor } from "./helpers/wait";

/** API key controls with two Keyway processes on one database, as in a deployment with several instances. */
let first: TestServer;
let second: SecondInstance;

async function call(url: string, key: string, query = "{ viewer { permissions } }") {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...bearer(key) },
    body: JSON.stringify({ query }),
  });
  return { status: response.status, body: await response.json() };
}

async function keyById(id: string, extra = "") {
  const data = await first.admin.request<any>(`query($id: ID!) { node(id: $id) { ... on APIKey { ${KEY_FIELDS} ${extra} } } }`, { id });
  return data.node;
}

beforeAll(async () => {
  first = await startTestServer();
  second = await startSecondInstance(first);
});
afterAll(async () => {
  await second?.stop();
  await first?.stop();
});

it("applies an update of permissions, allowlist and rate limit in the other process within a second", async () => {
  const key = await restrictedKey(first, ["events:read"]);
  expect((await call(second.server.url, key.key)).body.data.viewer.permissions).toEqual(["events:read"]); // now cached there

  await updateKey(first, first.adminKey, { apiKeyId: key.id, permissions: ["keys:read", "audit:read"] });
  await waitFor(
    async () => {
      const result = await call(second.server.url, key.key);
      return JSON.stringify(result.body.data?.viewer.permissions) === '["audit:read","keys:read"]' ? true : undefined;
    },
    1000,
    "the new permissions in the second process",
  );

  await updateKey(first, first.adminKey, { apiKeyId: key.id, allowedIps: ["10.0.0.0/8"] });
  const refused = await waitFor(
    async () => {
      const result = await call(second.server.url, key.key);
      return result.status === 401 ? result : undefined;
    },
    1000,
    "the allowlist in the second process",
  );
  expect(refused.body.errors[0].extensions.reason).toBe("IP_NOT_ALLOWED");

  await updateKey(first, first.adminKey, {
    apiKeyId: key.id,
    allowedIps: null,
    rateLimit: { limit: 1, windowSeconds: windowSecondsWithTimeLeft() },
  });
  const limited = await waitFor(
    async () => {
      const result = await call(second.server.url, key.key);
      return result.status === 429 ? result : undefined;
    },
    1000,
    "the rate limit in the second process",
  );
  expect(limited.body.errors[0].extensions.code).toBe("RATE_LIMITED");
});

it("holds a rate limit across processes: the total admitted stays within the limit plus what each process admits before it learns the others' count", async () => {
  const limit = 40;
  const key = await restrictedKey(first, ["events:read"], { rateLimit: { limit, windowSeconds: windowSecondsWithTimeLeft() } });
  const urls = [first.url, second.server.url];
  // A burst: 120 requests, 10 at a time on each process, at once.
  let admitted = 0;
  let refused = 0;
  await Promise.all(
    urls.flatMap((url) =>
      Array.from({ length: 10 }, async () => {
        for (let i = 0; i < 6; i++) {
          const { status } = await call(url, key.key, "{ viewer { role } }");
          if (status === 200) admitted++;
          else if (status === 429) refused++;
          else throw new Error(`HTTP ${status}`);
        }
      }),
    ),
  );
  expect(admitted + refused).toBe(120);
  expect(admitted).toBeGreaterThanOrEqual(limit);
  expect(admitted).toBeLessThanOrEqual(2 * limit);
  // Once both have flushed, both refuse: the window is full everywhere.
  await waitFor(async () => ((await keyById(key.id)).usageCount === admitted ? true : undefined), 3000, "both processes' counts");
  for (const url of urls) {
    await waitFor(async () => ((await call(url, key.key)).status === 429 ? true : undefined), 3000, `a refusal from ${url}`);
  }
  process.stdout.write(`rate limit ${limit} across 2 processes, burst of 120: ${admitted} admitted (overshoot ${admitted - limit})\n`);

  // A process that has not seen the key yet reads the window's count at once instead of admitting a whole limit.
  const sequential = await restrictedKey(first, ["events:read"], { rateLimit: { limit: 10, windowSeconds: windowSecondsWithTimeLeft() } });
  for (let i = 0; i < 10; i++) expect((await call(first.url, sequential.key)).status).toBe(200);
  expect((await call(first.url, sequential.key)).status).toBe(429);
  await waitFor(async () => ((await keyById(sequential.id)).usageCount === 10 ? true : undefined), 3000, "the first process's flush");
  let late = 0;
  for (let i = 0; i < 10; i++) if ((await call(second.server.url, sequential.key)).status === 200) late++;
  expect(late).toBeLessThanOrEqual(3);
  process.stdout.write(`rate limit 10 used up in one process, then 10 requests to the other: ${late} admitted there\n`);
});

it("keeps daily usage equal to usageCount across flushes, processes and a graceful shutdown", async () => {
  const key = await restrictedKey(first, ["events:read"]);
  const usage = async () => {
    const node = await keyById(key.id, "usage(days: 2) { date requestCount }");
    return { count: node.usageCount as number, sum: node.usage.reduce((total: number, day: any) => total + day.requestCount, 0) as number };
  };
  for (let i = 0; i < 7; i++) expect((await call(first.url, key.key)).status).toBe(200);
  await waitFor(async () => ((await usage()).count === 7 ? true : undefined), 3000, "the first flush");
  expect(await usage()).toEqual({ count: 7, sum: 7 });

  for (let i = 0; i < 5; i++) expect((await call(second.server.url, key.key)).status).toBe(200);
  for (let i = 0; i < 3; i++) expect((await call(first.url, key.key)).status).toBe(200);
  // Stop the second process right away: its counts must reach both counters.
  await second.stop();
  second = await startSecondInstance(first);
  await waitFor(async () => ((await usage()).count === 15 ? true : undefined), 3000, "usage of 15");
  expect(await usage()).toEqual({ count: 15, sum: 15 });
  const { usage: days } = await keyById(key.id, "usage(days: 1) { date requestCount }");
  expect(days).toEqual([{ date: new Date().toISOString().slice(0, 10), requestCount: 15 }]);
});
