import "reflect-metadata";
import { randomUUID } from "node:crypto";
import { APIKeyRole, Environment } from "../src/entities/enums";
import { decodeId } from "../src/db/ids";
import { queueDrained } from "./helpers/database";
import { activeTarget, deliveredIds, keyCreatedEvent, RECOVER, roleClients } from "./helpers/delivery-controls";
import { Receiver } from "./helpers/receiver";
import { bearer, startTestServer, TestServer } from "./helpers/server";
import { waitFor } from "./helpers/wait";

let server: TestServer;
let receiver: Receiver;

beforeAll(async () => {
  receiver = await Receiver.start();
  // One attempt per delivery: a failed delivery stays failed until it is recovered.
  server = await startTestServer({ KEYWAY_RETRY_SCHEDULE: "0" });
});
afterAll(async () => {
  await server?.stop();
  await receiver?.stop();
});

const COUNT = `query($id: ID!, $since: DateTime!, $until: DateTime) { node(id: $id) {
  ... on WebhookNotificationTarget { recoverableEventCount(since: $since, until: $until) } } }`;

async function recover(client = server.admin, input: Record<string, unknown>): Promise<any> {
  return (await client.request<any>(RECOVER, { input })).recoverNotificationEvents;
}

/** Waits until every event in `ids` has had its (single) attempt at `path`. */
async function attempted(path: string, ids: string[]): Promise<void> {
  await waitFor(() => ids.every((id) => deliveredIds(receiver, path).includes(id)), undefined, `attempts at ${path}`);
}

describe("after an outage", () => {
  it("delivers exactly the events the target missed in the range, once each, oldest first, with their own ids", async () => {
    const down = await activeTarget(server.admin, receiver, "down");
    await activeTarget(server.admin, receiver, "healthy"); // another target of the same events, which received them
    const other = await server.otherOrganization();
    const otherClient = server.client(other.testKey);
    await activeTarget(otherClient, receiver, "other-org");
    const live = server.client(await server.issueKey(APIKeyRole.ADMIN, Environment.LIVE));

    receiver.otherwise = (request) => (request.path === "/down" && request.json?.type === "API_KEY_CREATED" ? 500 : 200);
    const outage = new Date();
    const before = await keyCreatedEvent(server.admin, "before the window");
    await attempted("down", [before]);

    const since = new Date();
    const missed: string[] = [];
    for (let i = 0; i < 3; i++) missed.push(await keyCreatedEvent(server.admin, `missed ${i}`));
    // Events of another organization and of LIVE, in the same window: not this target's.
    await keyCreatedEvent(otherClient, "other organization");
    await keyCreatedEvent(live, "live");
    await attempted("down", missed);

    // The receiver is back for one event of the window, which it receives.
    receiver.otherwise = 200;
    const received = await keyCreatedEvent(server.admin, "received");
    await attempted("down", [received]);
    const until = new Date();

    receiver.otherwise = (request) => (request.path === "/down" && request.json?.type === "API_KEY_CREATED" ? 500 : 200);
    const after = await keyCreatedEvent(server.admin, "after the window");
    await attempted("down", [after]);
    await queueDrained(server.app.databaseUrl);
    receiver.otherwise = 200;

    const counted = await server.admin.request<any>(COUNT, { id: down, since: since.toISOString(), until: until.toISOString() });
    expect(counted.node.recoverableEventCount).toBe(3);
    const seen = { down: receiver.to("down").length, healthy: receiver.to("healthy").length, other: receiver.to("other-org").length };

    const recovery = await recover(server.admin, { targetId: down, since: since.toISOString(), until: until.toISOString() });
    expect(recovery).toEqual({
      __typename: "NotificationEventRecovery",
      id: expect.stringMatching(/^rec_/),
      since: since.toISOString(),
      until: until.toISOString(),
      eventCount: 3,
      createdAt: expect.any(String),
      target: { id: down },
    });
    await waitFor(() => receiver.to("down").length >= seen.down + 3, undefined, "the recovered deliveries");
    await queueDrained(server.app.databaseUrl);

    // Queued oldest first; an unlimited target takes them in parallel, so they may arrive in any order.
    const recovered = receiver.to("down").slice(seen.down);
    expect(recovered.map((request) => request.headers["webhook-id"]).sort()).toEqual([...missed].sort());
    expect(recovered.map((request) => request.json.id).sort()).toEqual([...missed].sort());
    expect(receiver.to("healthy").length).toBe(seen.healthy);
    expect(receiver.to("other-org").length).toBe(seen.other);

    // Now received: a second recovery of the range finds nothing.
    expect(await recover(server.admin, { targetId: down, since: since.toISOString(), until: until.toISOString() })).toMatchObject({
      eventCount: 0,
    });
    // The events before and after the window are still missed, and a wider range would send just those.
    const wider = await server.admin.request<any>(COUNT, { id: down, since: outage.toISOString() });
    expect(wider.node.recoverableEventCount).toBe(2);

    const audit = await server.admin.request<any>(`{ organizations { auditLog(first: 5) { edges { node { action targetId } } } } }`);
    expect(audit.organizations[0].auditLog.edges.map((e: any) => e.node)).toContainEqual({
      action: "notification_target.recover_events",
      targetId: recovery.id,
    });
  });

  it("sends recovered deliveries through the queue with the target's rate limit, one at a time and oldest first", async () => {
    const limited = await activeTarget(server.admin, receiver, "limited-recovery");
    receiver.otherwise = (request) => (request.path === "/limited-recovery" && request.json?.type === "API_KEY_CREATED" ? 500 : 200);
    const since = new Date();
    const missed: string[] = [];
    for (let i = 0; i < 6; i++) missed.push(await keyCreatedEvent(server.admin, `limited ${i}`));
    await attempted("limited-recovery", missed);
    await queueDrained(server.app.databaseUrl);
    receiver.otherwise = 200;
    await server.admin.request(
      `mutation($id: ID!) { setNotificationTargetRateLimit(input: { targetId: $id, maxDeliveriesPerSecond: 2 }) { __typename } }`,
      { id: limited },
    );
    const seen = receiver.to("limited-recovery").length;
    expect(await recover(server.admin, { targetId: limited, since: since.toISOString() })).toMatchObject({ eventCount: 6 });
    await waitFor(() => receiver.to("limited-recovery").length >= seen + 6, undefined, "the paced recovery");
    const arrivals = receiver
      .to("limited-recovery")
      .slice(seen)
      .map((request) => request.receivedAt);
    // Two per second: six take at least 2.5 s from the first to the last.
    expect(arrivals[5] - arrivals[0]).toBeGreaterThanOrEqual(2500);
    expect(
      receiver
        .to("limited-recovery")
        .slice(seen)
        .map((request) => request.headers["webhook-id"]),
    ).toEqual(missed);
  });
});

describe("recoverNotificationEvents: roles, tenancy and input", () => {
  const hourAgo = () => new Date(Date.now() - 3_600_000).toISOString();

  it("is allowed to every role holding events:replay and denied to the others", async () => {
    const target = await activeTarget(server.admin, receiver, "roles");
    const clients = await roleClients(server);
    for (const name of ["adminKey", "adminUser", "developerUser", "supportUser"] as const) {
      expect([name, (await recover(clients[name], { targetId: target, since: hourAgo() })).__typename]).toEqual([
        name,
        "NotificationEventRecovery",
      ]);
    }
    expect(await recover(clients.readonlyKey, { targetId: target, since: hourAgo() })).toMatchObject({ __typename: "AccessDeniedError" });
  });

  it("answers NOT_FOUND for a target of another environment or organization", async () => {
    const target = await activeTarget(server.admin, receiver, "tenancy");
    const live = server.client(await server.issueKey(APIKeyRole.ADMIN, Environment.LIVE));
    const other = server.client((await server.otherOrganization()).testKey);
    for (const client of [live, other]) {
      expect(await recover(client, { targetId: target, since: hourAgo() })).toEqual({
        __typename: "UserError",
        errors: [expect.objectContaining({ code: "NOT_FOUND", errorPath: ["input", "targetId"] })],
      });
    }
  });

  it("refuses a bad range or id with INVALID_INPUT at the field, and a target that is not ACTIVE", async () => {
    const target = await activeTarget(server.admin, receiver, "input");
    const cases: Array<[Record<string, unknown>, string, string[]]> = [
      [{ targetId: target, since: new Date(Date.now() - 31 * 86_400_000).toISOString() }, "INVALID_INPUT", ["input", "since"]],
      [{ targetId: target, since: hourAgo(), until: new Date(Date.now() - 7_200_000).toISOString() }, "INVALID_INPUT", ["input", "until"]],
      [{ targetId: target, since: new Date(Date.now() + 60_000).toISOString() }, "INVALID_INPUT", ["input", "until"]],
      [{ targetId: "not-an-id", since: hourAgo() }, "INVALID_INPUT", ["input", "targetId"]],
      [{ targetId: "evt_" + "0".repeat(32), since: hourAgo() }, "INVALID_INPUT", ["input", "targetId"]],
      [{ targetId: "nt_" + randomUUID().replace(/-/g, ""), since: hourAgo() }, "NOT_FOUND", ["input", "targetId"]],
    ];
    for (const [input, code, errorPath] of cases) {
      expect([input, await recover(server.admin, input)]).toEqual([
        input,
        { __typename: "UserError", errors: [expect.objectContaining({ code, errorPath })] },
      ]);
    }
    await server.admin.request(`mutation($id: ID!) { deactivateNotificationTarget(input: { targetId: $id }) { __typename } }`, {
      id: target,
    });
    expect(await recover(server.admin, { targetId: target, since: hourAgo() })).toMatchObject({
      errors: [{ code: "INVALID_STATE", errorPath: ["input", "targetId"] }],
    });
    const count = await server.post(
      COUNT,
      { id: target, since: new Date(Date.now() - 40 * 86_400_000).toISOString() },
      bearer(server.adminKey),
    );
    expect(count.body.errors).toEqual([expect.objectContaining({ extensions: expect.objectContaining({ code: "BAD_USER_INPUT" }) })]);
  });

  it("refuses more than 10,000 events, naming the count, and queues nothing", async () => {
    const target = await activeTarget(server.admin, receiver, "bulk");
    // Ten thousand and one events of two days ago, written straight to the outbox (the API would take minutes).
    const ds = server.app.services.dataSource;
    await ds.query(
      `INSERT INTO notification_events (organization_id, environment, name, data, created_at, expires_at)
       SELECT $1, 'TEST', 'API_KEY_CREATED', '{}'::json, now() - interval '2 days' + g * interval '1 ms', now() + interval '28 days'
         FROM generate_series(1, 10001) AS g`,
      [server.organizationId],
    );
    const since = new Date(Date.now() - 3 * 86_400_000).toISOString();
    const until = new Date(Date.now() - 86_400_000).toISOString();
    expect(await recover(server.admin, { targetId: target, since, until })).toEqual({
      __typename: "UserError",
      errors: [
        {
          code: "LIMIT_EXCEEDED",
          errorPath: ["input", "until"],
          description: "10001 events match; a recovery sends at most 10000: split the range (since/until) into smaller ones",
        },
      ],
    });
    const [{ count }] = await ds.query("SELECT count(*)::int AS count FROM notification_deliveries WHERE target_id = $1", [
      decodeId("WebhookNotificationTarget", target),
    ]);
    expect(count).toBe(1); // its activation only
    await ds.query("DELETE FROM notification_events WHERE created_at < now() - interval '1 day'");
  });
});
