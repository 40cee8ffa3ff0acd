// Delivery throughput: EVENTS notification events fanned out to TARGETS local webhook
// receivers by a Keyway child process. Prints deliveries/s and the p50/p99 time from an
// event's commit to its receipt, and writes bench/results/deliveries.{json,md}.
//
//   npm run build && node bench/deliveries.js
//
// Events are committed straight into the outbox (notification_events + their fan-out jobs,
// the rows Transaction.emit writes) in batches of BATCH, one add_jobs call each, so the
// measurement is the delivery pipeline — queue, fan-out, signing, HTTP, attempt records —
// not the GraphQL mutations.
const { createServer } = require("node:http");
const { writeFileSync, mkdirSync } = require("node:fs");
const path = require("node:path");
const { ROOT, startDatabase, startKeyway, graphql } = require("./lib/server.js");
const { Client } = require(path.join(ROOT, "node_modules/pg"));

const EVENTS = Number(process.env.BENCH_EVENTS || 10_000);
const TARGETS = 5;
const BATCH = 200;
// KEYWAY_WORKER_CONCURRENCY for the run. A fan-out job spends most of its time waiting on its receivers, so jobs in
// flight, not CPU, bound a process: 10,000 events × 5 on this 2-core machine gave 1,862–1,924/s at 24, 2,373–2,696/s
// at 48, 2,242–2,577/s at 64 and 96 (same session).
const CONCURRENCY = process.env.BENCH_WORKER_CONCURRENCY || "48";
// Then a paced phase: PACED_EVENTS at PACED_EVENTS_PER_SECOND, for the latency of a queue that keeps up.
const PACED_EVENTS = Number(process.env.BENCH_PACED_EVENTS || 2000);
// 200 events/s to 5 targets: the 1,000 deliveries/s the latency target is set at.
const PACED_EVENTS_PER_SECOND = 200;
// The whole run stays under 3 minutes, plus the limited-target scenario (three rounds, about a minute).
const BURST_DEADLINE_MS = 130_000;
const DEADLINE_MS = 165_000;
// Last, LIMITED_EVENTS events to the four other targets, first alone and then with target 0 limited to
// LIMITED_PER_SECOND receiving them too: the unlimited targets' deliveries/s should not change.
const LIMITED_EVENTS = Number(process.env.BENCH_LIMITED_EVENTS || 2000);
const LIMITED_PER_SECOND = 20;
const LIMITED_ROUNDS = 3;
// "Not slowed": within 10 % of their rate without the limited target (the median round's ratio).
const LIMITED_TARGET_RATIO = 0.9;
const LIMITED_DEADLINE_MS = 30_000;

function percentile(sorted, p) {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] : null;
}

async function startReceiver() {
  const receipts = new Map(); // webhook-id → [receipt time per target]
  const byPath = new Map(); // target path → deliveries received
  let count = 0;
  let connections = 0;
  let onCount = () => {};
  const server = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      byPath.set(req.url, (byPath.get(req.url) ?? 0) + 1);
      const id = req.headers["webhook-id"];
      const times = receipts.get(id) ?? [];
      times.push(performance.timeOrigin + performance.now());
      receipts.set(id, times);
      count++;
      onCount(count);
      res.writeHead(200).end("ok");
    });
  });
  // The server keeps Node's own keep-alive (5 s), as an ordinary receiver does. A server that announces
  // `Keep-Alive: timeout=1` is one Node's agent never reuses a connection to (it keeps a socket until a second before
  // the announced timeout), so every delivery would open a connection of its own. The count shows which it is.
  server.on("connection", () => connections++);
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    receipts,
    byPath,
    get count() {
      return count;
    },
    get connections() {
      return connections;
    },
    whenCount(n) {
      return new Promise((resolve) => {
        onCount = (c) => c >= n && resolve();
        onCount(count);
      });
    },
    stop: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(resolve);
      }),
  };
}

/** Commits events `from`…`to` (sequence numbers) named `name` with their fan-out jobs, in one transaction. */
async function commitEvents(client, org, name, from, to) {
  await client.query("BEGIN");
  const { rows } = await client.query(
    `WITH e AS (
       INSERT INTO notification_events (organization_id, environment, name, data, expires_at)
       SELECT $1, 'TEST', $4::notification_event_name, jsonb_build_object('object', 'bench', 'seq', g), now() + interval '30 days'
         FROM generate_series($2::int, $3::int) g RETURNING id, created_at),
     jobs AS (
       SELECT graphile_worker.add_jobs(array_agg(ROW('notification_event.fan_out', json_build_object('eventId', id, 'createdAt', created_at::text),
                NULL, NULL, NULL, id::text, NULL, NULL)::graphile_worker.job_spec)) FROM e)
     SELECT 'evt_' || replace(id::text, '-', '') AS id FROM e, (SELECT count(*) FROM jobs) AS queued`,
    [org, from, to, name],
  );
  await client.query("COMMIT");
  return rows;
}

/**
 * Target 0 limited to LIMITED_PER_SECOND: the other four targets' deliveries/s for LIMITED_EVENTS events they
 * alone subscribe to (API_KEY_UPDATED), then for as many that target 0 receives too (API_KEY_REVOKED).
 */
async function limitedScenario({ client, receiver, org, keyway, ids }) {
  const call = async (field, inputType, input) => {
    const result = await graphql(keyway.url, keyway.key, `mutation ($input: ${inputType}!) { ${field}(input: $input) { __typename } }`, {
      input,
    });
    if (result[field].__typename !== "WebhookNotificationTarget") throw new Error(`${field}: ${JSON.stringify(result)}`);
  };
  await call("setNotificationTargetRateLimit", "SetNotificationTargetRateLimitInput", {
    targetId: ids[0],
    maxDeliveriesPerSecond: LIMITED_PER_SECOND,
  });
  for (const [i, id] of ids.entries()) {
    const subscriptions = i === 0 ? ["API_KEY_REVOKED"] : ["API_KEY_UPDATED", "API_KEY_REVOKED"];
    await call("addSubscriptionsToNotificationTarget", "AddSubscriptionsToNotificationTargetInput", { targetId: id, subscriptions });
  }
  const unlimited = () => ids.slice(1).reduce((sum, _, i) => sum + (receiver.byPath.get(`/target-${i + 1}`) ?? 0), 0);
  const run = async (name) => {
    const before = unlimited();
    const limitedBefore = receiver.byPath.get("/target-0") ?? 0;
    const first = performance.now();
    for (let from = 0; from < LIMITED_EVENTS; from += BATCH) {
      await commitEvents(client, org, name, from, Math.min(LIMITED_EVENTS, from + BATCH) - 1);
    }
    const deadline = first + LIMITED_DEADLINE_MS;
    while (unlimited() < before + LIMITED_EVENTS * 4 && performance.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    const seconds = (performance.now() - first) / 1000;
    return {
      unlimitedDeliveries: unlimited() - before,
      unlimitedPerSecond: Math.round((unlimited() - before) / seconds),
      limitedPerSecond: +(((receiver.byPath.get("/target-0") ?? 0) - limitedBefore) / seconds).toFixed(1),
    };
  };
  // Rounds of the two phases, alternating, so that the machine's drift weighs on both alike; after each round the
  // limited target's backlog is let through (its limit raised to 1,000/s, then set back), so the next round's
  // "without" phase starts with no paced deliveries waiting.
  const limitedReceived = () => receiver.byPath.get("/target-0") ?? 0;
  let limitedExpected = limitedReceived();
  const rounds = [];
  for (let round = 0; round < LIMITED_ROUNDS; round++) {
    const without = await run("API_KEY_UPDATED");
    const withLimited = await run("API_KEY_REVOKED");
    rounds.push({ without, with: withLimited, ratio: +(withLimited.unlimitedPerSecond / without.unlimitedPerSecond).toFixed(2) });
    limitedExpected += LIMITED_EVENTS;
    await call("setNotificationTargetRateLimit", "SetNotificationTargetRateLimitInput", { targetId: ids[0], maxDeliveriesPerSecond: 1000 });
    const deadline = performance.now() + LIMITED_DEADLINE_MS;
    while (limitedReceived() < limitedExpected && performance.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    await call("setNotificationTargetRateLimit", "SetNotificationTargetRateLimitInput", {
      targetId: ids[0],
      maxDeliveriesPerSecond: LIMITED_PER_SECOND,
    });
  }
  const median = [...rounds].sort((a, b) => a.ratio - b.ratio)[Math.floor(rounds.length / 2)];
  return {
    events: LIMITED_EVENTS,
    limitPerSecond: LIMITED_PER_SECOND,
    rounds,
    // The round with the median ratio.
    without: median.without,
    with: median.with,
    ratio: median.ratio,
    target: LIMITED_TARGET_RATIO,
  };
}

/**
 * Commits `events` events in batches — as fast as possible, or paced at eventsPerSecond —
 * and waits until every target received each (or the deadline passes).
 */
async function phase({ client, receiver, org, events, batch, eventsPerSecond, deadline }) {
  const before = receiver.count;
  const connectionsBefore = receiver.connections;
  const allReceived = receiver.whenCount(before + events * TARGETS);
  const committedAt = new Map();
  const first = performance.timeOrigin + performance.now();
  for (let from = 0; from < events; from += batch) {
    if (eventsPerSecond) {
      const due = first + (from / eventsPerSecond) * 1000 - (performance.timeOrigin + performance.now());
      if (due > 0) await new Promise((resolve) => setTimeout(resolve, due));
    }
    const rows = await commitEvents(client, org, "API_KEY_CREATED", from, Math.min(events, from + batch) - 1);
    const at = performance.timeOrigin + performance.now();
    for (const row of rows) committedAt.set(row.id, at);
  }
  const emitted = performance.timeOrigin + performance.now();
  // Bounded: past the deadline the numbers cover what arrived, and say so.
  let timer;
  const timeout = new Promise((resolve) => {
    timer = setTimeout(resolve, Math.max(0, deadline - Date.now()));
  });
  await Promise.race([allReceived, timeout]);
  clearTimeout(timer);
  const last = performance.timeOrigin + performance.now();
  const deliveries = receiver.count - before;

  const latencies = [];
  let duplicates = 0;
  for (const [id, commit] of committedAt) {
    const times = receiver.receipts.get(id) ?? [];
    if (times.length > TARGETS) duplicates += times.length - TARGETS;
    for (const time of times) latencies.push(time - commit);
  }
  latencies.sort((a, b) => a - b);
  return {
    complete: deliveries >= events * TARGETS,
    deliveries,
    connections: receiver.connections - connectionsBefore,
    duplicates,
    emitSeconds: +((emitted - first) / 1000).toFixed(2),
    totalSeconds: +((last - first) / 1000).toFixed(2),
    deliveriesPerSecond: Math.round(deliveries / ((last - first) / 1000)),
    p50: Math.round(percentile(latencies, 50)),
    p99: Math.round(percentile(latencies, 99)),
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
      const added = await graphql(
        keyway.url,
        keyway.key,
        `
          mutation ($uri: String!, $name: String!) {
            addWebhookNotificationTarget(input: { name: $name, uri: $uri, subscriptions: [API_KEY_CREATED] }) {
              ... on WebhookNotificationTarget {
                id
              }
            }
          }
        `,
        { uri: `${receiver.url}/target-${i}`, name: `bench ${i}` },
      );
      ids.push(added.addWebhookNotificationTarget.id);
    }
    for (;;) {
      const { rows } = await client.query("SELECT count(*)::int AS active FROM notification_targets WHERE status = 'ACTIVE'");
      if (rows[0].active === TARGETS) break;
      if (Date.now() - started > 30_000) throw new Error("targets did not become ACTIVE");
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const {
      rows: [org],
    } = await client.query("SELECT id FROM organizations LIMIT 1");

    const burst = await phase({
      client,
      receiver,
      org: org.id,
      events: EVENTS,
      batch: BATCH,
      eventsPerSecond: null,
      deadline: started + BURST_DEADLINE_MS,
    });
    const paced = await phase({
      client,
      receiver,
      org: org.id,
      events: PACED_EVENTS,
      batch: 5,
      eventsPerSecond: PACED_EVENTS_PER_SECOND,
      deadline: started + DEADLINE_MS,
    });
    const limited = await limitedScenario({ client, receiver, org: org.id, keyway, ids });
    result = {
      case: "webhook deliveries",
      complete: burst.complete && paced.complete,
      events: EVENTS,
      targets: TARGETS,
      deliveries: burst.deliveries,
      expectedDeliveries: EVENTS * TARGETS,
      workerConcurrency: Number(CONCURRENCY),
      emitSeconds: burst.emitSeconds,
      totalSeconds: burst.totalSeconds,
      deliveriesPerSecond: burst.deliveriesPerSecond,
      connectionsOpened: burst.connections,
      p50CommitToReceiptMs: burst.p50,
      p99CommitToReceiptMs: burst.p99,
      paced: {
        events: PACED_EVENTS,
        offeredDeliveriesPerSecond: PACED_EVENTS_PER_SECOND * TARGETS,
        deliveries: paced.deliveries,
        connectionsOpened: paced.connections,
        p50CommitToReceiptMs: paced.p50,
        p99CommitToReceiptMs: paced.p99,
      },
      limited,
      duplicates: burst.duplicates + paced.duplicates,
      targetDeliveriesPerSecond: 2000,
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
    `${result.events} events to ${result.targets} local targets (${result.deliveries} of ${result.expectedDeliveries} signed deliveries received${result.complete ? "" : " before the deadline"}), committed as fast as possible in batches of ${BATCH} while deliveries run; one Keyway process with ${result.workerConcurrency} concurrent jobs, embedded PostgreSQL, receivers in the benchmark process, all on the same 2-core machine.`,
    "",
    "| deliveries/s | p50 commit→receipt | p99 commit→receipt | emitting took | all received after | duplicates |",
    "| --- | --- | --- | --- | --- | --- |",
    `| ${result.deliveriesPerSecond} | ${result.p50CommitToReceiptMs} ms | ${result.p99CommitToReceiptMs} ms | ${result.emitSeconds} s | ${result.totalSeconds} s | ${result.duplicates} |`,
    "",
    "These latencies include the wait in the backlog: events are committed faster than they can be delivered, so later ones wait for the ones before them.",
    `Keyway opened ${result.connectionsOpened} connections to the receivers for these ${result.deliveries} deliveries (kept alive and reused).`,
    "",
    `Paced: ${result.paced.events} more events at ${PACED_EVENTS_PER_SECOND} events/s (${result.paced.offeredDeliveriesPerSecond} deliveries/s offered): p50 ${result.paced.p50CommitToReceiptMs} ms, p99 ${result.paced.p99CommitToReceiptMs} ms from commit to receipt (${result.paced.deliveries} deliveries, ${result.paced.connectionsOpened} connections opened).`,
    "",
    `One target limited to ${result.limited.limitPerSecond}/s, in ${result.limited.rounds.length} alternating rounds: ${result.limited.events} events to the four unlimited targets alone, then ${result.limited.events} that the limited one receives too (its backlog let through between rounds).`,
    "",
    "| round | unlimited targets' deliveries/s without the limited target | with it | ratio | limited target's deliveries/s |",
    "| --- | --- | --- | --- | --- |",
    ...result.limited.rounds.map(
      (r, i) => `| ${i + 1} | ${r.without.unlimitedPerSecond} | ${r.with.unlimitedPerSecond} | ${r.ratio} | ${r.with.limitedPerSecond} |`,
    ),
    "",
    `Ratio with / without, median round: ${result.limited.ratio} (target ≥ ${result.limited.target}).`,
    "",
  ].join("\n");
  writeFileSync(path.join(dir, "deliveries.md"), md);
  process.stdout.write(md);
  process.stdout.write(
    `\ndeliveries/s: ${result.deliveriesPerSecond} (target ≥ ${result.targetDeliveriesPerSecond}); p99 commit→receipt: ${result.p99CommitToReceiptMs} ms under the burst, ${result.paced.p99CommitToReceiptMs} ms paced; unlimited targets with / without a limited one: ${result.limited.ratio}\n`,
  );
}

main().then(
  () => process.exit(0),
  (error) => {
    process.stderr.write(`deliveries benchmark failed: ${error.stack || error}\n`);
    process.exit(1);
  },
);
