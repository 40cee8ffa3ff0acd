const autocannon = require("autocannon");
const { startDatabase, startKeyway, graphql } = require("./lib/server");
const Q = process.env.Q || `{ organizations { apiKeys(first: 20) { edges { node {
  id name description environment role status prefix redactedKey createdAt updatedAt expiresAt lastUsedAt usageCount
  deactivatedAt revokedAt createdBy { __typename } } } pageInfo { hasNextPage endCursor } } } }`;
(async () => {
  const db = await startDatabase();
  const kw = await startKeyway(db.url, {});
  for (let i = 0; i < 25; i++) await graphql(kw.url, kw.key, `mutation { createSecretAPIKey(input: { secretKey: { name: "k${i}", description: "d" } }) { __typename } }`);
  const r = await autocannon({ url: kw.url, method: "POST", connections: 50, duration: Number(process.env.D || 8), headers: { "content-type": "application/json", authorization: `Bearer ${kw.key}` }, body: JSON.stringify({ query: Q }) });
  console.log("req/s", r.requests.average, "non2xx", r.non2xx, "p99", r.latency.p99);
  await kw.stop(); await db.stop();
})();
