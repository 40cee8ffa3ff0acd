import { Client } from "pg";
import { decodeId } from "../src/db/ids";
import { TASKS } from "../src/jobs/task-names";
import { activeTarget, deliveredIds, SET_RATE_LIMIT } from "./helpers/delivery-controls";
import { Receiver } from "./helpers/receiver";
import { inBatches } from "./helpers/seed";
import { startSecondInstance, SecondInstance } from "./helpers/second-instance";
import { startTestServer, TestServer } from "./helpers/server";
import { waitFor } from "./helpers/wait";

// A rate-limited target's first attempts wait in the deliveries table and are queued at the target's pace: a
// backlog of thousands must not sit in the job queue, where every other delivery's job insert and claim met it.

let server: TestServer;
let receiver: Receiver;
let db: Client;
const seconds: SecondInstance[] = [];

beforeAll(async () => {
  receiver = await Receiver.start();
  server = await startTestServer();
  db = new Client({ connectionString: server.app.databaseUrl });
  await db.connect();
});
afterAll(async () => {
  await db?.end();
  for (const second of seconds) await second.stop();
  await server?.stop();
  await receiver?.stop();
});

async function createKeys(count: number, prefix: string): Promise<void> {
  await inBatches(
    Array.from({ length: count }, (_, i) => i),
    10,
    (i) =>
      server.admin.request(`mutation($name: String!) { createSecretAPIKey(input: { secretKey: { name: $name } }) { __typename } }`, {
        name: `${prefix} ${i}`,
      }),
  );
}

/** The target's API_KEY_CREATED deliveries: written by the fan-outs, waiting for the paced queue, and paced jobs queued. */
async function backlog(targetId: string): Promise<{ deliveries: number; waiting: number; jobs: number }> {
  const uuid = decodeId("WebhookNotificationTarget", targetId);
  const { rows } = await db.query(
    `SELECT (SELECT count(*) FROM notification_deliveries d JOIN notification_events e ON e.id = d.event_id
              WHERE d.target_id = $1 AND e.name = 'API_KEY_CREATED')::int AS deliveries,
            (SELECT count(*) FROM notification_deliveries WHERE target_id = $1 AND awaiting_queue)::int AS waiting,
            (SELECT count(*) FROM graphile_worker.jobs WHERE task_identifier = $2 AND queue_name LIKE 'keyway-target:' || $1 || ':%')::int AS jobs`,
    [uuid, TASKS.attemptPacedDelivery],
  );
  return rows[0];
}

it("queues a limited target's backlog a second's worth at a time, and sends each delivery once", async () => {
  const target = await activeTarget(server.admin, receiver, "backlog", { maxDeliveriesPerSecond: 2 });
  await createKeys(30, "backlog");
  await waitFor(async () => (await backlog(target)).deliveries === 30, undefined, "the 30 fan-outs");

  // While most wait: at most a second's worth (2) of jobs queued, from this feed and the one before.
  for (let sample = 0; sample < 3; sample++) {
    const now = await backlog(target);
    expect(now.waiting).toBeGreaterThanOrEqual(15);
    expect(now.jobs).toBeLessThanOrEqual(4);
    await new Promise((resolve) => setTimeout(resolve, 400));
  }

  // Lifting the limit lets the rest through at the next feed.
  await server.admin.request(SET_RATE_LIMIT, { input: { targetId: target, maxDeliveriesPerSecond: null } });
  await waitFor(() => deliveredIds(receiver, "backlog").length >= 30, 20_000, "all 30 deliveries");
  await waitFor(async () => (await backlog(target)).waiting === 0, undefined, "nothing waiting");
  const ids = deliveredIds(receiver, "backlog");
  expect(ids).toHaveLength(30);
  expect(new Set(ids).size).toBe(30);
});

it("leaves what a stopped process was feeding to the next process to start", async () => {
  const target = await activeTarget(server.admin, receiver, "handover", { maxDeliveriesPerSecond: 1 });
  await createKeys(8, "handover");
  await waitFor(async () => (await backlog(target)).deliveries === 8, undefined, "the 8 fan-outs");

  // This process stops feeding (as if it had stopped or crashed): what waits stays waiting.
  await server.app.services.pacedQueue.stop();
  const stranded = (await backlog(target)).waiting;
  expect(stranded).toBeGreaterThanOrEqual(4);
  await new Promise((resolve) => setTimeout(resolve, 1500));
  expect((await backlog(target)).waiting).toBe(stranded);

  // Another process finds them when it starts, and sends each once, at the limit.
  seconds.push(await startSecondInstance(server));
  await waitFor(() => deliveredIds(receiver, "handover").length >= 8, 30_000, "the 8 deliveries");
  await new Promise((resolve) => setTimeout(resolve, 500));
  const ids = deliveredIds(receiver, "handover");
  expect(ids).toHaveLength(8);
  expect(new Set(ids).size).toBe(8);
  expect((await backlog(target)).waiting).toBe(0);
});
