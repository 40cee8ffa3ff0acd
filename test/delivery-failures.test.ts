import { queueDrained } from "./helpers/database";
import { Receiver } from "./helpers/receiver";
import { waitFor } from "./helpers/wait";
import { startTestServer, TestServer } from "./helpers/server";
import { decodeId } from "../src/db/ids";

let server: TestServer;
let receiver: Receiver;

beforeAll(async () => {
  receiver = await Receiver.start();
  server = await startTestServer({
    // A one-second "five days" and a retry 1.5 s after the first failure: the second failure ends the window.
    KEYWAY_WEBHOOK_FAILURE_DEACTIVATION_SECONDS: "1",
    KEYWAY_RETRY_SCHEDULE: "0,1500ms,1500ms",
    KEYWAY_EVENT_RETENTION_SWEEP_MS: "200",
  });
});
afterAll(async () => {
  await server?.stop();
  await receiver?.stop();
});

const STATUS = `query($id: ID!) { node(id: $id) { ... on WebhookNotificationTarget { status deactivatedAt
  statusHistory(first: 1) { edges { node { status reason } } } } } }`;

const ATTEMPTS = `query($id: ID!) { node(id: $id) { ... on WebhookNotificationTarget {
  deliveryAttempts(first: 10) { edges { node { attemptNumber status event { name } } } } } } }`;

it("deactivates a target whose every delivery failed for the whole window, saying why", async () => {
  const added = await server.admin.request<any>(
    `mutation($uri: String!) { addWebhookNotificationTarget(input: { name: "failing", uri: $uri, subscriptions: [API_KEY_CREATED] }) {
      ... on WebhookNotificationTarget { id } } }`,
    { uri: receiver.target("failing") },
  );
  const id = added.addWebhookNotificationTarget.id;
  await waitFor(async () => (await server.admin.request<any>(STATUS, { id })).node.status === "ACTIVE", undefined, "ACTIVE");

  receiver.answer("failing", 500, 500, 500);
  await server.admin.request(`mutation { createSecretAPIKey(input: { secretKey: { name: "failing probe" } }) { __typename } }`);
  const node = await waitFor(
    async () => {
      const n = (await server.admin.request<any>(STATUS, { id })).node;
      return n.status === "DEACTIVATED" && n;
    },
    undefined,
    "DEACTIVATED",
  );
  expect(node.statusHistory.edges[0].node.reason).toMatch(/every delivery failed/);
  // Deactivated after the second failure: the third attempt of the schedule is never made. Had it been
  // scheduled, the queue would hold it until it ran (1.5 s later), so once the queue is empty it would show.
  await queueDrained(server.app.databaseUrl);
  expect(
    receiver
      .to("failing")
      .slice(1)
      .map((r) => r.answered),
  ).toEqual([500, 500]);
  const attempts = await server.admin.request<any>(ATTEMPTS, { id });
  expect(attempts.node.deliveryAttempts.edges.map((e: any) => [e.node.event.name, e.node.attemptNumber, e.node.status])).toEqual([
    ["API_KEY_CREATED", 2, "FAILURE"],
    ["API_KEY_CREATED", 1, "FAILURE"],
    ["NOTIFICATION_ACTIVATION", 1, "SUCCESS"],
  ]);
});

it("deletes events past their retention with the sweep job", async () => {
  await server.admin.request(`mutation { createSecretAPIKey(input: { secretKey: { name: "retention probe" } }) { __typename } }`);
  const COUNT = `{ organizations { notificationEvents { totalCount } } }`;
  const before = (await server.admin.request<any>(COUNT)).organizations[0].notificationEvents.totalCount;
  const events = await server.admin.request<any>(`{ organizations { notificationEvents(first: 1) { edges { node { id } } } } }`);
  const eventId: string = events.organizations[0].notificationEvents.edges[0].node.id;
  const node = `query($id: ID!) { node(id: $id) { id } }`;
  expect((await server.admin.request<any>(node, { id: eventId })).node).toEqual({ id: eventId });

  // Thirty days pass for this event only.
  const uuid = decodeId("NotificationEvent", eventId);
  await server.app.services.dataSource.query("UPDATE notification_events SET expires_at = now() - interval '1 second' WHERE id = $1", [
    uuid,
  ]);
  await waitFor(async () => (await server.admin.request<any>(node, { id: eventId })).node === null, undefined, "the sweep");
  // Only that one: the others are within their retention.
  expect((await server.admin.request<any>(COUNT)).organizations[0].notificationEvents.totalCount).toBe(before - 1);
});
