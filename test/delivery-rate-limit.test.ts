import { randomUUID } from "node:crypto";
import { GraphQLClient } from "graphql-request";
import { App } from "../src/app";
import { loadConfig } from "../src/config";
import { APIKeyRole, Environment } from "../src/entities/enums";
import { RunningServer, startServer } from "../src/server";
import { queueDrained } from "./helpers/database";
import { ADD, activeTarget, deliveredIds, roleClients, SET_RATE_LIMIT } from "./helpers/delivery-controls";
import { Receiver } from "./helpers/receiver";
import { inBatches } from "./helpers/seed";
import { startTestServer, TestServer } from "./helpers/server";
import { waitFor } from "./helpers/wait";

/** Two Keyway processes on one database, as in a deployment with several instances. */
let first: TestServer;
let second: { app: App; server: RunningServer };
let receiver: Receiver;

beforeAll(async () => {
  receiver = await Receiver.start();
  first = await startTestServer();
  const app = await App.open(loadConfig({ NODE_ENV: "test", DATABASE_URL: first.app.databaseUrl, LOG_LEVEL: "silent" }));
  await app.startBackground();
  second = { app, server: await startServer(app, 0, "127.0.0.1") };
});
afterAll(async () => {
  await second?.server.stop();
  await second?.app.close();
  await first?.stop();
  await receiver?.stop();
});

const ATTEMPTS = `query($id: ID!) { node(id: $id) { ... on WebhookNotificationTarget {
  deliveryAttempts(first: 1) { totalCount } failures: deliveryAttempts(first: 100) { edges { node { status } } } } } }`;

async function setLimit(client: TestServer["admin"], targetId: string, maxDeliveriesPerSecond: number | null): Promise<any> {
  return (await client.request<any>(SET_RATE_LIMIT, { input: { targetId, maxDeliveriesPerSecond } })).setNotificationTargetRateLimit;
}

it("never sends more than the limit in any second, across two processes, and counts no waiting as an attempt", async () => {
  const target = await activeTarget(first.admin, receiver, "limited", { maxDeliveriesPerSecond: 20 });
  const clients = [first.admin, new GraphQLClient(second.server.url, { headers: { authorization: `Bearer ${first.adminKey}` } })];

  // 200 events, created through both processes as fast as they take them.
  await inBatches(
    Array.from({ length: 200 }, (_, i) => i),
    10,
    (i) =>
      clients[i % 2].request(`mutation($name: String!) { createSecretAPIKey(input: { secretKey: { name: $name } }) { __typename } }`, {
        name: `paced ${i}`,
      }),
  );
  await waitFor(() => deliveredIds(receiver, "limited").length >= 200, 120_000, "200 paced deliveries");
  await queueDrained(first.app.databaseUrl);

  const requests = receiver.to("limited").filter((request) => request.json?.type === "API_KEY_CREATED");
  expect(new Set(requests.map((request) => request.headers["webhook-id"])).size).toBe(200);
  const arrivals = requests.map((request) => request.receivedAt).sort((a, b) => a - b);
  expect(arrivals[199] - arrivals[0]).toBeGreaterThanOrEqual(9500);
  // The 21st request after any request comes a second or more after it: never 21 in one second.
  const crowded = arrivals
    .slice(20)
    .map((at, i) => at - arrivals[i])
    .filter((span) => span < 1000);
  expect(crowded).toEqual([]);

  // Every delivery was one successful attempt (plus the activation): waiting for a slot is not an attempt.
  const attempts = (await first.admin.request<any>(ATTEMPTS, { id: target })).node;
  expect(attempts.deliveryAttempts.totalCount).toBe(201);
  expect(attempts.failures.edges.filter((e: any) => e.node.status !== "SUCCESS")).toEqual([]);
});

describe("setNotificationTargetRateLimit", () => {
  it("sets, changes and lifts the limit, settable at add too, with an audit row each", async () => {
    const added = await first.admin.request<any>(ADD, {
      input: { name: "limited at add", uri: receiver.target("at-add"), subscriptions: ["API_KEY_CREATED"], maxDeliveriesPerSecond: 5 },
    });
    expect(added.addWebhookNotificationTarget).toMatchObject({ __typename: "WebhookNotificationTarget", maxDeliveriesPerSecond: 5 });
    const id = added.addWebhookNotificationTarget.id;
    expect(await setLimit(first.admin, id, 1000)).toEqual({ __typename: "WebhookNotificationTarget", id, maxDeliveriesPerSecond: 1000 });
    expect(await setLimit(first.admin, id, null)).toEqual({ __typename: "WebhookNotificationTarget", id, maxDeliveriesPerSecond: null });
    const audit = await first.admin.request<any>(`{ organizations { auditLog(first: 10) { edges { node { action targetId } } } } }`);
    const actions = audit.organizations[0].auditLog.edges.filter((e: any) => e.node.targetId === id).map((e: any) => e.node.action);
    expect(actions).toEqual(["notification_target.set_rate_limit", "notification_target.set_rate_limit", "notification_target.add"]);
  });

  it("is allowed to every role holding targets:write and denied to the others, who change nothing", async () => {
    const target = await activeTarget(first.admin, receiver, "roles");
    const clients = await roleClients(first);
    for (const [name, limit] of [
      ["adminKey", 1],
      ["adminUser", 2],
      ["developerUser", 3],
    ] as const) {
      expect([name, await setLimit(clients[name], target, limit)]).toEqual([
        name,
        { __typename: "WebhookNotificationTarget", id: target, maxDeliveriesPerSecond: limit },
      ]);
    }
    for (const name of ["supportUser", "readonlyKey"] as const) {
      expect([name, (await setLimit(clients[name], target, 50)).__typename]).toEqual([name, "AccessDeniedError"]);
    }
    expect(await setLimit(first.admin, target, 3)).toMatchObject({ maxDeliveriesPerSecond: 3 });
  });

  it("answers NOT_FOUND for a target of another environment or organization", async () => {
    const target = await activeTarget(first.admin, receiver, "tenancy");
    const live = first.client(await first.issueKey(APIKeyRole.ADMIN, Environment.LIVE));
    const other = first.client((await first.otherOrganization()).testKey);
    for (const client of [live, other]) {
      expect(await setLimit(client, target, 10)).toEqual({
        __typename: "UserError",
        errors: [expect.objectContaining({ code: "NOT_FOUND", errorPath: ["input", "targetId"] })],
      });
    }
    expect(await setLimit(first.admin, "nt_" + randomUUID().replace(/-/g, ""), 10)).toMatchObject({ errors: [{ code: "NOT_FOUND" }] });
  });

  it("refuses 0, negative and over 1000 with INVALID_INPUT at the field, here and at add", async () => {
    const target = await activeTarget(first.admin, receiver, "input");
    for (const limit of [0, -1, 1001]) {
      expect([limit, await setLimit(first.admin, target, limit)]).toEqual([
        limit,
        {
          __typename: "UserError",
          errors: [expect.objectContaining({ code: "INVALID_INPUT", errorPath: ["input", "maxDeliveriesPerSecond"] })],
        },
      ]);
      const added = await first.admin.request<any>(ADD, {
        input: { name: "bad limit", uri: receiver.target("bad"), subscriptions: ["API_KEY_CREATED"], maxDeliveriesPerSecond: limit },
      });
      expect([limit, added.addWebhookNotificationTarget]).toEqual([
        limit,
        {
          __typename: "UserError",
          errors: [expect.objectContaining({ code: "INVALID_INPUT", errorPath: ["input", "maxDeliveriesPerSecond"] })],
        },
      ]);
    }
    expect(await setLimit(first.admin, "not-an-id", 10)).toMatchObject({
      errors: [{ code: "INVALID_INPUT", errorPath: ["input", "targetId"] }],
    });
    const node = await first.admin.request<any>(
      `query($id: ID!) { node(id: $id) { ... on WebhookNotificationTarget { maxDeliveriesPerSecond } } }`,
      {
        id: target,
      },
    );
    expect(node.node.maxDeliveriesPerSecond).toBeNull();
  });
});
