// Delivery throughput: EVENTS notification events fanned out to TARGETS local webhook
// receivers by a Keyway child process. Prints deliveries/s and the p50/p99 time from an
// event's commit to its receipt, and writes bench/results/deliveries.{json,md}.
//
//   npm run build && node bench/deliveries.js
//
// Events are committed straight into the outbox (notification_events + the fan-out job,
// exactly as Transaction.emit writes them) in batches, so the measurement is the delivery
// pipeline — queue, fan-out, signing, HTTP, attempt records — not the GraphQL mutations.
const { createServer } = require("node:http");
const { writeFileSync, mkdirSync } = require("node:fs");
const path = require("node:path");
const { ROOT, startDatabase, startKeyway, graphql } = require("./lib/server.js");
const { Client } = require(path.join(ROOT, "node_modules/pg"));

const EVENTS = Number(process.env.BENCH_EVENTS || 10_000);
const TARGETS = 5;
const BATCH = 200;
const CONCURRENCY = process.env.BENCH_WORKER_CONCURRENCY || "24";
const DEADLINE_MS = 150_000; // the whole run stays under 3 minutes

function percentile(sorted, p) {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] : null;
}

async function startReceiver() {
  const receipts = new Map(); // webhook-id → [receipt time per target]
  let count = 0;
  let onCount = () => {};
  const server = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      const id = req.headers["webhook-id"];
      const times = receipts.get(id) ?? [];
      times.push(performance.timeOrigin + performance.now());
      receipts.set(id, times);
      count++;
      onCount(count);
      res.writeHead(200).end("ok");
    });
  });
  server.keepAliveTimeout = 1000;
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    receipts,
    get count() { return count; },
    whenCount(n) { return new Promise((resolve) => { onCount = (c) => c >= n && resolve(); onCount(count); }); },
    stop: () => new Promise((resolve) => { server.closeAllConnections(); server.close(resolve); }),
  };
}

async function main() {
  const started = Date.now();
  const db = await startDatabase();
  const receiver = await startReceiver();
  const keyway = await startKeyway(db.url, { KEYWAY_ALLOW_PRIVATE_URLS: "test", KEYWAY_WORKER_CONCURRENCY: CONCURRENCY });
  const client = new Client({ connectionString: db.url });
  await client.connect();
  let result;
  try {
    const ids = [];
    for (let i = 0; i < TARGETS; i++) {
      const added = await graphql(keyway.url, keyway.key, `mutation($uri: String!, $name: String!) {
        addWebhookNotificationTarget(input: { name: $name, uri: $uri, subscriptions: [API_KEY_CREATED] }) { ... on WebhookNotificationTarget { id } } }`,
        { uri: `${receiver.url}/target-${i}`, name: `bench ${i}` });
      ids.push(added.addWebhookNotificationTarget.id);
    }
    for (;;) {
      const { rows } = await client.query("SELECT count(*)::int AS active FROM notification_targets WHERE status = 'ACTIVE'");
      if (rows[0].active === TARGETS) break;
      if (Date.now() - started > 30_000) throw new Error("targets did not become ACTIVE");
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const activations = receiver.count;
    const { rows: [org] } = await client.query("SELECT id FROM organizations LIMIT 1");

    const committedAt = new Map();
    const expected = activations + EVENTS * TARGETS;
    const allReceived = receiver.whenCount(expected);
    const firstCommit = performance.timeOrigin + performance.now();
    for (let from = 0; from < EVENTS; from += BATCH) {
      const to = Math.min(EVENTS, from + BATCH) - 1;
      await client.query("BEGIN");
      const { rows } = await client.query(
        `WITH e AS (
           INSERT INTO notification_events (organization_id, environment, name, data, expires_at)
           SELECT $1, 'TEST', 'API_KEY_CREATED', jsonb_build_object('object', 'bench', 'seq', g), now() + interval '30 days'
             FROM generate_series($2::int, $3::int) g RETURNING id)
         SELECT 'evt_' || replace(id::text, '-', '') AS id,
                graphile_worker.add_job('notification_event.fan_out', json_build_object('eventId', id), job_key => id::text)
           FROM e`,
        [org.id, from, to],
      );
      await client.query("COMMIT");
      const at = performance.timeOrigin + performance.now();
      for (const row of rows) committedAt.set(row.id, at);
    }
    const emitted = performance.timeOrigin + performance.now();
    // Bounded: past the deadline the numbers cover what arrived, and say so.
    let timer;
    const deadline = new Promise((resolve) => { timer = setTimeout(resolve, Math.max(0, DEADLINE_MS - (Date.now() - started))); });
    await Promise.race([allReceived, deadline]);
    clearTimeout(timer);
    const last = performance.timeOrigin + performance.now();
    const received = receiver.count - activations;

    const latencies = [];
    let duplicates = 0;
    for (const [id, commit] of committedAt) {
      const times = receiver.receipts.get(id) ?? [];
      if (times.length > TARGETS) duplicates += times.length - TARGETS;
      for (const time of times) latencies.push(time - commit);
    }
    latencies.sort((a, b) => a - b);
    const deliveries = received;
    result = {
      complete: received >= EVENTS * TARGETS,
      case: "webhook deliveries",
      events: EVENTS,
      targets: TARGETS,
      deliveries,
      expectedDeliveries: EVENTS * TARGETS,
      workerConcurrency: Number(CONCURRENCY),
      emitSeconds: +((emitted - firstCommit) / 1000).toFixed(2),
      totalSeconds: +((last - firstCommit) / 1000).toFixed(2),
      deliveriesPerSecond: Math.round(deliveries / ((last - firstCommit) / 1000)),
      p50CommitToReceiptMs: Math.round(percentile(latencies, 50)),
      p99CommitToReceiptMs: Math.round(percentile(latencies, 99)),
      duplicates,
      targetDeliveriesPerSecond: 500,
      date: new Date().toISOString(),
    };
  } finally {
    await client.end();
    await keyway.stop();
    await receiver.stop();
    await db.stop();
  }

  const dir = path.join(__dirname, "results");
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, "deliveries.json"), JSON.stringify(result, null, 2) + "\n");
  const md = [
    "# Webhook deliveries",
    "",
    `${result.events} events to ${result.targets} local targets (${result.deliveries} of ${result.expectedDeliveries} signed deliveries received${result.complete ? "" : " before the deadline"}), all committed at once in batches of ${BATCH}; one Keyway process with ${result.workerConcurrency} concurrent jobs, embedded PostgreSQL, same 2-core machine.`,
    "",
    "| deliveries/s | p50 commit→receipt | p99 commit→receipt | emitting took | all received after | duplicates |",
    "| --- | --- | --- | --- | --- | --- |",
    `| ${result.deliveriesPerSecond} | ${result.p50CommitToReceiptMs} ms | ${result.p99CommitToReceiptMs} ms | ${result.emitSeconds} s | ${result.totalSeconds} s | ${result.duplicates} |`,
    "",
    "Latency includes the wait in the backlog: every event is committed within the first seconds, so the last ones wait for the ones before them.",
    "",
  ].join("\n");
  writeFileSync(path.join(dir, "deliveries.md"), md);
  process.stdout.write(md);
  process.stdout.write(`\ndeliveries/s: ${result.deliveriesPerSecond} (target ≥ ${result.targetDeliveriesPerSecond}); p99 commit→receipt: ${result.p99CommitToReceiptMs} ms\n`);
}

main().then(
  () => process.exit(0),
  (error) => {
    process.stderr.write(`deliveries benchmark failed: ${error.stack || error}\n`);
    process.exit(1);
  },
);
