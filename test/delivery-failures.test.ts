import { Receiver, waitFor } from "./helpers/receiver";
import { startTestServer, TestServer } from "./helpers/server";

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

it("deactivates a target whose every delivery failed for the whole window, saying why", async () => {
  const added = await server.admin.request<any>(
    `mutation($uri: String!) { addWebhookNotificationTarget(input: { name: "failing", uri: $uri, subscriptions: [API_KEY_CREATED] }) {
      ... on WebhookNotificationTarget { id } } }`,
    { uri: receiver.target("failing") },
  );
  const id = added.addWebhookNotificationTarget.id;
  await waitFor("ACTIVE", async () => (await server.admin.request<any>(STATUS, { id })).node.status === "ACTIVE");

  receiver.answer("failing", 500, 500, 500);
  await server.admin.request(`mutation { createSecretAPIKey(input: { secretKey: { name: "failing probe" } }) { __typename } }`);
  const node = await waitFor("DEACTIVATED", async () => {
    const n = (await server.admin.request<any>(STATUS, { id })).node;
    return n.status === "DEACTIVATED" && n;
  });
  expect(node.statusHistory.edges[0].node.reason).toMatch(/every delivery failed/);
  // Deactivated after the second failure: the third attempt of the schedule is never made.
  expect(receiver.to("failing").slice(1).map((r) => r.answered)).toEqual([500, 500]);
});

it("deletes events past their retention with the sweep job", async () => {
  await server.admin.request(`mutation { createSecretAPIKey(input: { secretKey: { name: "retention probe" } }) { __typename } }`);
  const events = await server.admin.request<any>(`{ organizations { notificationEvents(first: 1) { edges { node { id } } } } }`);
  const eventId: string = events.organizations[0].notificationEvents.edges[0].node.id;
  const node = `query($id: ID!) { node(id: $id) { id } }`;
  expect((await server.admin.request<any>(node, { id: eventId })).node).toEqual({ id: eventId });

  // Thirty days pass for this event only.
  const uuid = eventId.slice(4).replace(/(.{8})(.{4})(.{4})(.{4})(.{12})/, "$1-$2-$3-$4-$5");
  await server.app.services.dataSource.query("UPDATE notification_events SET expires_at = now() - interval '1 second' WHERE id = $1", [uuid]);
  await waitFor("the sweep", async () => (await server.admin.request<any>(node, { id: eventId })).node === null);
  const remaining = await server.admin.request<any>(`{ organizations { notificationEvents { totalCount } } }`);
  expect(remaining.organizations[0].notificationEvents.totalCount).toBeGreaterThan(0);
});
