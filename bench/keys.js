// API key benchmarks (npm run bench). Every scenario runs in the same session beside its peer and
// its ceiling, and is reported as a ratio: these machines are noisy. Servers are pinned to core 0
// and the load generator to core 1 (taskset; BENCH_PIN=0 turns it off). The table holds
// BENCH_TOTAL_KEYS keys (1,000,000), the benchmarked organization's TEST slice BENCH_SLICE_KEYS (50,000).
//   (a)  Apollo Server 5 standalone { hello }                  — the stack's ceiling
//   (a2) node:http + pg, Keyway's list SQL and JSON            — the database path's ceiling
//   (b)  Keyway { viewer { environment } } by API key          — target ≥ 0.85 of (a)
//   (b2) the same with a rate limit and an allowlist set       — the same target
//   (c)  Keyway apiKeys(first: 20), 10 fields, by API key      — target ≥ 0.60 of (a2), ≥ 1.5 × (d)
//   (c') the same in an organization of 10,000 keys            — (c) / (c') ≥ 0.90: flat as the table grows
//   (d)  PostGraphile v5 on the same table and index, no auth  — the peer
// and RSS ≤ 100 MB for Keyway in every scenario.
const { execFileSync } = require("node:child_process");
const { mkdirSync, writeFileSync } = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const autocannon = require("autocannon");
const { Client } = require("pg");
const { ROOT, startDatabase, startKeyway, startScript, canPin, residentMb, cpuSeconds } = require("./lib/server");

const DURATION = Number(process.env.BENCH_DURATION ?? 5);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CONNECTIONS = 50;
const TOTAL = Number(process.env.BENCH_TOTAL_KEYS ?? 1_000_000);
const SLICE = Number(process.env.BENCH_SLICE_KEYS ?? 50_000);
const SMALL = Math.min(10_000, SLICE);
const PIN = canPin();
const SERVER_CPU = PIN ? 0 : null;

/** The ten fields, in Keyway's and in PostGraphile's names (PostGraphile's `state` is the raw column). */
const LIST_QUERY = `{ organizations { apiKeys(first: 20) { edges { node {
  id name description environment role status prefix createdAt lastUsedAt usageCount } } pageInfo { hasNextPage endCursor } } } }`;
const postgraphileListQuery = (
  organizationId,
) => `{ allApiKeys(first: 20, condition: { organizationId: "${organizationId}", environment: TEST },
  orderBy: [CREATED_AT_DESC, PRIMARY_KEY_DESC]) { edges { node {
  rowId name description environment role state prefix createdAt lastUsedAt usageCount } } pageInfo { hasNextPage endCursor } } }`;

/** One autocannon run; the server's largest RSS is sampled while it runs. */
async function load(scenario, duration = DURATION) {
  let rssMb = 0;
  const sample = () => (rssMb = Math.max(rssMb, residentMb(scenario.server.process.pid)?.now ?? 0));
  const sampler = setInterval(sample, 250);
  const cpuBefore = cpuSeconds(scenario.server.process.pid);
  const result = await Promise.resolve(
    autocannon({
      url: scenario.server.url,
      method: "POST",
      connections: CONNECTIONS,
      pipelining: 1,
      duration,
      headers: { "content-type": "application/json", ...scenario.headers },
      body: JSON.stringify(scenario.body),
    }),
  ).finally(() => clearInterval(sampler));
  sample();
  // NaN when no request completed (a run too short for a busy machine): its ratios then read as missed.
  const cpuMicroseconds =
    result.requests.total > 0 ? ((cpuSeconds(scenario.server.process.pid) - cpuBefore) * 1e6) / result.requests.total : NaN;
  if (result.non2xx > 0 || result.errors > 0) throw new Error(`${scenario.name}: ${result.non2xx} non-2xx, ${result.errors} errors`);
  return { requestsPerSecond: result.requests.average, p50Ms: result.latency.p50, p99Ms: result.latency.p99, rssMb, cpuMicroseconds };
}

const median = (values) => [...values].sort((x, y) => x - y)[Math.floor(values.length / 2)];

/**
 * Interleaves the scenarios in rounds (a, a2, b, …, a, a2, …) and keeps each one's median,
 * so a burst of load from elsewhere on the machine hits every scenario alike.
 */
async function measure(scenarios) {
  for (const s of scenarios) await load(s, 2); // warm-up: JIT, caches, pools, compiled queries
  const samples = new Map(scenarios.map((s) => [s.key, []]));
  for (let round = 1; round <= ROUNDS; round++) {
    for (const s of scenarios) samples.get(s.key).push(await load(s));
    console.log(`  round ${round}/${ROUNDS} done (load average ${os.loadavg()[0].toFixed(2)})`);
  }
  const rows = {};
  for (const s of scenarios) {
    const runs = samples.get(s.key);
    rows[s.key] = {
      scenario: s.name,
      requestsPerSecond: Math.round(median(runs.map((r) => r.requestsPerSecond))),
      p50Ms: median(runs.map((r) => r.p50Ms)),
      p99Ms: median(runs.map((r) => r.p99Ms)),
      rssMb: Math.round(Math.max(...runs.map((r) => r.rssMb))),
      // The server's own CPU per request: what a loaded machine disturbs least (the database's is not in it).
      cpuMicrosecondsPerRequest: Math.round(median(runs.map((r) => r.cpuMicroseconds))),
      rounds: runs.map((r) => Math.round(r.requestsPerSecond)),
    };
    const row = rows[s.key];
    console.log(
      `  ${s.name.padEnd(52)} ${String(row.requestsPerSecond).padStart(7)} req/s   p99 ${String(row.p99Ms).padStart(3)} ms   CPU ${String(row.cpuMicrosecondsPerRequest).padStart(4)} µs/req   RSS ${String(row.rssMb).padStart(3)} MB   rounds ${row.rounds.join(" ")}`,
    );
  }
  return rows;
}

function cli(databaseUrl, ...args) {
  return execFileSync(process.execPath, [path.join(ROOT, "dist/src/main.js"), ...args], {
    env: { ...process.env, DATABASE_URL: databaseUrl, LOG_LEVEL: "silent" },
    encoding: "utf8",
  }).trim();
}

const uuidOf = (orgId) => orgId.replace(/^org_/, "").replace(/^(.{8})(.{4})(.{4})(.{4})(.{12})$/, "$1-$2-$3-$4-$5");

/** Inserts keys in SQL (creating 1,000,000 through the API would take hours), 100,000 per statement. */
async function insertKeys(client, uuid, environment, count) {
  for (let start = 0; start < count; start += 100_000) {
    const end = Math.min(count, start + 100_000);
    await client.query(
      `INSERT INTO api_keys (organization_id, environment, name, description, role, key_hash, prefix, last4, created_at, created_by_type, usage_count)
       SELECT $1::uuid, $4::environment, 'seeded key ' || i, CASE WHEN i % 3 = 0 THEN 'service ' || i END,
              CASE WHEN i % 10 = 0 THEN 'ADMIN'::api_key_role ELSE 'READONLY'::api_key_role END,
              sha256(($1::text || ':' || $4 || ':' || i)::bytea), 'kw_test_seed', lpad((i % 10000)::text, 4, '0'),
              now() - interval '1 hour' - i * interval '1 second', 'SYSTEM', i % 1000
         FROM generate_series($2::int, $3::int) AS i`,
      [uuid, start + 1, end, environment],
    );
  }
}

/** An organization with `count` TEST keys (and `live` LIVE keys) and an ADMIN key to read them. */
async function seedOrganization(client, databaseUrl, name, count, live = 0) {
  const orgId = cli(databaseUrl, "org", "create", "--name", name, "--plan", "PAID").split("\t")[0];
  const key = cli(databaseUrl, "key", "create", "--org", orgId, "--env", "test", "--role", "admin", "--name", "bench reader");
  const uuid = uuidOf(orgId);
  await insertKeys(client, uuid, "TEST", count);
  if (live > 0) await insertKeys(client, uuid, "LIVE", live);
  return { orgId, uuid, key };
}

/** PostGraphile's SQL has no `deleted_at IS NULL`: a non-partial twin of Keyway's list index, in the bench database only. */
async function createListIndexTwin(client) {
  const { rows } = await client.query("SELECT pg_get_indexdef('api_keys_list_idx'::regclass) AS definition");
  const twin = rows[0].definition.replace(/INDEX api_keys_list_idx/, "INDEX bench_api_keys_list_twin_idx").replace(/\s+WHERE .*$/s, "");
  await client.query(twin);
}

async function post(scenario) {
  const response = await fetch(scenario.server.url, {
    method: "POST",
    headers: { "content-type": "application/json", ...scenario.headers },
    body: JSON.stringify(scenario.body),
  });
  return { status: response.status, text: await response.text() };
}

/** Before any load: the baseline answers with Keyway's bytes, and the peer with 20 rows and no errors. */
async function verify(byKey) {
  const [keyway, bare, peer] = await Promise.all([post(byKey.c), post(byKey.a2), post(byKey.d)]);
  // The reading key's own usage moves with every request (it is on the page): compared without it.
  const steady = (text) => text.replace(/"lastUsedAt":("[^"]*"|null),"usageCount":\d+/g, "");
  [keyway.text, bare.text] = [steady(keyway.text), steady(bare.text)];
  if (keyway.status !== 200 || keyway.text !== bare.text) {
    let at = 0;
    while (keyway.text[at] === bare.text[at]) at++;
    const around = (text) => text.slice(Math.max(0, at - 200), at + 200);
    throw new Error(
      `the node+pg baseline does not answer as Keyway does, from character ${at}:\nKeyway:   …${around(keyway.text)}\nbaseline: …${around(bare.text)}`,
    );
  }
  const answer = JSON.parse(peer.text);
  if (peer.status !== 200 || answer.errors || answer.data.allApiKeys.edges.length !== 20)
    throw new Error(`PostGraphile: ${peer.text.slice(0, 600)}`);
}

/** A target on requests/s; `cpu` is the same ratio in server CPU per request (the peer's over Keyway's), for a noisy machine. */
function ratio(name, numerator, denominator, target) {
  const value = numerator.requestsPerSecond / denominator.requestsPerSecond;
  const cpu = denominator.cpuMicrosecondsPerRequest / numerator.cpuMicrosecondsPerRequest;
  return {
    ratio: name,
    value: Math.round(value * 100) / 100,
    cpu: Math.round(cpu * 100) / 100,
    target: `>= ${target.toFixed(2)}`,
    pass: value >= target,
  };
}

async function main() {
  console.log(
    `API key benchmarks: ${CONNECTIONS} connections, ${ROUNDS} interleaved rounds of ${DURATION} s per scenario, medians; ` +
      (PIN ? "servers on CPU 0, load on CPU 1" : "not pinned"),
  );
  const db = await startDatabase();
  const stops = [() => db.stop()];
  // The database stays unpinned; from here this process (the load generator) keeps to CPU 1.
  if (PIN) execFileSync("taskset", ["-a", "-p", "-c", "1", String(process.pid)], { stdio: "ignore" });
  try {
    const keyway = await startKeyway(db.url, {}, { cpu: SERVER_CPU });
    stops.unshift(keyway.stop);
    const client = new Client({ connectionString: db.url });
    client.on("error", () => {}); // a query in flight reports the error itself
    await client.connect();
    const seedStarted = Date.now();
    const small = await seedOrganization(client, db.url, "bench 10k", SMALL);
    const big = await seedOrganization(client, db.url, "bench slice", SLICE);
    // The rest of the table: another organization's TEST and LIVE keys.
    const rest = Math.max(0, TOTAL - SMALL - SLICE);
    await seedOrganization(client, db.url, "bench filler", Math.floor(rest / 2), rest - Math.floor(rest / 2));
    await createListIndexTwin(client);
    await client.query("ANALYZE api_keys");
    const { rows: counted } = await client.query("SELECT count(*)::int AS n FROM api_keys");
    await client.end();
    console.log(`  seeded ${counted[0].n.toLocaleString("en")} keys in ${((Date.now() - seedStarted) / 1000).toFixed(0)} s`);
    // A limit no run reaches (its window turns every second) and an allowlist that admits the load generator.
    const controlled = cli(
      db.url,
      ...["key", "create", "--org", big.orgId, "--env", "test", "--role", "admin", "--name", "bench controlled"],
      ...["--rate-limit", "1000000/1", "--allow-ip", "10.0.0.0/8", "--allow-ip", "127.0.0.0/8"],
    );

    const apollo = await startScript("baselines/apollo-hello.js", {}, SERVER_CPU);
    stops.unshift(apollo.stop);
    const pgList = await startScript("baselines/pg-list.js", { DATABASE_URL: db.url, ORGANIZATION_ID: big.uuid }, SERVER_CPU);
    stops.unshift(pgList.stop);
    const postgraphile = await startScript("baselines/postgraphile.js", { DATABASE_URL: db.url, GRAPHILE_ENV: "production" }, SERVER_CPU);
    stops.unshift(postgraphile.stop);

    const scenarios = [
      { key: "a", name: "(a) Apollo Server 5 standalone { hello }", server: apollo, body: { query: "{ hello }" } },
      {
        key: "b",
        name: "(b) Keyway { viewer { environment } } by API key",
        server: keyway,
        body: { query: "{ viewer { environment } }" },
        headers: { authorization: `Bearer ${big.key}` },
      },
      {
        key: "b2",
        name: "(b2) … with a rate limit and an allowlist",
        server: keyway,
        body: { query: "{ viewer { environment } }" },
        headers: { authorization: `Bearer ${controlled}` },
      },
      { key: "a2", name: "(a2) node:http + pg, list SQL, same JSON, no auth", server: pgList, body: {} },
      {
        key: "c",
        name: "(c) Keyway apiKeys(first: 20), 10 fields, by key",
        server: keyway,
        body: { query: LIST_QUERY },
        headers: { authorization: `Bearer ${big.key}` },
      },
      {
        key: "c10k",
        name: `(c') the same, organization of ${SMALL.toLocaleString("en")} keys`,
        server: keyway,
        body: { query: LIST_QUERY },
        headers: { authorization: `Bearer ${small.key}` },
      },
      {
        key: "d",
        name: "(d) PostGraphile v5, same table and index, no auth",
        server: postgraphile,
        body: { query: postgraphileListQuery(big.uuid) },
      },
    ];
    await verify(Object.fromEntries(scenarios.map((s) => [s.key, s])));
    const rows = await measure(scenarios);

    const keywayRss = Math.max(rows.b.rssMb, rows.b2.rssMb, rows.c.rssMb, rows.c10k.rssMb);
    const ratios = [
      ratio("list: (c) / (a2) node+pg", rows.c, rows.a2, 0.6),
      ratio("list: (c) / (d) PostGraphile", rows.c, rows.d, 1.5),
      ratio("list flat: (c) / (c')", rows.c, rows.c10k, 0.9),
      ratio("key auth: (b) / (a) Apollo", rows.b, rows.a, 0.85),
      ratio("key auth: (b2) / (a) Apollo", rows.b2, rows.a, 0.85),
      { ratio: "memory: Keyway RSS MB", value: keywayRss, target: "<= 100", pass: keywayRss <= 100 },
    ];
    console.log("");
    for (const r of ratios)
      console.log(`  ${r.ratio.padEnd(32)} ${String(r.value).padStart(6)}   target ${r.target.padEnd(8)} ${r.pass ? "ok" : "MISSED"}`);

    const results = {
      benchmark: "keys",
      date: new Date().toISOString(),
      node: process.version,
      cpus: os.cpus().length,
      loadAverage: os.loadavg().map((n) => Math.round(n * 100) / 100),
      pinned: PIN,
      connections: CONNECTIONS,
      durationSeconds: DURATION,
      rounds: ROUNDS,
      keys: { total: counted[0].n, slice: SLICE, small: SMALL },
      scenarios: Object.values(rows),
      ratios,
    };
    mkdirSync(path.join(__dirname, "results"), { recursive: true });
    writeFileSync(path.join(__dirname, "results", "keys.json"), JSON.stringify(results, null, 2) + "\n");
    writeFileSync(
      path.join(__dirname, "results", "keys.md"),
      [
        `# API key benchmarks (${results.date})`,
        "",
        `Node ${results.node}, ${results.cpus} CPUs (load average ${results.loadAverage.join(", ")}), ${PIN ? "servers on CPU 0 and load on CPU 1" : "not pinned"}, ` +
          `${CONNECTIONS} connections, median of ${ROUNDS} interleaved rounds of ${DURATION} s; ${results.keys.total.toLocaleString("en")} keys in api_keys, ` +
          `the benchmarked organization's TEST slice ${SLICE.toLocaleString("en")}.`,
        "",
        "| scenario | req/s | p99 ms | RSS MB | server CPU µs/request | req/s per round |",
        "| --- | ---: | ---: | ---: | ---: | --- |",
        ...results.scenarios.map(
          (s) =>
            `| ${s.scenario} | ${s.requestsPerSecond} | ${s.p99Ms} | ${s.rssMb} | ${s.cpuMicrosecondsPerRequest} | ${s.rounds.join(", ")} |`,
        ),
        "",
        "| target | value (req/s) | in server CPU per request | goal | |",
        "| --- | ---: | ---: | --- | --- |",
        ...ratios.map((r) => `| ${r.ratio} | ${r.value} | ${r.cpu ?? ""} | ${r.target} | ${r.pass ? "ok" : "missed"} |`),
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
