import type { ChildProcess } from "node:child_process";
import { createDatabase, queueDrained } from "./helpers/database";
import { Receiver } from "./helpers/receiver";
import { waitFor } from "./helpers/wait";

// The benchmark's launcher: `node dist/src/main.js serve` as its own process (npm test builds dist first).
// eslint-disable-next-line @typescript-eslint/no-require-imports -- a JavaScript file without types: require() and the assertion below type it.
const { startKeyway, graphql } = require("../bench/lib/server.js") as {
  startKeyway: (
    databaseUrl: string,
    env: Record<string, string>,
  ) => Promise<{ url: string; key: string | null; process: ChildProcess; stop(): Promise<void> }>;
  graphql: (url: string, key: string, query: string, variables?: Record<string, unknown>) => Promise<any>;
};

const ENV = {
  KEYWAY_ALLOW_PRIVATE_URLS: "test",
  // Short liveness windows so the test does not wait the default 30 s.
  KEYWAY_WORKER_HEARTBEAT_MS: "200",
  KEYWAY_WORKER_STALE_MS: "1500",
  LOG_LEVEL: "error",
};

let database: { url: string; drop: () => Promise<void> };

// Each test starts processes of its own (node, migrations, PostgreSQL connections): on a loaded machine that takes
// far longer than jest's default budget. Headroom only; nothing here is timed.
jest.setTimeout(240_000);
let receiver: Receiver;
const children: Array<{ process: ChildProcess; stop(): Promise<void> }> = [];

beforeAll(async () => {
  database = await createDatabase();
  receiver = await Receiver.start();
});

afterAll(async () => {
  for (const child of children) if (child.process.exitCode === null && child.process.signalCode === null) await child.stop();
  await receiver?.stop();
  await database?.drop();
});

it("delivers an event exactly once when the process holding its delivery is SIGKILLed and another starts", async () => {
  const first = await startKeyway(database.url, ENV);
  children.push(first);
  const key = first.key!;

  const added = await graphql(
    first.url,
    key,
    `
      mutation ($uri: String!) {
        addWebhookNotificationTarget(input: { name: "crash", uri: $uri, subscriptions: [API_KEY_CREATED] }) {
          ... on WebhookNotificationTarget {
            id
          }
        }
      }
    `,
    { uri: receiver.target("crash") },
  );
  const targetId = added.addWebhookNotificationTarget.id;
  const status = `query($id: ID!) { node(id: $id) { ... on WebhookNotificationTarget { status
    deliveryAttempts { edges { node { attemptNumber status httpStatus event { id name } } } } } } }`;
  await waitFor(async () => (await graphql(first.url, key, status, { id: targetId })).node.status === "ACTIVE", undefined, "ACTIVE");

  // The receiver holds the event's first request open: the job is locked by the first process, mid-delivery.
  receiver.answer("crash", "hang");
  await graphql(
    first.url,
    key,
    `
      mutation {
        createSecretAPIKey(input: { secretKey: { name: "crash probe" } }) {
          __typename
        }
      }
    `,
  );
  const held = await waitFor(() => receiver.to("crash")[1], undefined, "the event to reach the receiver");
  expect(held.json.type).toBe("API_KEY_CREATED");

  first.process.kill("SIGKILL");
  await waitFor(() => first.process.signalCode === "SIGKILL", undefined, "the first process to die");

  const second = await startKeyway(database.url, ENV);
  children.push(second);
  const redelivered = await waitFor(() => receiver.to("crash")[2], 30_000, "the delivery after restart");
  await queueDrained(database.url);

  const eventRequests = receiver.to("crash").slice(1);
  expect(eventRequests).toHaveLength(2);
  expect(redelivered.headers["webhook-id"]).toBe(held.headers["webhook-id"]);
  expect(redelivered.body).toBe(held.body);
  // Answered once with a 2xx: the interrupted request never got an answer.
  expect(eventRequests.map((request) => request.answered)).toEqual([null, 200]);

  const node = (await graphql(second.url, key, status, { id: targetId })).node;
  const attempts = node.deliveryAttempts.edges.map((edge: any) => edge.node).filter((a: any) => a.event.name === "API_KEY_CREATED");
  expect(attempts).toEqual([
    { attemptNumber: 1, status: "SUCCESS", httpStatus: 200, event: { id: held.headers["webhook-id"], name: "API_KEY_CREATED" } },
  ]);
  await second.stop();
});
