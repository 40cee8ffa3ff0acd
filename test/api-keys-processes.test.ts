import { postTo } from "./helpers/client";
import { bearer, startTestServer, TestServer } from "./helpers/server";
import { createKey } from "./helpers/keys";
import { startSecondInstance, SecondInstance } from "./helpers/second-instance";
import { waitFor } from "./helpers/wait";

/** Two Keyway processes on one database, as in a deployment with several instances. */
let first: TestServer;
let second: SecondInstance;

function viaSecond(key: string) {
  return postTo(second.server.url, "{ viewer { role } }", {}, bearer(key));
}

beforeAll(async () => {
  first = await startTestServer();
  second = await startSecondInstance(first);
});
afterAll(async () => {
  await second?.stop();
  await first?.stop();
});

// A key change is promised to reach every process "within 1 s"; that is a latency for a benchmark to measure, not for a test to assert. The waits below are
// headroom well under the cache's 60 s TTL, so only the change notification can make them pass.
it("refuses a key revoked through another process, despite its cache", async () => {
  const key = await createKey(first.admin, { name: "shared" });
  expect((await viaSecond(key.key)).status).toBe(200); // now cached in the second process
  for (const [mutation, reason] of [
    ["deactivateAPIKey", "DEACTIVATED"],
    ["revokeAPIKey", "REVOKED"],
  ] as const) {
    if (mutation === "revokeAPIKey") {
      await first.admin.request(`mutation($id: ID!) { activateAPIKey(input: { apiKeyId: $id }) { __typename } }`, { id: key.id });
      await waitFor(async () => (await viaSecond(key.key)).status === 200, undefined, "re-activation to reach the second process");
    }
    await first.admin.request(`mutation($id: ID!) { ${mutation}(input: { apiKeyId: $id }) { __typename } }`, { id: key.id });
    const refused = await waitFor(
      async () => {
        const result = await viaSecond(key.key);
        return result.status === 401 ? result : undefined;
      },
      undefined,
      `${mutation} to reach the second process`,
    );
    expect(refused.body.errors?.[0].extensions?.reason).toBe(reason);
  }
});

it("counts usage exactly across processes, flushing on graceful shutdown", async () => {
  const key = await createKey(first.admin, { name: "counted" });
  for (let i = 0; i < 20; i++) expect((await viaSecond(key.key)).status).toBe(200);
  for (let i = 0; i < 5; i++) expect((await first.post("{ viewer { role } }", {}, bearer(key.key))).status).toBe(200);
  // Stop the second process right away: its counts must not be lost.
  await second.stop();
  second = await startSecondInstance(first);
  const count = await waitFor(
    async () => {
      const data = await first.admin.request<any>(`query($id: ID!) { node(id: $id) { ... on APIKey { usageCount lastUsedAt } } }`, {
        id: key.id,
      });
      return data.node.usageCount === 25 ? data.node : undefined;
    },
    undefined,
    "usage count of 25",
  );
  expect(count.lastUsedAt).not.toBeNull();
});
