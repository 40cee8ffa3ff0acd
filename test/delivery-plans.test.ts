import { Client } from "pg";
import { observeStatements, type BuiltStatement } from "../src/db/sql";
import { activeTarget, deliveredIds, keyCreatedEvent } from "./helpers/delivery-controls";
import { Receiver } from "./helpers/receiver";
import { startTestServer, TestServer } from "./helpers/server";
import { waitFor } from "./helpers/wait";

// The delivery worker's hot statements run as named statements: each connection plans them once, on the
// tables as they are then, and keeps that plan. A day's partition is nearly empty when a connection plans,
// and holds a day of deliveries later: a plan that scans it, cheap at first, then costs a scan per delivery
// (the benchmark slowed from hundreds of deliveries/s to a few as the partition filled). So the statements
// must reach their rows by key in every plan PostgreSQL may keep, whatever the tables' sizes when planned.

let server: TestServer;
let receiver: Receiver;
const seen: BuiltStatement[] = [];
let stopObserving: () => void;

beforeAll(async () => {
  receiver = await Receiver.start();
  // Retries soon after a failure, so that a retry's attempt job runs within a test.
  server = await startTestServer({ KEYWAY_RETRY_SCHEDULE: "0,200ms,200ms" });
  stopObserving = observeStatements((event) => seen.push(event.statement));
});
afterAll(async () => {
  stopObserving?.();
  await server?.stop();
  await receiver?.stop();
});

/** The generic plan (the one a connection keeps) of a statement, planned on the tables as they are now. */
async function genericPlan(client: Client, statement: BuiltStatement, name: string): Promise<string> {
  const literal = (value: unknown) => {
    if (value === null || value === undefined) return "NULL";
    if (value instanceof Date) return client.escapeLiteral(value.toISOString());
    if (Array.isArray(value)) {
      const items = value.map((item) => (item === null ? "NULL" : `"${`${item as string | number}`.replace(/["\\]/g, "\\$&")}"`));
      return client.escapeLiteral(`{${items.join(",")}}`);
    }
    return client.escapeLiteral(typeof value === "object" ? JSON.stringify(value) : `${value as string | number | boolean}`);
  };
  const literals = statement.values.map(literal);
  await client.query(`PREPARE ${name} AS ${statement.text}`);
  const { rows } = await client.query(`EXPLAIN EXECUTE ${name}(${literals.join(", ")})`);
  return rows.map((row: Record<string, string>) => row["QUERY PLAN"]).join("\n");
}

/** The partitions of notification_deliveries a generic plan scans (its UPDATEs name every partition they may write). */
const deliveryScansOf = (plan: string) =>
  plan.split("\n").filter((line) => /Scan .*\bon notification_deliveries_(p\d{8}|default)\b/.test(line));

const EVENT_TABLES = /(notification_deliveries|notification_events|delivery_attempts)/;

it("reads and records a delivery by key in the generic plan, planned while the partitions are nearly empty", async () => {
  await activeTarget(server.admin, receiver, "plans");
  await keyCreatedEvent(server.admin, "plans probe");
  await waitFor(() => receiver.to("plans").some((request) => request.json?.type === "API_KEY_CREATED"), undefined, "the delivery");
  await waitFor(
    () => seen.filter((statement) => statement.text.includes("INSERT INTO delivery_attempts")).length >= 2,
    undefined,
    "the records",
  );

  const read = seen.find((statement) => /^SELECT d\.step/.test(statement.text.trim()));
  // The attempt of a queued delivery (the activation) and the first attempts the fan-out records together: one statement.
  const records = [
    ...new Map(seen.filter((statement) => statement.text.includes("INSERT INTO delivery_attempts")).map((s) => [s.text, s])).values(),
  ];
  expect(read).toBeDefined();
  expect(records).toHaveLength(1);

  const client = new Client({ connectionString: server.app.databaseUrl });
  await client.connect();
  try {
    await client.query("SET plan_cache_mode = force_generic_plan");
    for (const [name, statement] of [
      ["delivery_read", read!] as const,
      ...records.map((record, i) => [`delivery_record_${i}`, record] as const),
    ]) {
      const plan = await genericPlan(client, statement, name);
      const scans = plan.split("\n").filter((line) => /Seq Scan on/.test(line) && EVENT_TABLES.test(line));
      const joinFilters = plan.split("\n").filter((line) => /Join Filter: .*\b(d|e)\.(id|event_id)\b/.test(line));
      expect({ name, scans, joinFilters }).toEqual({ name, scans: [], joinFilters: [] });
    }
  } finally {
    await client.end();
  }
});

it("reads the event a fan-out job names, and records its attempts, in the event's own day, also in the generic plan", async () => {
  await activeTarget(server.admin, receiver, "fan-out-day");
  await keyCreatedEvent(server.admin, "fan-out day probe");
  await waitFor(() => receiver.to("fan-out-day").some((request) => request.json?.type === "API_KEY_CREATED"), undefined, "the delivery");
  const reads = seen.filter((statement) => /FROM notification_events WHERE id = \$1/.test(statement.text));
  expect(reads.length).toBeGreaterThan(0);
  // Every job queued since the event carried its time.
  expect(reads.every((statement) => /AND created_at = \$2::timestamptz/.test(statement.text))).toBe(true);

  const client = new Client({ connectionString: server.app.databaseUrl });
  await client.connect();
  try {
    await client.query("SET plan_cache_mode = force_generic_plan");
    const plan = await genericPlan(client, reads[reads.length - 1], "fan_out_event_read");
    const partitions = plan.split("\n").filter((line) => /on notification_events_(p\d{8}|default)\b/.test(line));
    // Today's partition alone: the other days (the next seven and the DEFAULT one here) are pruned when it runs.
    expect(partitions).toHaveLength(1);
    expect(plan).toMatch(/Subplans Removed: [1-9]/);
    // The attempts' record finds its deliveries (to lock them, then to update them) in today's partition alone as well.
    const record = seen.filter((statement) => statement.text.includes("INSERT INTO delivery_attempts")).pop()!;
    const recordPlan = await genericPlan(client, record, "fan_out_record");
    expect(deliveryScansOf(recordPlan)).toHaveLength(2);
    expect(recordPlan.match(/Subplans Removed: [1-9]/g)).toHaveLength(2);
  } finally {
    await client.end();
  }
});

it("still fans out a job queued with the event's id alone, as jobs were queued before they carried its time", async () => {
  const targetId = await activeTarget(server.admin, receiver, "id-only-job");
  const client = new Client({ connectionString: server.app.databaseUrl });
  await client.connect();
  try {
    const [{ organization_id: organizationId }] = (
      await client.query("SELECT organization_id FROM notification_targets WHERE id = $1", [targetId.replace(/^nt_/, "")])
    ).rows;
    const { rows } = await client.query(
      `WITH event AS (INSERT INTO notification_events (organization_id, environment, name, data, expires_at)
                      VALUES ($1, 'TEST', 'API_KEY_CREATED', '{"id": "key_0123456789abcdef0123456789abcdef"}', now() + interval '30 days')
                      RETURNING id)
       SELECT event.id, graphile_worker.add_job('notification_event.fan_out', json_build_object('eventId', event.id::text),
                                                job_key => event.id::text) FROM event`,
      [organizationId],
    );
    const eventId = `evt_${(rows[0].id as string).replace(/-/g, "")}`;
    await waitFor(
      () => receiver.to("id-only-job").some((request) => request.json?.id === eventId),
      undefined,
      "the id-only job's delivery",
    );
  } finally {
    await client.end();
  }
});

it("reads a queued attempt's delivery in its event's own day, for an activation and for a retry, also in the generic plan", async () => {
  const since = seen.length;
  await activeTarget(server.admin, receiver, "attempt-day");
  receiver.answer("attempt-day", 500);
  const eventId = await keyCreatedEvent(server.admin, "attempt day probe");
  // The first attempt (sent by the fan-out) fails; the retry is a queued attempt job.
  await waitFor(() => receiver.to("attempt-day").filter((request) => request.json?.id === eventId).length >= 2, undefined, "the retry");
  expect(
    receiver
      .to("attempt-day")
      .filter((request) => request.json?.id === eventId)
      .map((request) => request.answered),
  ).toEqual([500, 200]);
  // The activation's attempt and the retry's: every job queued since carried its event's time.
  const reads = seen.slice(since).filter((statement) => /^SELECT d\.step/.test(statement.text.trim()));
  expect(reads.length).toBeGreaterThanOrEqual(2);
  expect(reads.every((statement) => /WHERE d\.id = \$1 AND d\.event_created_at = \$2::timestamptz/.test(statement.text))).toBe(true);

  const client = new Client({ connectionString: server.app.databaseUrl });
  await client.connect();
  try {
    await client.query("SET plan_cache_mode = force_generic_plan");
    const plan = await genericPlan(client, reads[reads.length - 1], "queued_attempt_read");
    // Today's partition alone: the other days' are pruned when it runs.
    expect(deliveryScansOf(plan)).toHaveLength(1);
    expect(plan).toMatch(/Subplans Removed: [1-9]/);
  } finally {
    await client.end();
  }
});

it("still attempts a delivery whose job names it by id alone, as attempt jobs were queued before they carried the time", async () => {
  await activeTarget(server.admin, receiver, "id-only-attempt");
  const eventId = await keyCreatedEvent(server.admin, "id-only attempt probe");
  await waitFor(() => receiver.to("id-only-attempt").some((request) => request.json?.id === eventId), undefined, "the delivery");
  const client = new Client({ connectionString: server.app.databaseUrl });
  await client.connect();
  try {
    // The delivered delivery's current step is its next attempt: a job for it sends the event again.
    const { rows } = await client.query(
      `SELECT d.id, d.step FROM notification_deliveries d JOIN notification_targets t ON t.id = d.target_id
        WHERE t.uri LIKE '%/id-only-attempt' AND d.event_id = $1 AND d.succeeded_at IS NOT NULL`,
      [eventId.replace(/^evt_/, "")],
    );
    expect(rows).toHaveLength(1);
    await client.query(
      `SELECT graphile_worker.add_job('notification_delivery.attempt', json_build_object('deliveryId', $1::text, 'step', $2::int))`,
      [rows[0].id, rows[0].step],
    );
    await waitFor(
      () => receiver.to("id-only-attempt").filter((request) => request.json?.id === eventId).length === 2,
      undefined,
      "the id-only job's attempt",
    );
    const attempts = await client.query(`SELECT count(*)::int AS n FROM delivery_attempts WHERE delivery_id = $1`, [rows[0].id]);
    expect(attempts.rows[0].n).toBe(2);
  } finally {
    await client.end();
  }
});

it("feeds a rate-limited target finding the deliveries it queued before in their events' days, also in the generic plan", async () => {
  const since = seen.length;
  await activeTarget(server.admin, receiver, "paced-day", { maxDeliveriesPerSecond: 2 });
  for (let i = 0; i < 6; i++) await keyCreatedEvent(server.admin, `paced day probe ${i}`);
  // A feed after the first one names the deliveries queued by the one before.
  const feedsWithQueued = () =>
    seen
      .slice(since)
      .filter((statement) => statement.text.includes("still AS (") && statement.values.some((v) => Array.isArray(v) && v.length > 0));
  await waitFor(() => feedsWithQueued().length > 0, undefined, "a feed naming queued deliveries");
  await waitFor(() => deliveredIds(receiver, "paced-day").length === 6, undefined, "the six deliveries");

  const client = new Client({ connectionString: server.app.databaseUrl });
  await client.connect();
  try {
    await client.query("SET plan_cache_mode = force_generic_plan");
    const plan = (await genericPlan(client, feedsWithQueued()[0], "paced_feed")).split("\n");
    // The lookup of the queued deliveries (the `still` part of the statement), apart from the backlog's own reads.
    const start = plan.findIndex((line) => /^\s*CTE still$/.test(line));
    expect(start).toBeGreaterThanOrEqual(0);
    const indent = plan[start].search(/\S/);
    const end = plan.findIndex((line, i) => i > start && line.search(/\S/) <= indent);
    const still = plan.slice(start, end === -1 ? undefined : end).join("\n");
    expect(deliveryScansOf(still)).toHaveLength(1);
    expect(still).toMatch(/Subplans Removed: [1-9]/);
  } finally {
    await client.end();
  }
});
