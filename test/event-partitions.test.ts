import { createKey } from "./helpers/keys";
import { Receiver } from "./helpers/receiver";
import { waitFor } from "./helpers/wait";
import { startTestServer, TestServer } from "./helpers/server";
import { decodeId, encodeId } from "../src/db/ids";

let server: TestServer;
let receiver: Receiver;

beforeAll(async () => {
  receiver = await Receiver.start();
  server = await startTestServer({ KEYWAY_EVENT_RETENTION_SWEEP_MS: "200" });
});
afterAll(async () => {
  await server?.stop();
  await receiver?.stop();
});

const DAY_MS = 86_400_000;
const TABLES = ["notification_events", "notification_deliveries", "delivery_attempts"];
const day = (offset: number) => new Date(Date.now() + offset * DAY_MS).toISOString().slice(0, 10);
const suffix = (date: string) => `_p${date.replaceAll("-", "")}`;

function sql<T = any>(text: string, params: unknown[] = []): Promise<T[]> {
  return server.app.services.dataSource.query(text, params);
}

async function partitions(table: string): Promise<string[]> {
  const rows = await sql<{ relname: string }>(
    "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = $1::regclass ORDER BY c.relname",
    [table],
  );
  return rows.map((row) => row.relname);
}

const TARGET_EVENTS = `query($id: ID!) { node(id: $id) { ... on WebhookNotificationTarget { status
  webhookNotificationTargetEvents(first: 10) { edges { node { hasSuccessfulDelivery event { id name }
    deliveryAttempts { totalCount } } } } } } }`;

async function activeTarget(): Promise<string> {
  const added = await server.admin.request<any>(
    `mutation($uri: String!) { addWebhookNotificationTarget(input: { name: "partitions", uri: $uri, subscriptions: [API_KEY_CREATED] }) {
      ... on WebhookNotificationTarget { id } } }`,
    { uri: receiver.target("partitions") },
  );
  const id = added.addWebhookNotificationTarget.id;
  await waitFor(async () => (await server.admin.request<any>(TARGET_EVENTS, { id })).node.status === "ACTIVE", undefined, "ACTIVE");
  return id;
}

it("keeps the partitions of today and the next seven days ready, and a DEFAULT partition", async () => {
  for (const table of TABLES) {
    const names = await partitions(table);
    for (let offset = 0; offset <= 7; offset++) expect(names).toContain(table + suffix(day(offset)));
    expect(names).toContain(`${table}_default`);
  }
  // Days ahead are created again by the sweep when missing.
  await sql(`DROP TABLE ${TABLES.map((table) => table + suffix(day(7))).join(", ")}`);
  await waitFor(async () => (await partitions("delivery_attempts")).includes(`delivery_attempts${suffix(day(7))}`), undefined, "day 7");
  for (const table of TABLES) expect(await partitions(table)).toContain(table + suffix(day(7)));
});

it("drops an expired day whole, with its deliveries and attempts, while deliveries of newer days go on", async () => {
  const targetId = await activeTarget();
  const uuid = decodeId("WebhookNotificationTarget", targetId);
  const [{ orgId }] = await sql('SELECT organization_id AS "orgId" FROM notification_targets WHERE id = $1', [uuid]);

  const before = await createKey(server.admin, { name: "before the drop" });
  await waitFor(() => receiver.to("partitions").length === 2, undefined, "the first key's event");

  // A day forty days ago, thirty days expired: one event, delivered once. One transaction, so the
  // sweep (every 200 ms) sees the day only with its rows.
  const old = day(-40);
  const oldEventId: string = await server.app.services.dataSource.transaction(async (em) => {
    await em.query("SELECT keyway_create_event_partitions($1::date, $1::date)", [old]);
    const [event] = await em.query(
      `INSERT INTO notification_events (organization_id, environment, name, data, created_at, expires_at)
       VALUES ($1, 'TEST', 'API_KEY_CREATED', '{}', $2::date + time '12:00', $2::date + time '12:00' + interval '30 days')
       RETURNING id, created_at`,
      [orgId, old],
    );
    const [delivery] = await em.query(
      `INSERT INTO notification_deliveries (organization_id, environment, event_id, event_created_at, target_id, step, attempt_count, succeeded_at)
       SELECT organization_id, environment, id, created_at, $2, 1, 1, created_at FROM notification_events WHERE id = $1 RETURNING id`,
      [event.id, uuid],
    );
    await em.query(
      `INSERT INTO delivery_attempts (organization_id, environment, delivery_id, event_id, event_created_at, target_id, attempt_number, status, duration_ms)
       SELECT d.organization_id, d.environment, d.id, d.event_id, d.event_created_at, d.target_id, 1, 'SUCCESS', 5
         FROM notification_deliveries d WHERE d.id = $1`,
      [delivery.id],
    );
    return event.id;
  });

  await waitFor(async () => (await partitions("notification_events")).every((name) => !name.endsWith(suffix(old))), undefined, "the drop");
  for (const table of TABLES) expect(await partitions(table)).not.toContain(table + suffix(old));
  expect(
    (await server.admin.request<any>(`query($id: ID!) { node(id: $id) { id } }`, { id: encodeId("NotificationEvent", oldEventId) })).node,
  ).toBeNull();
  expect(await sql("SELECT id FROM notification_deliveries WHERE event_id = $1", [oldEventId])).toEqual([]);
  expect(await sql("SELECT id FROM delivery_attempts WHERE event_id = $1", [oldEventId])).toEqual([]);

  // Today's partitions are untouched: the earlier delivery is still listed, and a new event is delivered.
  const after = await createKey(server.admin, { name: "after the drop" });
  await waitFor(() => receiver.to("partitions").length === 3, undefined, "the second key's event");
  const edges = await waitFor(async () => {
    const list = (await server.admin.request<any>(TARGET_EVENTS, { id: targetId })).node.webhookNotificationTargetEvents.edges;
    return list.filter((edge: any) => edge.node.event.name === "API_KEY_CREATED" && edge.node.hasSuccessfulDelivery).length === 2 && list;
  });
  expect(edges.map((edge: any) => edge.node.deliveryAttempts.totalCount)).toEqual([1, 1, 1]);
  const bodies = receiver
    .to("partitions")
    .slice(1)
    .map((request) => JSON.parse(request.body).data.id);
  expect(bodies).toEqual([before.id, after.id]);
});

/**
 * Index scans of the three tables' partitions of a day, as the statistics collector last reported
 * them: every index a list or its nested fields may read, not the expiry index, which the
 * retention sweep reads in every day (its other statements may also scan a day's tables whole).
 */
async function dayReads(date: string): Promise<number> {
  const [row] = await sql<{ scans: string }>(
    `SELECT coalesce(sum(s.idx_scan), 0) AS scans FROM pg_stat_user_indexes s JOIN pg_inherits i ON i.inhrelid = s.indexrelid
      WHERE s.relname = ANY($1) AND i.inhparent <> 'notification_events_expires_idx'::regclass`,
    [TABLES.map((table) => table + suffix(date))],
  );
  return Number(row.scans);
}

/** Each connection reports its statistics within ten seconds of going idle (PostgreSQL's PGSTAT_IDLE_INTERVAL). */
const statisticsArrived = () => new Promise((resolve) => setTimeout(resolve, 11_000));

/** An event of the organization at `createdAt` (any day: a day without its partition lands in the DEFAULT one). */
async function insertEvent(organizationId: string, createdAt: string): Promise<{ id: string; created_at: Date }> {
  const [event] = await sql(
    `INSERT INTO notification_events (organization_id, environment, name, data, created_at, expires_at)
     VALUES ($1, 'TEST', 'API_KEY_CREATED', '{}', $2::timestamptz, $2::timestamptz + interval '30 days') RETURNING id, created_at`,
    [organizationId, createdAt],
  );
  return event;
}

/**
 * Three older days (partitions created here, with the days between them and today) and today:
 * 25 events today, one on each older day, and one a year ahead, which only the DEFAULT partition
 * can hold; newest first.
 */
async function eventTimes(olderDays: [number, number, number]): Promise<string[]> {
  // Every day up to today, so that the partitions' span reaches back to the oldest of them.
  await sql("SELECT keyway_create_event_partitions($1::date, $2::date)", [day(Math.min(...olderDays)), day(-1)]);
  const today = Date.now();
  return [
    new Date(today + 365 * DAY_MS).toISOString(),
    ...Array.from({ length: 25 }, (_, i) => new Date(today - i * 1000).toISOString()),
    ...olderDays.map((offset) => `${day(offset)}T12:00:00Z`),
  ];
}

describe("the event list over the daily partitions", () => {
  const LIST = `query($first: Int!, $after: String) { organizations { notificationEvents(first: $first, after: $after) {
    edges { cursor node { id createdAt deliveryAttempts(first: 1) { totalCount } } } pageInfo { hasNextPage } } } }`;
  it("reads the newest days first and stops at the page's end, and still lists a row of the DEFAULT partition in its place", async () => {
    const organization = await server.otherOrganization();
    const client = server.client(organization.testKey);
    const [aheadTime, ...times] = await eventTimes([-1, -2, -3]);
    const ahead = (await insertEvent(organization.id, aheadTime)).id;
    for (const createdAt of times) await insertEvent(organization.id, createdAt);
    expect(await sql("SELECT 1 FROM notification_events_default WHERE id = $1", [ahead])).toHaveLength(1);
    // The sweep (every 200 ms here) rereads the partitions' span after creating the days ahead.
    await new Promise((resolve) => setTimeout(resolve, 1000));

    const older = await dayReads(day(-2));
    const first = (await client.request<any>(LIST, { first: 20 })).organizations[0].notificationEvents;
    expect(first.edges).toHaveLength(20);
    expect(first.edges[0].node.id).toBe(encodeId("NotificationEvent", ahead));
    const listed = first.edges.map((edge: any) => Date.parse(edge.node.createdAt));
    expect(listed).toEqual([...listed].sort((a, b) => b - a));
    // Neither the page nor its events' attempts opened an older day.
    await statisticsArrived();
    expect(await dayReads(day(-2))).toBe(older);

    // Every row, in order, page after page, none twice.
    const ids: string[] = first.edges.map((edge: any) => edge.node.id);
    let page = first;
    while (page.pageInfo.hasNextPage) {
      page = (await client.request<any>(LIST, { first: 20, after: page.edges[page.edges.length - 1].cursor })).organizations[0]
        .notificationEvents;
      ids.push(...page.edges.map((edge: any) => edge.node.id));
    }
    const all = await sql<{ id: string }>(
      "SELECT id FROM notification_events WHERE organization_id = $1 AND environment = 'TEST' ORDER BY created_at DESC, id DESC",
      [organization.id],
    );
    expect(all.length).toBeGreaterThanOrEqual(29);
    expect(ids).toEqual(all.map((row) => encodeId("NotificationEvent", row.id)));
  });
});

describe("a target's events over the daily partitions", () => {
  const LIST = `query($id: ID!, $first: Int!, $after: String) { node(id: $id) { ... on WebhookNotificationTarget {
    webhookNotificationTargetEvents(first: $first, after: $after) {
      edges { cursor node { event { id createdAt } deliveryAttempts(first: 1) { totalCount } } } pageInfo { hasNextPage } } } } }`;

  it("lists them newest event first, reading the newest days first, with a row of the DEFAULT partition in its place", async () => {
    const organization = await server.otherOrganization();
    const client = server.client(organization.testKey);
    const [{ id: target }] = await sql(
      `INSERT INTO notification_targets (organization_id, environment, name, uri, subscriptions, status)
       VALUES ($1, 'TEST', 'partitioned', 'https://example.com/hook', '{API_KEY_CREATED}', 'ACTIVE') RETURNING id`,
      [organization.id],
    );
    // Each event's delivery is written in the order below: the older days' last, as a recovery
    // sends old events to a target after the new ones. The list follows the events' times.
    const events = [];
    // Days of their own, which the event list's test did not read.
    for (const createdAt of await eventTimes([-4, -5, -6])) events.push(await insertEvent(organization.id, createdAt));
    for (const event of events) {
      await sql(
        `INSERT INTO notification_deliveries (organization_id, environment, event_id, event_created_at, target_id, step)
         VALUES ($1, 'TEST', $2, $3, $4, 1)`,
        [organization.id, event.id, event.created_at, target],
      );
    }
    expect(await sql("SELECT 1 FROM notification_deliveries_default WHERE event_id = $1", [events[0].id])).toHaveLength(1);
    await new Promise((resolve) => setTimeout(resolve, 1000));

    const id = encodeId("WebhookNotificationTarget", target);
    const older = await dayReads(day(-5));
    const first = (await client.request<any>(LIST, { id, first: 20 })).node.webhookNotificationTargetEvents;
    expect(first.edges).toHaveLength(20);
    expect(first.edges[0].node.event.id).toBe(encodeId("NotificationEvent", events[0].id));
    const times = first.edges.map((edge: any) => Date.parse(edge.node.event.createdAt));
    expect(times).toEqual([...times].sort((a, b) => b - a));
    // A page after a cursor, within today: the cursor's row is looked up in its own day only, as
    // the cursor carries the row's event time.
    const next = (await client.request<any>(LIST, { id, first: 5, after: first.edges[4].cursor })).node.webhookNotificationTargetEvents;
    expect(next.edges.map((edge: any) => edge.node.event.id)).toEqual(first.edges.slice(5, 10).map((edge: any) => edge.node.event.id));
    // Neither page, nor their events, nor their attempts, nor the cursor opened an older day.
    await statisticsArrived();
    expect(await dayReads(day(-5))).toBe(older);

    // Every row, in order, page after page, none twice.
    const ids: string[] = first.edges.map((edge: any) => edge.node.event.id);
    let page = first;
    while (page.pageInfo.hasNextPage) {
      const after = page.edges[page.edges.length - 1].cursor;
      page = (await client.request<any>(LIST, { id, first: 20, after })).node.webhookNotificationTargetEvents;
      ids.push(...page.edges.map((edge: any) => edge.node.event.id));
    }
    const all = await sql<{ id: string }>(
      "SELECT event_id AS id FROM notification_deliveries WHERE target_id = $1 ORDER BY event_created_at DESC, id DESC",
      [target],
    );
    expect(all).toHaveLength(events.length);
    expect(ids).toEqual(all.map((row) => encodeId("NotificationEvent", row.id)));

    // A cursor written before cursors carried the time (the row's id alone) still pages from its row.
    const [twentieth] = await sql<{ id: string }>(
      "SELECT id FROM notification_deliveries WHERE target_id = $1 ORDER BY event_created_at DESC, id DESC OFFSET 19 LIMIT 1",
      [target],
    );
    const idOnly = Buffer.from(`c:${twentieth.id}`).toString("base64url");
    const second = (await client.request<any>(LIST, { id, first: 20, after: idOnly })).node.webhookNotificationTargetEvents;
    expect(second.edges.map((edge: any) => edge.node.event.id)).toEqual(ids.slice(20));
  });
});
