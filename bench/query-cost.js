// What a query's cost stands for (node bench/query-cost.js, after npm run build): for the largest
// operations the cost limit admits and for the nested lists it refuses, the cost Keyway computes,
// the response size, and the CPU time Keyway and PostgreSQL spend per request. The default of
// KEYWAY_MAX_QUERY_COST (src/config.ts) is chosen from these figures.
//
// One Keyway process runs with the limit at 1 (every operation is refused, and the refusal says
// its cost), another with no practical limit (every operation runs and is timed).
const { execFileSync } = require("node:child_process");
const { readdirSync, readFileSync, writeFileSync, mkdirSync } = require("node:fs");
const path = require("node:path");
const { Client } = require("pg");
const { ROOT, startDatabase, startKeyway } = require("./lib/server");

const RUNS = Number(process.env.BENCH_RUNS ?? 20);
const TICK_MS = 10; // USER_HZ is 100 on Linux

const KEY_FIELDS = `id name description environment role status prefix redactedKey createdAt updatedAt expiresAt lastUsedAt
  usageCount deactivatedAt revokedAt key createdBy { ... on APIKey { id name role } ... on User { id email } } rotatedFrom { id } rotatedTo { id }`;
const ATTEMPT_FIELDS = "id attemptNumber createdAt durationMs environment errorMessage httpStatus responseBody status";

const OPERATIONS = [
  [
    "100 keys, every field (admitted)",
    `{ organizations { apiKeys(first: 100) { totalCount pageInfo { hasNextPage endCursor }
    edges { cursor node { ${KEY_FIELDS} } } } } }`,
  ],
  [
    "2 × 100 keys under aliases (admitted)",
    `{ organizations {
    a: apiKeys(first: 100) { totalCount edges { cursor node { ${KEY_FIELDS} } } }
    b: apiKeys(last: 100) { totalCount edges { cursor node { ${KEY_FIELDS} } } } } }`,
  ],
  [
    "20 targets × 20 attempts, Highnote's list (admitted)",
    `{ organizations { webhookNotificationTargets(first: 20) { pageInfo { hasNextPage endCursor }
    edges { cursor node { id name uri email status environment createdAt updatedAt deactivatedAt
      signingKeys { id secret environment createdAt expiresAt }
      deliveryAttempts(first: 20) { totalCount edges { node { ${ATTEMPT_FIELDS} } } } } } } } }`,
  ],
  [
    "100 attempts with event and target (admitted)",
    `{ organizations { webhookNotificationTargets(first: 1) { edges { node {
    deliveryAttempts(first: 100) { edges { node { ${ATTEMPT_FIELDS} event { id name createdAt } target { id name uri status } } } } } } } } }`,
  ],
  [
    "30 aliases × 100 keys { id name } (refused)",
    `{ organizations { ${Array.from({ length: 30 }, (_, i) => `k${i}: apiKeys(first: 100) { edges { node { id name } } }`).join(" ")} } }`,
  ],
  [
    "100 targets × 100 attempts { id status } (refused)",
    `{ organizations { webhookNotificationTargets(first: 100) { edges { node {
    deliveryAttempts(first: 100) { edges { node { id status } } } } } } } }`,
  ],
  [
    "100 events × 100 attempts { id } (refused)",
    `{ organizations { notificationEvents(first: 100) { edges { node {
    deliveryAttempts(first: 100) { edges { node { id } } } } } } } }`,
  ],
];

function cli(databaseUrl, ...args) {
  return execFileSync(process.execPath, [path.join(ROOT, "dist/src/main.js"), ...args], {
    env: { ...process.env, DATABASE_URL: databaseUrl, LOG_LEVEL: "silent" },
    encoding: "utf8",
  }).trim();
}

/** 100 keys, 100 targets, 100 events, and for each event and target one delivery with one attempt (10,000 attempts). */
async function seed(databaseUrl) {
  const orgId = cli(databaseUrl, "org", "create", "--name", "cost bench", "--plan", "PAID").split("\t")[0];
  const key = cli(databaseUrl, "key", "create", "--org", orgId, "--env", "test", "--role", "admin", "--name", "cost reader");
  const org = orgId.replace(/^org_/, "").replace(/^(.{8})(.{4})(.{4})(.{4})(.{12})$/, "$1-$2-$3-$4-$5");
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  await client.query(
    `INSERT INTO api_keys (organization_id, environment, name, description, role, key_hash, prefix, last4, created_at, created_by_type, usage_count)
     SELECT $1::uuid, 'TEST', 'seeded key ' || i, 'service ' || i, 'READONLY', sha256(($1::text || ':' || i)::bytea), 'kw_test_seed',
            lpad(i::text, 4, '0'), now() - i * interval '1 second', 'SYSTEM', i FROM generate_series(1, 100) AS i`,
    [org],
  );
  await client.query(
    `INSERT INTO notification_targets (organization_id, environment, name, uri, subscriptions, status, created_at)
     SELECT $1::uuid, 'TEST', 'target ' || i, 'https://hooks.example.com/' || i, '{}', 'ACTIVE', now() - i * interval '1 second'
       FROM generate_series(1, 100) AS i`,
    [org],
  );
  await client.query(
    `INSERT INTO notification_events (organization_id, environment, name, data, created_at, expires_at)
     SELECT $1::uuid, 'TEST', 'NOTIFICATION_ACTIVATION', jsonb_build_object('n', i), now() - i * interval '1 second', now() + interval '30 days'
       FROM generate_series(1, 100) AS i`,
    [org],
  );
  await client.query(
    `INSERT INTO notification_deliveries (organization_id, environment, event_id, target_id, attempt_count, succeeded_at)
     SELECT $1::uuid, 'TEST', e.id, t.id, 1, now() FROM notification_events e, notification_targets t
      WHERE e.organization_id = $1 AND t.organization_id = $1`,
    [org],
  );
  await client.query(
    `INSERT INTO delivery_attempts (organization_id, environment, delivery_id, event_id, target_id, attempt_number, status, http_status, duration_ms, response_body)
     SELECT organization_id, environment, id, event_id, target_id, 1, 'SUCCESS', 200, 12, 'ok' FROM notification_deliveries WHERE organization_id = $1`,
    [org],
  );
  await client.query("ANALYZE");
  await client.end();
  return key;
}

/** CPU time (user + system) of a process, in ms. */
function cpuMs(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
  return (Number(fields[11]) + Number(fields[12])) * TICK_MS;
}

/** The embedded PostgreSQL's processes: its postmaster (its data folder is a keyway-bench- one) and the postmaster's children. */
function postgresPids() {
  const all = readdirSync("/proc").filter((name) => /^\d+$/.test(name));
  const postmaster = all.find((pid) => {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, "utf8");
      return cmd.includes("postgres") && cmd.includes("keyway-bench-");
    } catch {
      return false;
    }
  });
  if (!postmaster) return [];
  return [
    postmaster,
    ...all.filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ")[1] === postmaster;
      } catch {
        return false;
      }
    }),
  ];
}

function sumCpu(pids) {
  return pids.reduce((sum, pid) => {
    try {
      return sum + cpuMs(pid);
    } catch {
      return sum;
    }
  }, 0);
}

async function post(url, key, query) {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
    body: JSON.stringify({ query }),
  });
  return { status: response.status, text: await response.text() };
}

async function main() {
  const db = await startDatabase();
  const measuring = await startKeyway(db.url, { KEYWAY_MAX_QUERY_COST: "1000000000", KEYWAY_MAX_QUERY_ALIASES: "100" });
  const key = await seed(db.url);
  const pricing = await startKeyway(db.url, { KEYWAY_MAX_QUERY_COST: "1", KEYWAY_MAX_QUERY_ALIASES: "100" });
  const rows = [];
  try {
    for (const [name, query] of OPERATIONS) {
      const priced = JSON.parse((await post(pricing.url, key, query)).text);
      const cost = priced.errors[0].extensions.cost;
      for (let i = 0; i < 3; i++) await post(measuring.url, key, query); // first run, compilation, warm caches
      const pids = postgresPids();
      const keywayBefore = cpuMs(measuring.process.pid);
      const dbBefore = sumCpu(pids);
      const started = process.hrtime.bigint();
      let bytes = 0;
      for (let i = 0; i < RUNS; i++) {
        const answer = await post(measuring.url, key, query);
        if (answer.status !== 200 || answer.text.includes('"errors"')) throw new Error(`${name}: ${answer.text.slice(0, 500)}`);
        bytes = answer.text.length;
      }
      const wallMs = Number(process.hrtime.bigint() - started) / 1e6 / RUNS;
      const keywayMs = (cpuMs(measuring.process.pid) - keywayBefore) / RUNS;
      const dbMs = (sumCpu(pids) - dbBefore) / RUNS;
      rows.push({ name, cost, bytes, wallMs: +wallMs.toFixed(1), keywayCpuMs: +keywayMs.toFixed(1), postgresCpuMs: +dbMs.toFixed(1) });
      console.log(
        `  ${name.padEnd(52)} cost ${String(cost).padStart(7)}  ${String(bytes).padStart(8)} B  ${wallMs.toFixed(1).padStart(6)} ms  Keyway CPU ${keywayMs.toFixed(1).padStart(6)} ms  PostgreSQL CPU ${dbMs.toFixed(1).padStart(6)} ms`,
      );
    }
  } finally {
    await pricing.stop();
    await measuring.stop();
    await db.stop();
  }
  mkdirSync(path.join(__dirname, "results"), { recursive: true });
  writeFileSync(path.join(__dirname, "results", "query-cost.json"), JSON.stringify({ runs: RUNS, rows }, null, 2) + "\n");
  const table = ["| operation | cost | response | wall | Keyway CPU | PostgreSQL CPU |", "| --- | ---: | ---: | ---: | ---: | ---: |"];
  for (const r of rows)
    table.push(`| ${r.name} | ${r.cost} | ${r.bytes} B | ${r.wallMs} ms | ${r.keywayCpuMs} ms | ${r.postgresCpuMs} ms |`);
  writeFileSync(
    path.join(__dirname, "results", "query-cost.md"),
    `# Query cost and the work behind it\n\nPer request, means of ${RUNS} sequential requests after 3 warm-up runs (compiled execution), on 2 cores.\n\n${table.join("\n")}\n`,
  );
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
