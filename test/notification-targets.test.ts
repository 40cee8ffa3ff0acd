import { Webhook } from "standardwebhooks";
import { PERMISSIONS } from "../src/auth/permissions";
import { systemContext } from "../src/auth/request-context";
import { sql } from "../src/db/sql";
import { APIKeyRole, Environment, NotificationEventName, Plan } from "../src/entities/enums";
import { Receiver } from "./helpers/receiver";
import { waitFor } from "./helpers/wait";
import { queueDrained as waitForEmptyQueue } from "./helpers/database";
import { createKey } from "./helpers/keys";
import { bearer, startTestServer, TestServer } from "./helpers/server";

let server: TestServer;
let receiver: Receiver;
/** The test DNS: names resolve through this table, never the network. */
const dns = new Map<string, string>();
/** Names answered once from `dns`, then with this address from then on (an answer that changes once the URL is saved). */
const rebinds = new Map<string, string>();

beforeAll(async () => {
  receiver = await Receiver.start();
  server = await startTestServer(
    {
      KEYWAY_RETRY_SCHEDULE: "0,100ms,200ms",
      // Budgets far above what a local receiver needs on a loaded machine; the timeout test has its own server.
      KEYWAY_DELIVERY_TIMEOUT_MS: "15000",
      KEYWAY_WEBHOOK_ACTIVATION_TIMEOUT_MS: "15000",
      // Every test adds targets to the one organization; the limit test uses another.
      KEYWAY_MAX_TARGETS_PER_ENVIRONMENT: "40",
    },
    {
      dnsLookup: async (hostname) => {
        const address = dns.get(hostname);
        if (!address) throw new Error(`ENOTFOUND ${hostname}`);
        const next = rebinds.get(hostname);
        if (next !== undefined) {
          dns.set(hostname, next);
          rebinds.delete(hostname);
        }
        return [{ address, family: address.includes(":") ? 6 : 4 }];
      },
    },
  );
});
afterAll(async () => {
  await server?.stop();
  await receiver?.stop();
});

const TARGET_FIELDS = `id name uri email subscriptions status createdAt updatedAt deactivatedAt
  signingKeys { id secret createdAt expiresAt }
  statusHistory(first: 10) { totalCount edges { node { status reason createdAt } } }`;
const ERRORS = `... on UserError { errors { code errorPath description } } ... on AccessDeniedError { message }`;

const ADD = `mutation($input: AddWebhookNotificationTargetInput!) {
  addWebhookNotificationTarget(input: $input) { __typename ... on WebhookNotificationTarget { ${TARGET_FIELDS} } ${ERRORS} } }`;

function mutation(name: string, inputType = `${name[0].toUpperCase()}${name.slice(1)}Input`): string {
  const entity =
    name === "replayNotificationEvent"
      ? "... on NotificationEvent { id eventName: name }"
      : `... on WebhookNotificationTarget { ${TARGET_FIELDS} }`;
  return `mutation($input: ${inputType}!) { ${name}(input: $input) { __typename ${entity} ${ERRORS} } }`;
}

const TARGET = `query($id: ID!) { node(id: $id) { ... on WebhookNotificationTarget { ${TARGET_FIELDS}
  deliveryAttempts(first: 10) { totalCount edges { node { id attemptNumber status httpStatus durationMs responseBody errorMessage
    event { id name } target { id } } } } } } }`;

const TARGET_EVENTS = `query($id: ID!, $filter: WebhookNotificationTargetEventFilterInput) { node(id: $id) { ... on WebhookNotificationTarget {
  webhookNotificationTargetEvents(first: 5, filterBy: $filter) { totalCount edges { cursor node { event { id name createdAt }
    hasSuccessfulDelivery deliveryAttempts(first: 5) { totalCount edges { node { attemptNumber status httpStatus } } } } } } } } }`;

let counter = 0;

async function addTarget(client = server.admin, overrides: Record<string, unknown> = {}) {
  const path = `t${++counter}`;
  const input = { name: `Target ${path}`, uri: receiver.target(path), subscriptions: ["API_KEY_CREATED"], ...overrides };
  const result = await client.request<any>(ADD, { input });
  return { path, payload: result.addWebhookNotificationTarget };
}

async function target(id: string, client = server.admin) {
  return (await client.request<any>(TARGET, { id })).node;
}

/** The target's webhookNotificationTargetEvents edges' nodes. */
async function targetEvents(id: string, filter: Record<string, unknown> | null = null) {
  const node = (await server.admin.request<any>(TARGET_EVENTS, { id, filter })).node;
  return node.webhookNotificationTargetEvents.edges.map((edge: any) => edge.node);
}

/** Adds a target (with the admin key unless another client is given) and waits until its activation made it ACTIVE. */
async function activeTarget(overrides: Record<string, unknown> = {}, client = server.admin) {
  const { path, payload } = await addTarget(client, overrides);
  expect(payload.__typename).toBe("WebhookNotificationTarget");
  await waitFor(async () => (await target(payload.id, client)).status === "ACTIVE", undefined, "activation");
  return { path, id: payload.id as string, secret: payload.signingKeys[0].secret as string };
}

function verify(secret: string, request: { body: string; headers: Record<string, string> }) {
  return new Webhook(secret).verify(request.body, request.headers) as any;
}

/** Every effect of what came before (deliveries, retries) is visible. */
function queueDrained() {
  return waitForEmptyQueue(server.app.databaseUrl);
}

describe("adding and activating a target", () => {
  it("adds it PENDING_VERIFICATION with a whsec_ key, then a signed NOTIFICATION_ACTIVATION answered 2xx makes it ACTIVE", async () => {
    const { path, payload } = await addTarget(server.admin, { email: "ops@example.test" });
    expect(payload).toMatchObject({
      __typename: "WebhookNotificationTarget",
      status: "PENDING_VERIFICATION",
      email: "ops@example.test",
      subscriptions: ["API_KEY_CREATED"],
      deactivatedAt: null,
    });
    expect(payload.id).toMatch(/^nt_[0-9a-f]{32}$/);
    expect(payload.signingKeys).toHaveLength(1);
    expect(payload.signingKeys[0]).toMatchObject({ secret: expect.stringMatching(/^whsec_/), expiresAt: null });

    const [request] = await waitFor(() => receiver.to(path).length === 1 && receiver.to(path), undefined, "the activation request");
    const body = verify(payload.signingKeys[0].secret, request);
    expect(body).toMatchObject({ type: "NOTIFICATION_ACTIVATION", environment: "TEST", data: { id: payload.id } });
    expect(request.headers["webhook-id"]).toBe(body.id);
    expect(body.id).toMatch(/^evt_/);

    const active = await waitFor(
      async () => {
        const node = await target(payload.id);
        return node.status === "ACTIVE" && node;
      },
      undefined,
      "ACTIVE",
    );
    expect(active.statusHistory.edges.map((e: any) => e.node.status)).toEqual(["ACTIVE", "PENDING_VERIFICATION"]);
    expect(active.statusHistory.edges[0].node.reason).toMatch(/HTTP 200/);
    expect(active.deliveryAttempts.edges[0].node).toMatchObject({
      attemptNumber: 1,
      status: "SUCCESS",
      httpStatus: 200,
      event: { id: body.id },
    });
  });

  it("makes it ACTIVATION_FAILED when the activation is refused, and activateNotificationTarget tries again", async () => {
    const path = `t${++counter}`;
    receiver.answer(path, 500);
    const { payload } = await addTarget(server.admin, { uri: receiver.target(path) });
    const failed = await waitFor(
      async () => {
        const node = await target(payload.id);
        return node.status === "ACTIVATION_FAILED" && node;
      },
      undefined,
      "ACTIVATION_FAILED",
    );
    expect(failed.statusHistory.edges[0].node.reason).toMatch(/HTTP 500/);
    expect(failed.deliveryAttempts.edges).toHaveLength(1); // one attempt, no retries for activation
    expect(failed.deliveryAttempts.edges[0].node).toMatchObject({ status: "FAILURE", httpStatus: 500, responseBody: "receiver says no" });

    const again = await server.admin.request<any>(mutation("activateNotificationTarget"), { input: { targetId: payload.id } });
    expect(again.activateNotificationTarget.status).toBe("PENDING_VERIFICATION");
    await waitFor(async () => (await target(payload.id)).status === "ACTIVE", undefined, "ACTIVE");
    expect(receiver.to(path)).toHaveLength(2);
    expect(receiver.to(path)[0].headers["webhook-id"]).not.toBe(receiver.to(path)[1].headers["webhook-id"]);
  });

  it("records a connection failure as an attempt with an error and no status", async () => {
    const { payload } = await addTarget(server.admin, { uri: "http://127.0.0.1:9/closed" });
    const failed = await waitFor(
      async () => {
        const node = await target(payload.id);
        return node.status === "ACTIVATION_FAILED" && node;
      },
      undefined,
      "ACTIVATION_FAILED",
    );
    expect(failed.deliveryAttempts.edges[0].node).toMatchObject({
      status: "FAILURE",
      httpStatus: null,
      errorMessage: expect.stringMatching(/ECONNREFUSED/),
    });
  });
});

describe("deliveries", () => {
  it("delivers a key event, signed, with the Standard Webhooks body, and lists it on the target and the event", async () => {
    const t = await activeTarget();
    const keyId = (await createKey(server.admin)).id;
    const [request] = await waitFor(() => receiver.to(t.path).length === 2 && receiver.to(t.path).slice(1), undefined, "the key event");
    const body = verify(t.secret, request);
    expect(body).toMatchObject({ type: "API_KEY_CREATED", environment: "TEST", data: { object: "api_key", id: keyId, status: "ACTIVE" } });
    expect(new Date(body.timestamp).toISOString()).toBe(body.timestamp);
    expect(request.headers["content-type"]).toBe("application/json");
    expect(JSON.stringify(body)).not.toMatch(/kw_test_[0-9A-Za-z]{36}/); // never the secret

    await queueDrained();
    const edge = (await targetEvents(t.id)).find((e: any) => e.event.id === body.id);
    expect(edge).toMatchObject({ hasSuccessfulDelivery: true, event: { name: "API_KEY_CREATED" }, deliveryAttempts: { totalCount: 1 } });

    const event = await server.admin.request<any>(
      `query($id: ID!) { node(id: $id) { ... on NotificationEvent { id name createdAt expiresAt data
        deliveryAttempts { totalCount edges { node { status attemptNumber target { id } } } } } } }`,
      { id: body.id },
    );
    expect(event.node).toMatchObject({ id: body.id, name: "API_KEY_CREATED", data: { id: keyId } });
    expect(event.node.deliveryAttempts.edges.map((e: any) => e.node.target.id)).toContain(t.id);
    const days = (Date.parse(event.node.expiresAt) - Date.parse(event.node.createdAt)) / 86_400_000;
    expect(Math.round(days)).toBe(30);
  });

  it("records every delivery of two organizations sent at the same moment once, each in its own organization", async () => {
    // Successes answered within the same millisecond are recorded together, one statement per organization and environment.
    const orgs = await Promise.all([server.otherOrganization(), server.otherOrganization()]);
    const tenants = await Promise.all(
      orgs.map(async (org) => {
        const client = server.client(org.testKey);
        return { client, ...(await activeTarget({}, client)) };
      }),
    );
    await Promise.all(tenants.flatMap(({ client }) => Array.from({ length: 10 }, () => createKey(client))));
    await waitFor(() => tenants.every(({ path }) => receiver.to(path).length === 11), undefined, "ten deliveries to each");
    await queueDrained();
    for (const { client, id } of tenants) {
      const attempts = await client.request<any>(
        `query($id: ID!) { node(id: $id) { ... on WebhookNotificationTarget { deliveryAttempts(first: 20) { totalCount edges { node { status } } } } } }`,
        { id },
      );
      expect(attempts.node.deliveryAttempts.totalCount).toBe(11);
      expect(attempts.node.deliveryAttempts.edges.every((edge: any) => edge.node.status === "SUCCESS")).toBe(true);
    }
  });

  it("retries on the configured schedule with the same webhook-id until a 2xx", async () => {
    const t = await activeTarget();
    receiver.answer(t.path, 500, 503);
    await createKey(server.admin);
    const requests = await waitFor(() => receiver.to(t.path).length === 4 && receiver.to(t.path).slice(1), undefined, "three attempts");
    expect(new Set(requests.map((r) => r.headers["webhook-id"])).size).toBe(1);
    expect(requests.map((r) => r.answered)).toEqual([500, 503, 200]);
    for (const request of requests) verify(t.secret, request);

    await queueDrained();
    const edge = (await targetEvents(t.id)).find((e: any) => e.event.name === "API_KEY_CREATED");
    expect(edge.hasSuccessfulDelivery).toBe(true);
    expect(edge.deliveryAttempts.edges.map((e: any) => [e.node.attemptNumber, e.node.status, e.node.httpStatus])).toEqual([
      [3, "SUCCESS", 200],
      [2, "FAILURE", 503],
      [1, "FAILURE", 500],
    ]);
  });

  it("gives up after the last attempt of the schedule", async () => {
    const t = await activeTarget();
    receiver.answer(t.path, 500, 500, 500, 500);
    await createKey(server.admin);
    await waitFor(() => receiver.to(t.path).length === 4, undefined, "three attempts");
    await queueDrained();
    expect(receiver.to(t.path)).toHaveLength(4);
    expect((await target(t.id)).status).toBe("ACTIVE");
    const edge = (await targetEvents(t.id)).find((e: any) => e.event.name === "API_KEY_CREATED");
    expect(edge).toMatchObject({ hasSuccessfulDelivery: false, deliveryAttempts: { totalCount: 3 } });

    expect(await targetEvents(t.id, { hasSuccessfulDelivery: false, name: ["API_KEY_CREATED"] })).toHaveLength(1);
    expect(await targetEvents(t.id, { hasSuccessfulDelivery: true, name: ["API_KEY_CREATED"] })).toHaveLength(0);
    expect(await targetEvents(t.id, { eventCreatedAt: { lte: "2000-01-01T00:00:00Z" } })).toHaveLength(0);
    expect(await targetEvents(t.id, { hasSuccessfulDelivery: true })).toHaveLength(1); // the activation
    // Each filter alone, matching: the name, and the event's time (both bounds inclusive).
    const [activation] = await targetEvents(t.id, { name: ["NOTIFICATION_ACTIVATION"] });
    expect(activation).toMatchObject({ hasSuccessfulDelivery: true, event: { name: "NOTIFICATION_ACTIVATION" } });
    const at = activation.event.createdAt;
    expect(await targetEvents(t.id, { eventCreatedAt: { gte: at, lte: at } })).toEqual([activation]);
    expect(await targetEvents(t.id, { eventCreatedAt: { gte: "2000-01-01T00:00:00Z" } })).toHaveLength(2);
  });

  it("deactivates a target that answers 410 Gone and sends it nothing more", async () => {
    const t = await activeTarget();
    receiver.answer(t.path, 410);
    await createKey(server.admin);
    const node = await waitFor(
      async () => {
        const n = await target(t.id);
        return n.status === "DEACTIVATED" && n;
      },
      undefined,
      "DEACTIVATED",
    );
    expect(node.deactivatedAt).not.toBeNull();
    expect(node.statusHistory.edges[0].node.reason).toMatch(/410/);
    await createKey(server.admin);
    await queueDrained();
    expect(receiver.to(t.path)).toHaveLength(2);
  });

  it("sends only the event names a target subscribes to, and none to deactivated or removed targets", async () => {
    const subscribed = await activeTarget({ subscriptions: ["API_KEY_REVOKED"] });
    const deactivated = await activeTarget();
    const removed = await activeTarget();
    await server.admin.request(mutation("deactivateNotificationTarget"), { input: { targetId: deactivated.id } });
    await server.admin.request(mutation("removeNotificationTarget"), { input: { targetId: removed.id } });
    const keyId = (await createKey(server.admin)).id;
    await server.admin.request(`mutation($id: ID!) { revokeAPIKey(input: { apiKeyId: $id }) { __typename } }`, { id: keyId });
    await waitFor(() => receiver.to(subscribed.path).length === 2, undefined, "the revoke event");
    await queueDrained();
    expect(receiver.to(subscribed.path)[1].json.type).toBe("API_KEY_REVOKED");
    expect(receiver.to(deactivated.path)).toHaveLength(1);
    expect(receiver.to(removed.path)).toHaveLength(1);
    expect(await target(removed.id)).toBeNull();
  });

  it("signs with both keys during a rotation; each verifies on its own", async () => {
    const t = await activeTarget();
    const rotated = await server.admin.request<any>(mutation("rotateNotificationTargetSigningKey"), { input: { targetId: t.id } });
    const keys = rotated.rotateNotificationTargetSigningKey.signingKeys;
    expect(keys).toHaveLength(2);
    const [fresh, old] = keys;
    expect(old.secret).toBe(t.secret);
    expect(fresh.expiresAt).toBeNull();
    const hours = (Date.parse(old.expiresAt) - Date.now()) / 3_600_000;
    expect(hours).toBeGreaterThan(23.9);
    expect(hours).toBeLessThanOrEqual(24);

    await createKey(server.admin);
    const request = await waitFor(() => receiver.to(t.path)[1], undefined, "the key event");
    expect(request.headers["webhook-signature"].split(" ")).toHaveLength(2);
    expect(verify(old.secret, request).type).toBe("API_KEY_CREATED");
    expect(verify(fresh.secret, request).type).toBe("API_KEY_CREATED");
    expect(() => verify(`whsec_${Buffer.alloc(32, 7).toString("base64")}`, request)).toThrow();

    for (let i = 0; i < 3; i++) await server.admin.request(mutation("rotateNotificationTargetSigningKey"), { input: { targetId: t.id } });
    const sixth = await server.admin.request<any>(mutation("rotateNotificationTargetSigningKey"), { input: { targetId: t.id } });
    expect(sixth.rotateNotificationTargetSigningKey).toMatchObject({
      __typename: "UserError",
      errors: [{ code: "LIMIT_EXCEEDED", errorPath: ["input", "targetId"] }],
    });
  });
});

describe("the delivery timeout", () => {
  let short: TestServer;
  beforeAll(async () => {
    short = await startTestServer({ KEYWAY_RETRY_SCHEDULE: "0,100ms", KEYWAY_DELIVERY_TIMEOUT_MS: "1000" });
  });
  afterAll(async () => {
    await short?.stop();
  });

  it("waits for a receiver that does not answer no longer than the timeout, then retries", async () => {
    const path = `t${++counter}`;
    const { addWebhookNotificationTarget: added } = await short.admin.request<any>(ADD, {
      input: { name: "hanging", uri: receiver.target(path), subscriptions: ["API_KEY_CREATED"] },
    });
    await waitFor(async () => (await target(added.id, short.admin)).status === "ACTIVE", undefined, "activation");
    receiver.answer(path, "hang");
    await createKey(short.admin);
    await waitFor(() => receiver.to(path).length === 3, undefined, "the retry");
    await waitForEmptyQueue(short.app.databaseUrl);
    const node = await target(added.id, short.admin);
    const attempts = node.deliveryAttempts.edges.map((e: any) => e.node).filter((a: any) => a.event.name === "API_KEY_CREATED");
    expect(attempts.map((a: any) => a.status)).toEqual(["SUCCESS", "FAILURE"]);
    expect(attempts[1]).toMatchObject({ httpStatus: null, errorMessage: expect.stringMatching(/no response within 1000 ms/) });
    expect(receiver.to(path).map((r) => r.answered)).toEqual([200, null, 200]);
  });
});

describe("replay", () => {
  it("re-delivers an event to one target with the same webhook-id, even after success", async () => {
    const one = await activeTarget();
    const two = await activeTarget();
    await createKey(server.admin);
    await waitFor(() => receiver.to(one.path).length === 2 && receiver.to(two.path).length === 2, undefined, "both deliveries");
    const eventId = receiver.to(one.path)[1].headers["webhook-id"];

    const result = await server.admin.request<any>(mutation("replayNotificationEvent"), {
      input: { notificationEventId: eventId, targetIds: [one.id] },
    });
    expect(result.replayNotificationEvent).toEqual({ __typename: "NotificationEvent", id: eventId, eventName: "API_KEY_CREATED" });
    await waitFor(() => receiver.to(one.path).length === 3, undefined, "the replay");
    await queueDrained();
    expect(receiver.to(one.path)[2].headers["webhook-id"]).toBe(eventId);
    verify(one.secret, receiver.to(one.path)[2]);
    expect(receiver.to(two.path)).toHaveLength(2);
    const edge = (await targetEvents(one.id)).find((e: any) => e.event.id === eventId);
    expect(edge.deliveryAttempts.edges.map((e: any) => e.node.attemptNumber)).toEqual([2, 1]);
  });

  it("without targetIds goes to every ACTIVE subscribed target", async () => {
    const one = await activeTarget({ subscriptions: ["API_KEY_DEACTIVATED"] });
    const keyId = (await createKey(server.admin)).id;
    await server.admin.request(`mutation($id: ID!) { deactivateAPIKey(input: { apiKeyId: $id }) { __typename } }`, { id: keyId });
    await waitFor(() => receiver.to(one.path).length === 2, undefined, "the event");
    const eventId = receiver.to(one.path)[1].headers["webhook-id"];
    await server.admin.request(mutation("replayNotificationEvent"), { input: { notificationEventId: eventId } });
    await waitFor(() => receiver.to(one.path).length === 3, undefined, "the replay");
    expect(receiver.to(one.path)[2].headers["webhook-id"]).toBe(eventId);
  });

  it("refuses READONLY keys, unknown events and targets, other environments, and wrong id types", async () => {
    const one = await activeTarget();
    await createKey(server.admin);
    await waitFor(() => receiver.to(one.path).length === 2, undefined, "the event");
    const eventId = receiver.to(one.path)[1].headers["webhook-id"];
    const replay = (client: any, input: Record<string, unknown>) => client.request(mutation("replayNotificationEvent"), { input });

    const readonly = server.client(await server.issueKey(APIKeyRole.READONLY));
    expect((await replay(readonly, { notificationEventId: eventId })).replayNotificationEvent.__typename).toBe("AccessDeniedError");

    const live = server.client(await server.issueKey(APIKeyRole.ADMIN, Environment.LIVE));
    const other = server.client((await server.otherOrganization()).testKey);
    for (const client of [live, other]) {
      expect((await replay(client, { notificationEventId: eventId })).replayNotificationEvent).toMatchObject({
        errors: [{ code: "NOT_FOUND", errorPath: ["input", "notificationEventId"] }],
      });
    }
    expect(
      (await replay(server.admin, { notificationEventId: eventId, targetIds: [one.id, "nt_00000000000000000000000000000000"] }))
        .replayNotificationEvent,
    ).toMatchObject({
      errors: [{ code: "NOT_FOUND", errorPath: ["input", "targetIds", "1"] }],
    });
    expect((await replay(server.admin, { notificationEventId: one.id })).replayNotificationEvent).toMatchObject({
      errors: [{ code: "INVALID_INPUT", errorPath: ["input", "notificationEventId"] }],
    });
    await queueDrained();
    expect(receiver.to(one.path).filter((r) => r.headers["webhook-id"] === eventId)).toHaveLength(1);
  });
});

describe("events", () => {
  it("queue a fan-out job only when an ACTIVE target subscribes to them when they commit (an activation always)", async () => {
    const org = await server.otherOrganization();
    const client = server.client(org.testKey);
    const ctx = systemContext(org.id, Environment.TEST, new Set(PERMISSIONS));
    /** Emits an event and counts its fan-out jobs before the commit (no worker can have taken the job yet). */
    const fanOutJobs = (name: NotificationEventName) =>
      server.app.services.transactions.run(ctx, async (tx) => {
        const event = await tx.emit(name, { object: "test" });
        const [{ jobs }] = await tx.scope.rows<{ jobs: number }>(
          sql`SELECT count(*)::int AS jobs FROM graphile_worker.jobs WHERE task_identifier = 'notification_event.fan_out' AND key = ${event.id}`,
        );
        return jobs;
      });
    expect(await fanOutJobs(NotificationEventName.API_KEY_CREATED)).toBe(0);
    const { id } = await activeTarget({}, client);
    expect(await fanOutJobs(NotificationEventName.API_KEY_CREATED)).toBe(1);
    expect(await fanOutJobs(NotificationEventName.API_KEY_REVOKED)).toBe(0);
    await client.request(mutation("deactivateNotificationTarget"), { input: { targetId: id } });
    expect(await fanOutJobs(NotificationEventName.API_KEY_CREATED)).toBe(0);
    expect(await fanOutJobs(NotificationEventName.NOTIFICATION_ACTIVATION)).toBe(1);
    // The events themselves are all kept: the events list, replays and recoveries read them.
    const events = await client.request<any>(`{ organizations { notificationEvents(first: 10) { totalCount } } }`);
    expect(events.organizations[0].notificationEvents.totalCount).toBeGreaterThanOrEqual(5);
  });

  it("lists the organization's events newest first, filtered by name and time, only in their environment", async () => {
    // Enough events for two pages of five, whichever tests ran before.
    for (let i = 0; i < 10; i++) await createKey(server.admin);
    const before = new Date().toISOString();
    const keyId = (await createKey(server.admin)).id;
    await server.admin.request(`mutation($id: ID!) { deactivateAPIKey(input: { apiKeyId: $id }) { __typename } }`, { id: keyId });
    const query = `query($filter: NotificationEventFilterInput) { organizations { notificationEvents(first: 5, filterBy: $filter) {
      totalCount edges { cursor node { id name createdAt data } } pageInfo { hasNextPage endCursor } } } }`;
    const list = async (client: any, filter: unknown) => (await client.request(query, { filter })).organizations[0].notificationEvents;

    const recent = await list(server.admin, { createdAt: { gte: before } });
    expect(recent.edges.map((e: any) => e.node.name)).toEqual(["API_KEY_DEACTIVATED", "API_KEY_CREATED"]);
    const named = await list(server.admin, { name: ["API_KEY_DEACTIVATED"], createdAt: { gte: before } });
    expect(named.totalCount).toBe(1);
    expect(named.edges[0].node.data.id).toBe(keyId);
    expect((await list(server.admin, { createdAt: { lte: before, gte: before } })).totalCount).toBe(0);
    // An event's own createdAt (shown to the millisecond, stored to the microsecond) as both bounds finds it.
    const at = named.edges[0].node.createdAt;
    expect((await list(server.admin, { createdAt: { gte: at, lte: at } })).edges.map((e: any) => e.node.id)).toEqual([
      named.edges[0].node.id,
    ]);

    const live = server.client(await server.issueKey(APIKeyRole.READONLY, Environment.LIVE));
    const liveEvents = await list(live, {});
    expect(liveEvents.edges.map((e: any) => e.node.id)).not.toContain(recent.edges[0].node.id);
    const node = await live.request<any>(`query($id: ID!) { node(id: $id) { id } }`, { id: recent.edges[0].node.id });
    expect(node.node).toBeNull();

    const page = async (first: number, after: string | null = null) =>
      (
        await server.admin.request<any>(
          `query($first: Int, $after: String) { organizations { notificationEvents(first: $first, after: $after) {
        edges { node { id } } pageInfo { hasNextPage endCursor } } } }`,
          { first, after },
        )
      ).organizations[0].notificationEvents;
    const ids = (connection: any) => connection.edges.map((e: any) => e.node.id);
    const first = await page(5);
    expect(first.pageInfo.hasNextPage).toBe(true);
    const second = await page(5, first.pageInfo.endCursor);
    // The next page continues where the first ended: together they are the first ten.
    expect([...ids(first), ...ids(second)]).toEqual(ids(await page(10)));
  });

  it("never delivers an event of one environment or organization to a target of another", async () => {
    const t = await activeTarget({ subscriptions: ["API_KEY_CREATED"] });
    const liveAdmin = server.client(await server.issueKey(APIKeyRole.ADMIN, Environment.LIVE));
    const other = server.client((await server.otherOrganization()).testKey);
    const liveKey = (await createKey(liveAdmin)).id;
    const otherKey = (await createKey(other)).id;
    const testKey = (await createKey(server.admin)).id;
    await waitFor(() => receiver.to(t.path).length === 2, undefined, "the TEST event");
    await queueDrained();
    expect(receiver.to(t.path).map((r) => r.json.data.id)).toEqual([t.id, testKey]);
    // The other two events exist, each in its own tenant, and were fanned out before the TEST one was delivered.
    const createdEvents = async (client: typeof server.admin) => {
      const data = await client.request<any>(
        `{ organizations { notificationEvents(first: 20, filterBy: { name: [API_KEY_CREATED] }) { edges { node { data } } } } }`,
      );
      return data.organizations[0].notificationEvents.edges.map((e: any) => e.node.data.id);
    };
    expect(await createdEvents(liveAdmin)).toContain(liveKey);
    expect(await createdEvents(other)).toContain(otherKey);
  });
});

describe("URL rules (SSRF)", () => {
  const UNSAFE_IN_LIVE = [
    "http://hooks.example.com/x",
    "https://127.0.0.1/x",
    "https://[::1]/x",
    "https://10.0.0.1/x",
    "https://169.254.169.254/latest/meta-data",
    "https://[::ffff:127.0.0.1]/x",
    "https://2130706433/x",
    "https://loopback.example.com/x",
    "https://nowhere.example.com/x",
    "not a url",
  ];

  it("refuses every non-public or non-https URL in LIVE with UNSAFE_URL", async () => {
    dns.set("loopback.example.com", "127.0.0.1");
    dns.set("hooks.example.com", "93.184.216.34");
    const live = server.client(await server.issueKey(APIKeyRole.ADMIN, Environment.LIVE));
    const count = async () =>
      (await live.request<any>(`{ organizations { webhookNotificationTargets { totalCount } } }`)).organizations[0]
        .webhookNotificationTargets.totalCount;
    // Other tests may have added LIVE targets of their own.
    const before = await count();
    for (const uri of UNSAFE_IN_LIVE) {
      const result = await live.request<any>(ADD, { input: { name: "unsafe", uri, subscriptions: ["API_KEY_CREATED"] } });
      expect([uri, result.addWebhookNotificationTarget]).toEqual([
        uri,
        { __typename: "UserError", errors: [expect.objectContaining({ code: "UNSAFE_URL", errorPath: ["input", "uri"] })] },
      ]);
    }
    expect(await count()).toBe(before);
  });

  it("checks the resolved address again at connect time (DNS rebinding)", async () => {
    // Public when the URL is saved, loopback from the next lookup on: the activation attempt may run at once.
    dns.set("rebinding.example.com", "93.184.216.34");
    rebinds.set("rebinding.example.com", "127.0.0.1");
    const live = server.client(await server.issueKey(APIKeyRole.ADMIN, Environment.LIVE));
    const added = await live.request<any>(ADD, {
      input: { name: "rebinding", uri: "https://rebinding.example.com/hook", subscriptions: ["API_KEY_CREATED"] },
    });
    expect(added.addWebhookNotificationTarget.status).toBe("PENDING_VERIFICATION");
    const failed = await waitFor(
      async () => {
        const node = await target(added.addWebhookNotificationTarget.id, live);
        return node.status === "ACTIVATION_FAILED" && node;
      },
      undefined,
      "ACTIVATION_FAILED",
    );
    expect(failed.deliveryAttempts.edges[0].node.errorMessage).toMatch(/127\.0\.0\.1/);
  });

  it("allows loopback http in TEST by default (KEYWAY_ALLOW_PRIVATE_URLS=test)", async () => {
    const { payload } = await addTarget();
    expect(payload.status).toBe("PENDING_VERIFICATION");
    expect(payload.uri).toMatch(/^http:\/\/127\.0\.0\.1:/);
  });
});

describe("target mutations: roles, tenancy and input", () => {
  const OPERATIONS: Array<[string, Record<string, unknown>]> = [
    ["activateNotificationTarget", {}],
    ["deactivateNotificationTarget", {}],
    ["renameNotificationTarget", { name: "Renamed" }],
    ["setEmailForNotificationTarget", { email: "new@example.test" }],
    ["removeEmailFromNotificationTarget", {}],
    ["addSubscriptionsToNotificationTarget", { subscriptions: ["USER_INVITED"] }],
    ["removeSubscriptionsFromNotificationTarget", { subscriptions: ["API_KEY_CREATED"] }],
    ["rotateNotificationTargetSigningKey", {}],
    ["removeNotificationTarget", {}],
  ];

  it("changes name, email and subscriptions for ADMIN keys and records an audit row", async () => {
    const t = await activeTarget();
    const run = async (name: string, extra: Record<string, unknown>) =>
      (await server.admin.request<any>(mutation(name), { input: { targetId: t.id, ...extra } }))[name];
    expect(await run("renameNotificationTarget", { name: "  Billing hooks " })).toMatchObject({ name: "Billing hooks" });
    expect(await run("setEmailForNotificationTarget", { email: "hooks@example.test" })).toMatchObject({ email: "hooks@example.test" });
    expect(await run("removeEmailFromNotificationTarget", {})).toMatchObject({ email: null });
    expect(await run("addSubscriptionsToNotificationTarget", { subscriptions: ["USER_INVITED", "API_KEY_CREATED"] })).toMatchObject({
      subscriptions: ["API_KEY_CREATED", "USER_INVITED"],
    });
    expect(await run("removeSubscriptionsFromNotificationTarget", { subscriptions: ["API_KEY_CREATED"] })).toMatchObject({
      subscriptions: ["USER_INVITED"],
    });
    expect(await run("deactivateNotificationTarget", {})).toMatchObject({ status: "DEACTIVATED", deactivatedAt: expect.any(String) });
    expect(await run("deactivateNotificationTarget", {})).toMatchObject({
      errors: [{ code: "INVALID_STATE", errorPath: ["input", "targetId"] }],
    });
    expect(await run("removeNotificationTarget", {})).toMatchObject({ __typename: "WebhookNotificationTarget" });
    expect(await run("renameNotificationTarget", { name: "gone" })).toMatchObject({ errors: [{ code: "NOT_FOUND" }] });
    const audit = await server.admin.request<any>(`{ organizations { auditLog(first: 100) { edges { node { action targetId } } } } }`);
    const actions = audit.organizations[0].auditLog.edges.filter((e: any) => e.node.targetId === t.id).map((e: any) => e.node.action);
    // add + 7 successful changes, newest first
    expect(actions).toEqual([
      "notification_target.remove",
      "notification_target.deactivate",
      "notification_target.remove_subscriptions",
      "notification_target.add_subscriptions",
      "notification_target.remove_email",
      "notification_target.set_email",
      "notification_target.rename",
      "notification_target.add",
    ]);
  });

  it("denies READONLY keys every target mutation, and changes nothing", async () => {
    const t = await activeTarget();
    const readonlyKey = await server.issueKey(APIKeyRole.READONLY);
    const readonly = server.client(readonlyKey);
    const added = await readonly.request<any>(ADD, { input: { name: "x", uri: receiver.target("x"), subscriptions: ["API_KEY_CREATED"] } });
    expect(added.addWebhookNotificationTarget.__typename).toBe("AccessDeniedError");
    for (const [name, extra] of OPERATIONS) {
      const result = await readonly.request<any>(mutation(name), { input: { targetId: t.id, ...extra } });
      expect([name, result[name].__typename]).toEqual([name, "AccessDeniedError"]);
    }
    const read = await server.post(TARGET, { id: t.id }, bearer(readonlyKey));
    expect(read.body.data!.node).toMatchObject({ status: "ACTIVE", name: expect.stringMatching(/^Target/), signingKeys: null });
    // The secrets let their holder forge deliveries: reading them takes targets:write.
    expect(read.body.errors).toEqual([expect.objectContaining({ path: ["node", "signingKeys"], extensions: { code: "FORBIDDEN" } })]);
  });

  it("answers NOT_FOUND for a target of another environment or organization, and changes nothing", async () => {
    const t = await activeTarget();
    const live = server.client(await server.issueKey(APIKeyRole.ADMIN, Environment.LIVE));
    const other = server.client((await server.otherOrganization()).testKey);
    for (const client of [live, other]) {
      expect(await target(t.id, client)).toBeNull();
      for (const [name, extra] of OPERATIONS) {
        const result = await client.request<any>(mutation(name), { input: { targetId: t.id, ...extra } });
        expect([name, result[name]]).toEqual([
          name,
          { __typename: "UserError", errors: [expect.objectContaining({ code: "NOT_FOUND", errorPath: ["input", "targetId"] })] },
        ]);
      }
    }
    const node = await target(t.id);
    expect(node).toMatchObject({ status: "ACTIVE", signingKeys: [expect.anything()], subscriptions: ["API_KEY_CREATED"] });
  });

  it("answers INVALID_INPUT with the field's path for bad input", async () => {
    const t = await activeTarget();
    const cases: Array<[string, Record<string, unknown>, string[]]> = [
      ["addWebhookNotificationTarget", { name: "", uri: receiver.target("x"), subscriptions: ["API_KEY_CREATED"] }, ["input", "name"]],
      ["addWebhookNotificationTarget", { name: "x", uri: receiver.target("x"), subscriptions: [] }, ["input", "subscriptions"]],
      [
        "addWebhookNotificationTarget",
        { name: "x", uri: receiver.target("x"), email: "not-an-email", subscriptions: ["API_KEY_CREATED"] },
        ["input", "email"],
      ],
      [
        "addWebhookNotificationTarget",
        { name: "x", uri: receiver.target("x"), subscriptions: ["NOTIFICATION_ACTIVATION"] },
        ["input", "subscriptions", "0"],
      ],
      ["renameNotificationTarget", { targetId: t.id, name: "x".repeat(101) }, ["input", "name"]],
      ["renameNotificationTarget", { targetId: "key_00000000000000000000000000000000", name: "x" }, ["input", "targetId"]],
      ["setEmailForNotificationTarget", { targetId: t.id, email: "nope" }, ["input", "email"]],
      ["addSubscriptionsToNotificationTarget", { targetId: t.id, subscriptions: [] }, ["input", "subscriptions"]],
    ];
    for (const [name, input, path] of cases) {
      const result = await server.admin.request<any>(mutation(name), { input });
      expect([name, result[name].__typename, result[name].errors[0]]).toEqual([
        name,
        "UserError",
        expect.objectContaining({ code: "INVALID_INPUT", errorPath: path }),
      ]);
    }
    expect((await target(t.id)).name).toMatch(/^Target/);
  });

  it("limits targets per environment and refuses LIVE targets on the FREE plan", async () => {
    const other = await server.otherOrganization();
    const client = server.client(other.testKey);
    for (let i = 0; i < server.app.services.config.webhooks.maxTargetsPerEnvironment; i++) {
      const { payload } = await addTarget(client);
      expect(payload.__typename).toBe("WebhookNotificationTarget");
    }
    const { payload } = await addTarget(client);
    expect(payload).toMatchObject({ __typename: "UserError", errors: [{ code: "LIMIT_EXCEEDED" }] });

    const free = await server.otherOrganization(Plan.FREE);
    dns.set("hooks.example.com", "93.184.216.34");
    const live = await server.client(free.liveKey).request<any>(ADD, {
      input: { name: "x", uri: "https://hooks.example.com/x", subscriptions: ["API_KEY_CREATED"] },
    });
    expect(live.addWebhookNotificationTarget).toMatchObject({ errors: [{ code: "UPGRADE_REQUIRED" }] });
  });

  it("lists targets newest first without removed ones", async () => {
    const a = await activeTarget();
    const b = await activeTarget();
    await server.admin.request(mutation("removeNotificationTarget"), { input: { targetId: a.id } });
    const list = await server.admin.request<any>(`{ organizations { webhookNotificationTargets(first: 100) { edges { node { id } } } } }`);
    const ids = list.organizations[0].webhookNotificationTargets.edges.map((e: any) => e.node.id);
    expect(ids[0]).toBe(b.id);
    expect(ids).not.toContain(a.id);
  });
});
