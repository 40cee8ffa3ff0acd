// API key benchmarks (npm run bench). Every scenario runs in the same session against
// baselines measured alongside it, and is reported as a ratio: these machines are noisy.
//   (a)  Apollo Server 5 { hello }                        — the stack's ceiling
//   (a2) node:http + pg, the keys-list SQL                — the database path's ceiling
//   (b)  Keyway { viewer { environment } } by API key     — target ≥ 70 % of (a)
//   (b2) the same with a rate limit and an allowlist set   — the same target
//   (c)  Keyway keys list, first 20, all columns          — target ≥ 50 % of (a2) at 10,000 keys,
//        and at 1,000,000 keys within 10 % of 10,000
const { spawn, execFileSync } = require("node:child_process");
const { mkdirSync, writeFileSync } = require("node:fs");
const path = require("node:path");
const autocannon = require("autocannon");
const { Client } = require("pg");
const { ROOT, startDatabase, startKeyway } = require("./lib/server");

const DURATION = Number(process.env.BENCH_DURATION ?? 5);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const CONNECTIONS = 50;
const BIG = Number(process.env.BENCH_BIG_KEYS ?? 1_000_000);
const SMALL = 10_000;

const LIST_QUERY = `{ organizations { apiKeys(first: 20) { edges { node {
  id name description environment role status prefix redactedKey createdAt updatedAt expiresAt lastUsedAt usageCount
  deactivatedAt revokedAt createdBy { __typename } } } pageInfo { hasNextPage endCursor } } } }`;

function startScript(script, env) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(__dirname, script)], {
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "inherit"],
    });
    child.stdout.on("data", (chunk) => {
      const match = /listening on (\S+)/.exec(String(chunk));
      if (match)
        resolve({
          url: match[1],
          stop: () =>
            new Promise((done) => {
              child.once("exit", done);
              child.kill("SIGTERM");
            }),
        });
    });
    child.once("exit", (code) => reject(new Error(`${script} exited with ${code}`)));
  });
}

async function load(name, url, body, headers = {}, duration = DURATION) {
  const result = await autocannon({
    url,
    method: "POST",
    connections: CONNECTIONS,
    pipelining: 1,
    duration,
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  });
  if (result.non2xx > 0 || result.errors > 0) throw new Error(`${name}: ${result.non2xx} non-2xx, ${result.errors} errors`);
  return { requestsPerSecond: result.requests.average, p50Ms: result.latency.p50, p99Ms: result.latency.p99 };
}

const median = (values) => [...values].sort((x, y) => x - y)[Math.floor(values.length / 2)];

/**
 * Interleaves the scenarios in rounds (a, a2, b, c, c, a, a2, …) and keeps each one's
 * median, so a burst of load from elsewhere on the machine hits every scenario alike.
 */
async function measure(scenarios) {
  for (const s of scenarios) await load(s.name, s.url, s.body, s.headers, 2); // warm-up: JIT, caches, pools
  const samples = new Map(scenarios.map((s) => [s.name, []]));
  for (let round = 1; round <= ROUNDS; round++) {
    for (const s of scenarios) samples.get(s.name).push(await load(s.name, s.url, s.body, s.headers));
    console.log(`  round ${round}/${ROUNDS} done`);
  }
  return scenarios.map((s) => {
    const runs = samples.get(s.name);
    const row = {
      scenario: s.name,
      requestsPerSecond: Math.round(median(runs.map((r) => r.requestsPerSecond))),
      p50Ms: median(runs.map((r) => r.p50Ms)),
      p99Ms: median(runs.map((r) => r.p99Ms)),
      rounds: runs.map((r) => Math.round(r.requestsPerSecond)),
    };
    console.log(
      `  ${s.name.padEnd(42)} ${String(row.requestsPerSecond).padStart(7)} req/s   p50 ${row.p50Ms} ms   p99 ${row.p99Ms} ms   rounds ${row.rounds.join(" ")}`,
    );
    return row;
  });
}

function cli(databaseUrl, ...args) {
  return execFileSync(process.execPath, [path.join(ROOT, "dist/src/main.js"), ...args], {
    env: { ...process.env, DATABASE_URL: databaseUrl, LOG_LEVEL: "silent" },
    encoding: "utf8",
  }).trim();
}

/** An organization with `count` TEST keys (inserted in SQL: creating 1,000,000 through the API would take hours) and an ADMIN key to read them. */
async function seedOrganization(databaseUrl, name, count) {
  const orgId = cli(databaseUrl, "org", "create", "--name", name, "--plan", "PAID").split("\t")[0];
  const key = cli(databaseUrl, "key", "create", "--org", orgId, "--env", "test", "--role", "admin", "--name", "bench reader");
  const uuid = orgId.replace(/^org_/, "").replace(/^(.{8})(.{4})(.{4})(.{4})(.{12})$/, "$1-$2-$3-$4-$5");
  const client = new Client({ connectionString: databaseUrl });
  client.on("error", () => {}); // a query in flight reports the error itself
  await client.connect();
  for (let start = 0; start < count; start += 100_000) {
    const end = Math.min(count, start + 100_000);
    await client.query(
      `INSERT INTO api_keys (organization_id, environment, name, description, role, key_hash, prefix, last4, created_at, created_by_type, usage_count)
       SELECT $1::uuid, 'TEST', 'seeded key ' || i, CASE WHEN i % 3 = 0 THEN 'service ' || i END,
              CASE WHEN i % 10 = 0 THEN 'ADMIN'::api_key_role ELSE 'READONLY'::api_key_role END,
              sha256(($1::text || ':' || i)::bytea), 'kw_test_seed', lpad((i % 10000)::text, 4, '0'),
              now() - interval '1 hour' - i * interval '1 second', 'SYSTEM', i % 1000
         FROM generate_series($2::int, $3::int) AS i`,
      [uuid, start + 1, end],
    );
  }
  await client.query("ANALYZE api_keys");
  await client.end();
  return { orgId, uuid, key };
}

async function main() {
  console.log(`API key benchmarks: ${CONNECTIONS} connections, ${ROUNDS} interleaved rounds of ${DURATION} s per scenario, medians`);
  const db = await startDatabase();
  const stops = [() => db.stop()];
  try {
    const keyway = await startKeyway(db.url);
    stops.unshift(keyway.stop);
    const small = await seedOrganization(db.url, "bench 10k", SMALL);
    // A limit no run reaches (its window turns every second) and an allowlist that admits the load generator.
    const controlled = cli(
      db.url,
      "key",
      "create",
      "--org",
      small.orgId,
      "--env",
      "test",
      "--role",
      "admin",
      "--name",
      "bench controlled",
      "--rate-limit",
      "1000000/1",
      "--allow-ip",
      "10.0.0.0/8",
      "--allow-ip",
      "127.0.0.0/8",
    );
    console.log(`  seeded ${SMALL} keys`);
    const big = await seedOrganization(db.url, "bench 1M", BIG);
    console.log(`  seeded ${BIG} keys`);

    const apollo = await startScript("baselines/apollo-hello.js", {});
    stops.unshift(apollo.stop);
    const pgList = await startScript("baselines/pg-list.js", { DATABASE_URL: db.url, ORGANIZATION_ID: small.uuid });
    stops.unshift(pgList.stop);

    const auth = { authorization: `Bearer ${small.key}` };
    const [a, a2, b, b2, c10k, c1m] = await measure([
      { name: "(a) Apollo Server 5 { hello }", url: apollo.url, body: { query: "{ hello }" } },
      { name: "(a2) node:http + pg, keys list SQL", url: pgList.url, body: {} },
      { name: "(b) Keyway viewer by API key", url: keyway.url, body: { query: "{ viewer { environment } }" }, headers: auth },
      {
        name: "(b2) … with a rate limit and an allowlist",
        url: keyway.url,
        body: { query: "{ viewer { environment } }" },
        headers: { authorization: `Bearer ${controlled}` },
      },
      { name: `(c) Keyway keys list, ${SMALL.toLocaleString("en")} keys`, url: keyway.url, body: { query: LIST_QUERY }, headers: auth },
      {
        name: `(c) Keyway keys list, ${BIG.toLocaleString("en")} keys`,
        url: keyway.url,
        body: { query: LIST_QUERY },
        headers: { authorization: `Bearer ${big.key}` },
      },
    ]);

    const ratios = [
      {
        ratio: "(b) / (a)",
        value: b.requestsPerSecond / a.requestsPerSecond,
        target: ">= 0.70",
        pass: b.requestsPerSecond / a.requestsPerSecond >= 0.7,
      },
      {
        ratio: "(b2) / (a)",
        value: b2.requestsPerSecond / a.requestsPerSecond,
        target: ">= 0.70",
        pass: b2.requestsPerSecond / a.requestsPerSecond >= 0.7,
      },
      {
        ratio: "(c 10k) / (a2)",
        value: c10k.requestsPerSecond / a2.requestsPerSecond,
        target: ">= 0.50",
        pass: c10k.requestsPerSecond / a2.requestsPerSecond >= 0.5,
      },
      {
        ratio: "(c 1M) / (c 10k)",
        value: c1m.requestsPerSecond / c10k.requestsPerSecond,
        target: ">= 0.90",
        pass: c1m.requestsPerSecond / c10k.requestsPerSecond >= 0.9,
      },
    ];
    console.log("");
    for (const r of ratios) console.log(`  ${r.ratio.padEnd(18)} ${r.value.toFixed(2)}   target ${r.target}   ${r.pass ? "ok" : "MISSED"}`);

    const results = {
      benchmark: "keys",
      date: new Date().toISOString(),
      node: process.version,
      cpus: require("node:os").cpus().length,
      connections: CONNECTIONS,
      durationSeconds: DURATION,
      rounds: ROUNDS,
      scenarios: [a, a2, b, b2, c10k, c1m],
      ratios,
    };
    mkdirSync(path.join(__dirname, "results"), { recursive: true });
    writeFileSync(path.join(__dirname, "results", "keys.json"), JSON.stringify(results, null, 2) + "\n");
    writeFileSync(
      path.join(__dirname, "results", "keys.md"),
      [
        `# API key benchmarks (${results.date})`,
        "",
        `Node ${results.node}, ${results.cpus} CPUs, ${CONNECTIONS} connections, median of ${ROUNDS} interleaved rounds of ${DURATION} s.`,
        "",
        "| scenario | req/s (median) | p50 ms | p99 ms | req/s per round |",
        "| --- | ---: | ---: | ---: | --- |",
        ...results.scenarios.map((s) => `| ${s.scenario} | ${s.requestsPerSecond} | ${s.p50Ms} | ${s.p99Ms} | ${s.rounds.join(", ")} |`),
        "",
        "| ratio | value | target | |",
        "| --- | ---: | --- | --- |",
        ...ratios.map((r) => `| ${r.ratio} | ${r.value.toFixed(2)} | ${r.target} | ${r.pass ? "ok" : "missed"} |`),
        "",
      ].join("\n"),
    );
  } finally {
    for (const stop of stops) await stop();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
