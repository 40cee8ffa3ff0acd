// Events at scale: the event list and a target's events with 10,000 and with 10,000,000
// notification events (one delivery each), and the retention dropping a day of 1,000,000
// events while a delivery loop keeps writing. Writes bench/results/events-scale.{json,md}.
//
//   npm run build && node bench/events-scale.js
//
// Times are database times (EXPLAIN (ANALYZE, BUFFERS): planning + execution, fastest of ROUNDS),
// as the machine is shared; the 10,000-event figure comes from a second database in the same
// cluster, measured in turns with the large one. Keyway migrates both; the rows are then generated
// in SQL (generate_series), one statement per day and table, DAYS days of events 22 to 31 days
// old, so the oldest day has expired and the others have not.
const { writeFileSync, mkdirSync } = require("node:fs");
const path = require("node:path");
const { ROOT, startDatabase, startKeyway } = require("./lib/server.js");
const { Client } = require(path.join(ROOT, "node_modules/pg"));
const { DataSource } = require(path.join(ROOT, "node_modules/typeorm"));
const { dropExpiredEventDays, eventPartitionSpan } = require(path.join(ROOT, "dist/src/db/event-partitions.js"));

const SMALL = 10_000;
const LARGE = Number(process.env.BENCH_EVENTS_LARGE || 10_000_000);
const DAYS = 10;
const ROUNDS = 30;
const DAY_MS = 86_400_000;
// The old row-by-row sweep is timed on this many rows of a day, for comparison.
const OLD_SWEEP_ROWS = 100_000;

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const round = (value, digits = 2) => Number(value.toFixed(digits));

// The two lists as Keyway sends them (src/db/pagination.ts, PartitionSpan): the daily partitions'
// span and the rest of the table apart, each in order by the partition key, then together.
const spanned = ({ from, to }, page, key) => {
  const [a, b] = [`'${from.toISOString()}'`, `'${to.toISOString()}'`];
  return `SELECT * FROM (${page(`${key} >= ${a} AND ${key} < ${b}`)} UNION ALL ${page(`(${key} < ${a} OR ${key} >= ${b})`)}) AS page
    ORDER BY ${key.split(".")[1]} DESC, id DESC LIMIT 21`;
};
const listEvents = (span) =>
  spanned(
    span,
    (condition) => `(SELECT e.id, e.name, e.data, e.created_at, e.expires_at, e.organization_id, e.environment
      FROM notification_events e WHERE e.organization_id = $1 AND e.environment = 'TEST' AND ${condition}
      ORDER BY e.created_at DESC, e.id DESC LIMIT 21)`,
    "e.created_at",
  );
const listTargetEvents = (span) =>
  spanned(
    span,
    (condition) => `(SELECT d.id, d.event_id, d.event_created_at, d.target_id, d.created_at, d.step, d.schedule_index, d.attempt_count,
        d.succeeded_at, d.next_attempt_at, d.organization_id, d.environment
      FROM notification_deliveries d WHERE d.organization_id = $1 AND d.environment = 'TEST' AND d.target_id = $2 AND ${condition}
      ORDER BY d.event_created_at DESC, d.id DESC LIMIT 21)`,
    "d.event_created_at",
  );
// A page's events, as the loader reads them (NotificationEventService.findManyByKey): by id, within
// the times the deliveries read (millisecondWindow); and, for comparison, by id alone.
const EVENTS_BY_KEY = `SELECT e.id, e.name, e.data, e.created_at, e.expires_at, e.organization_id, e.environment
  FROM notification_events e WHERE e.organization_id = $1 AND e.environment = 'TEST' AND e.id = ANY($2::uuid[])
   AND e.created_at >= $3 AND e.created_at < $4`;
const EVENTS_BY_ID = `SELECT e.id, e.name, e.data, e.created_at, e.expires_at, e.organization_id, e.environment
  FROM notification_events e WHERE e.organization_id = $1 AND e.environment = 'TEST' AND e.id = ANY($2::uuid[])`;

/**
 * Database time (planning + execution) of a query on each side (the 10,000-event database and the
 * 10,000,000-event one), the sides taking turns round by round so that both meet the same moments
 * of the machine: per side, the fastest of ROUNDS (the least disturbed) and the median; and the
 * shared buffers one run touches.
 */
async function dbTimes(sides) {
  const times = sides.map(() => []);
  const plans = [];
  for (let i = 0; i < ROUNDS; i++) {
    for (const [n, { client, sql, params }] of sides.entries()) {
      const { rows } = await client.query(`EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) ${sql}`, params);
      const [result] = rows[0]["QUERY PLAN"];
      times[n].push(result["Planning Time"] + result["Execution Time"]);
      plans[n] = result;
    }
  }
  return sides.map((_, n) => ({
    ms: round(Math.min(...times[n]), 3),
    medianMs: round(median(times[n]), 3),
    buffers: plans[n].Plan["Shared Hit Blocks"] + plans[n].Plan["Shared Read Blocks"],
    rows: plans[n].Plan["Actual Rows"],
  }));
}

function dayStart(daysAgo) {
  const today = new Date(new Date().toISOString().slice(0, 10) + "T00:00:00Z").getTime();
  return new Date(today - daysAgo * DAY_MS);
}

/** Adds `perDay` events to each of the DAYS days (31 … 22 days ago), each with one delivery to the target. */
async function load(client, org, target, perDay, offset) {
  for (let d = 0; d < DAYS; d++) {
    const start = dayStart(31 - d);
    // Spread over the day: event i at start + (offset + i) × (day / LARGE per day).
    const params = [org, start, perDay, offset, DAY_MS / (LARGE / DAYS)];
    await client.query(
      `INSERT INTO notification_events (organization_id, environment, name, data, created_at, expires_at)
       SELECT $1, 'TEST', 'API_KEY_CREATED', jsonb_build_object('id', 'k' || i),
              $2::timestamptz + (($4 + i) * $5::float8) * interval '1 millisecond',
              $2::timestamptz + (($4 + i) * $5::float8) * interval '1 millisecond' + interval '30 days'
         FROM generate_series(1, $3::int) AS i`,
      params,
    );
    await client.query(
      `INSERT INTO notification_deliveries (organization_id, environment, event_id, event_created_at, target_id, created_at, step, attempt_count, succeeded_at)
       SELECT organization_id, environment, id, created_at, $2, created_at, 1, 1, created_at FROM notification_events
        WHERE created_at > $1::timestamptz + ($3::float8 * $4) * interval '1 millisecond' AND created_at < $1::timestamptz + interval '1 day'`,
      [start, target, offset, DAY_MS / (LARGE / DAYS)],
    );
  }
  await client.query("VACUUM ANALYZE notification_events");
  await client.query("VACUUM ANALYZE notification_deliveries");
}

/** The statements a page of each list costs, on one database: the two lists and the page's events. */
async function pageStatements({ client, org, target, span }) {
  const targetEvents = listTargetEvents(span);
  // The first page's events, with their times as a Date reads them (to the millisecond).
  const { rows } = await client.query(targetEvents, [org, target]);
  const times = rows.slice(0, 20).map((row) => row.event_created_at.getTime());
  const keys = [org, rows.slice(0, 20).map((row) => row.event_id), new Date(Math.min(...times)), new Date(Math.max(...times) + 1)];
  return {
    events: { client, sql: listEvents(span), params: [org] },
    targetEvents: { client, sql: targetEvents, params: [org, target] },
    pageEvents: { client, sql: EVENTS_BY_KEY, params: keys },
    pageEventsById: { client, sql: EVENTS_BY_ID, params: keys.slice(0, 2) },
  };
}

/** Each list on both databases, in turns: `{ small, large }`, each by list. */
async function lists(small, large) {
  const [a, b] = [await pageStatements(small), await pageStatements(large)];
  const result = { small: {}, large: {} };
  for (const name of Object.keys(a)) [result.small[name], result.large[name]] = await dbTimes([a[name], b[name]]);
  return result;
}

/**
 * A database migrated by Keyway, with its bootstrap organization, a target, and the partitions of
 * the DAYS days; `span` as Keyway reads it.
 */
async function prepare(url) {
  const keyway = await startKeyway(url);
  await keyway.stop();
  const client = new Client({ connectionString: url });
  await client.connect();
  const {
    rows: [{ id: org }],
  } = await client.query("SELECT id FROM organizations LIMIT 1");
  const {
    rows: [{ id: target }],
  } = await client.query(
    `INSERT INTO notification_targets (organization_id, environment, name, uri, subscriptions, status)
     VALUES ($1, 'TEST', 'bench', 'http://127.0.0.1:9/', '{API_KEY_CREATED}', 'ACTIVE') RETURNING id`,
    [org],
  );
  await client.query("SELECT keyway_create_event_partitions($1::date, $2::date)", [dayStart(31), dayStart(0)]);
  const dataSource = new DataSource({ type: "postgres", url });
  await dataSource.initialize();
  return { client, org, target, dataSource, span: await eventPartitionSpan(dataSource) };
}

/**
 * What a delivery writes and reads (event, delivery, attempt, the attempt's join), in a loop on its
 * own connection until stopped; returns each iteration's start and duration.
 */
function deliveryLoop(url, org, target) {
  const client = new Client({ connectionString: url });
  const samples = [];
  let running = true;
  const done = (async () => {
    await client.connect();
    while (running) {
      const started = performance.now();
      await client.query("BEGIN");
      const {
        rows: [event],
      } = await client.query(
        `INSERT INTO notification_events (organization_id, environment, name, data, expires_at)
         VALUES ($1, 'TEST', 'API_KEY_CREATED', '{}', now() + interval '30 days') RETURNING id, created_at::text`,
        [org],
      );
      const {
        rows: [delivery],
      } = await client.query(
        `INSERT INTO notification_deliveries (organization_id, environment, event_id, event_created_at, target_id, step, next_attempt_at)
         VALUES ($1, 'TEST', $2, $3, $4, 1, now()) RETURNING id`,
        [org, event.id, event.created_at, target],
      );
      await client.query("COMMIT");
      await client.query(
        `SELECT d.step, e.name, e.data FROM notification_deliveries d
           JOIN notification_events e ON e.id = d.event_id AND e.created_at = d.event_created_at WHERE d.id = $1`,
        [delivery.id],
      );
      await client.query(
        `INSERT INTO delivery_attempts (organization_id, environment, delivery_id, event_id, event_created_at, target_id, attempt_number, status, duration_ms)
         VALUES ($1, 'TEST', $2, $3, $4, $5, 1, 'SUCCESS', 1)`,
        [org, delivery.id, event.id, event.created_at, target],
      );
      samples.push({ at: started, ms: performance.now() - started });
    }
    await client.end();
  })();
  return {
    samples,
    stop: async () => {
      running = false;
      await done;
    },
  };
}

/** The old sweep: batched DELETE (deliveries and attempts with them), timed on OLD_SWEEP_ROWS events of a day. */
async function oldSweep(client, org, daysAgo) {
  const start = dayStart(daysAgo);
  const started = performance.now();
  let deleted = 0;
  while (deleted < OLD_SWEEP_ROWS) {
    const { rows } = await client.query(
      `WITH e AS (DELETE FROM notification_events WHERE (id, created_at) IN (
          SELECT id, created_at FROM notification_events WHERE organization_id = $1 AND created_at >= $2 AND created_at < $2::timestamptz + interval '1 day' LIMIT 5000)
        RETURNING id, created_at),
       d AS (DELETE FROM notification_deliveries d USING e WHERE d.event_id = e.id AND d.event_created_at = e.created_at)
       SELECT count(*)::int AS count FROM e`,
      [org, start],
    );
    deleted += rows[0].count;
    if (rows[0].count === 0) break;
  }
  const ms = performance.now() - started;
  return { rows: deleted, ms: round(ms, 1), perMillionMs: round((ms / deleted) * 1_000_000, 0) };
}

async function main() {
  const started = Date.now();
  const db = await startDatabase();
  let result;
  try {
    // Keyway migrates each database and creates its bootstrap organization; the rest is SQL. The
    // 10,000 events are loaded into both; the 10,000,000 into the main one only, so the two figures
    // are measured together, turn by turn.
    await (async () => {
      const admin = new Client({ connectionString: db.url });
      await admin.connect();
      await admin.query("CREATE DATABASE keyway_small");
      await admin.end();
    })();
    const smallDb = await prepare(db.url.replace(/\/[^/?]+(\?|$)/, "/keyway_small$1"));
    const mainDb = await prepare(db.url);
    const { client, org, target, dataSource } = mainDb;
    try {
      await load(smallDb.client, smallDb.org, smallDb.target, SMALL / DAYS, 0);
      await load(client, org, target, SMALL / DAYS, 0);

      const loadStarted = performance.now();
      await load(client, org, target, (LARGE - SMALL) / DAYS, SMALL / DAYS);
      const loadSeconds = round((performance.now() - loadStarted) / 1000, 1);
      const {
        rows: [{ count }],
      } = await client.query("SELECT count(*)::int AS count FROM notification_events");
      const { small, large } = await lists(smallDb, mainDb);
      await smallDb.client.end();
      await smallDb.dataSource.destroy();
      console.log(`${SMALL} events: events ${small.events.ms} ms, target events ${small.targetEvents.ms} ms`);
      console.log(`${count} events (loaded in ${loadSeconds} s): events ${large.events.ms} ms, target events ${large.targetEvents.ms} ms`);

      const oldest = `notification_events_p${dayStart(31).toISOString().slice(0, 10).replaceAll("-", "")}`;
      const {
        rows: [{ day }],
      } = await client.query(`SELECT count(*)::int AS day FROM ${oldest}`);

      // The retention's own code drops the expired day while the delivery loop runs.
      const loop = deliveryLoop(db.url, org, target);
      await new Promise((resolve) => setTimeout(resolve, 3000));
      const dropStarted = performance.now();
      const dropped = await dropExpiredEventDays(dataSource);
      const dropEnded = performance.now();
      await new Promise((resolve) => setTimeout(resolve, 2000));
      await loop.stop();
      await dataSource.destroy();
      const before = loop.samples.filter((s) => s.at + s.ms < dropStarted).map((s) => s.ms);
      const during = loop.samples.filter((s) => s.at < dropEnded && s.at + s.ms > dropStarted).map((s) => s.ms);
      const retention = {
        droppedDays: dropped,
        eventsInDay: day,
        dropMs: round(dropEnded - dropStarted, 1),
        loopIterations: loop.samples.length,
        loopMedianMs: round(median(before), 2),
        loopMaxBeforeMs: round(Math.max(...before), 1),
        loopMaxDuringDropMs: round(Math.max(0, ...during), 1),
      };
      console.log(`dropped ${dropped.join(", ")} (${day} events) in ${retention.dropMs} ms`);

      const old = await oldSweep(client, org, 30);

      result = {
        case: "events at scale",
        small: { count: SMALL, ...small },
        large: { count, loadSeconds, ...large },
        ratio: {
          events: round(small.events.ms / large.events.ms),
          targetEvents: round(small.targetEvents.ms / large.targetEvents.ms),
          eventsBuffers: round(small.events.buffers / large.events.buffers),
          targetEventsBuffers: round(small.targetEvents.buffers / large.targetEvents.buffers),
          // The page as a client reads it: the list, then its 20 events (a second statement).
          pageWithEvents: round((small.targetEvents.ms + small.pageEvents.ms) / (large.targetEvents.ms + large.pageEvents.ms)),
          pageWithEventsBuffers: round(
            (small.targetEvents.buffers + small.pageEvents.buffers) / (large.targetEvents.buffers + large.pageEvents.buffers),
          ),
        },
        retention,
        oldSweep: old,
        targets: { ratio: 0.9, dropMs: 1000 },
        totalSeconds: round((Date.now() - started) / 1000, 0),
        date: new Date().toISOString(),
      };
    } finally {
      await client.end();
    }
  } finally {
    await db.stop();
  }

  const dir = path.join(__dirname, "results");
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, "events-scale.json"), JSON.stringify(result, null, 2) + "\n");
  const r = result;
  const md = [
    "# Events at scale",
    "",
    `Notification events partitioned by UTC day (with their deliveries and attempts); ${DAYS} days of events, one delivery each to one target, generated in SQL on embedded PostgreSQL; database time (EXPLAIN ANALYZE planning + execution, fastest of ${ROUNDS}; median and shared buffers in events-scale.json), first page of 20. The 10,000 events are a second database of the same cluster, each statement run on the two in turns, so both figures meet the same moments of the machine.`,
    "",
    "| query | 10,000 events | " + r.large.count.toLocaleString("en") + " events | ratio (target ≥ 0.9) |",
    "| --- | ---: | ---: | ---: |",
    `| notificationEvents(first: 20) | ${r.small.events.ms} ms (${r.small.events.buffers} buffers) | ${r.large.events.ms} ms (${r.large.events.buffers} buffers) | ${r.ratio.events} |`,
    `| a target's events (first: 20) | ${r.small.targetEvents.ms} ms (${r.small.targetEvents.buffers} buffers) | ${r.large.targetEvents.ms} ms (${r.large.targetEvents.buffers} buffers) | ${r.ratio.targetEvents} |`,
    `| that page's 20 events (the \`event\` field) | ${r.small.pageEvents.ms} ms (${r.small.pageEvents.buffers} buffers) | ${r.large.pageEvents.ms} ms (${r.large.pageEvents.buffers} buffers) | list and events together: ${r.ratio.pageWithEvents} |`,
    "",
    `The page's events read by id alone, as before they carried the deliveries' times: ${r.small.pageEventsById.ms} ms (${r.small.pageEventsById.buffers} buffers) at 10,000 events, ${r.large.pageEventsById.ms} ms (${r.large.pageEventsById.buffers} buffers) at ${r.large.count.toLocaleString("en")}: every day's index is probed for each id.`,
    "",
    `Retention: the expired day (${r.retention.eventsInDay.toLocaleString("en")} events and their deliveries) dropped in ${r.retention.dropMs} ms (target < 1000 ms), measured around the retention's own call. A delivery loop (event, delivery, attempt, the attempt's read) ran meanwhile: ${r.retention.loopIterations} iterations, median ${r.retention.loopMedianMs} ms, longest ${r.retention.loopMaxBeforeMs} ms before the drop and ${r.retention.loopMaxDuringDropMs} ms across it.`,
    "",
    `For comparison, the previous row-by-row sweep (batched DELETE of 5,000) removed ${r.oldSweep.rows.toLocaleString("en")} events with their deliveries in ${r.oldSweep.ms} ms: ${r.oldSweep.perMillionMs.toLocaleString("en")} ms per million.`,
    "",
    `Loading ${r.large.count.toLocaleString("en")} events took ${r.large.loadSeconds} s; the whole run ${r.totalSeconds} s.`,
    "",
  ].join("\n");
  writeFileSync(path.join(dir, "events-scale.md"), md);
  process.stdout.write(md);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
