import { activeTarget, keyCreatedEvent } from "./helpers/delivery-controls";
import { Receiver, ReceivedRequest } from "./helpers/receiver";
import { startTestServer, TestServer } from "./helpers/server";
import { waitFor } from "./helpers/wait";

/** A short schedule: a retry 200 ms after a failure, then one 2.5 s later (the longest delay). */
const SCHEDULE_SECOND_MS = 200;
const LONGEST_MS = 2500;

let server: TestServer;
let receiver: Receiver;

beforeAll(async () => {
  receiver = await Receiver.start();
  server = await startTestServer({ KEYWAY_RETRY_SCHEDULE: `0,${SCHEDULE_SECOND_MS}ms,${LONGEST_MS}ms` });
});
afterAll(async () => {
  await server?.stop();
  await receiver?.stop();
});

const ATTEMPTS = `query($id: ID!) { node(id: $id) { ... on WebhookNotificationTarget {
  deliveryAttempts(first: 10) { edges { node { attemptNumber status httpStatus errorMessage event { name } } } }
  webhookNotificationTargetEvents(first: 1) { edges { node { nextAttemptAt } } } } } }`;

/** The first two API_KEY_CREATED requests at `path`: the refused one and its retry. */
async function twoAttempts(path: string): Promise<[ReceivedRequest, ReceivedRequest]> {
  return waitFor(
    () => {
      const requests = receiver.to(path).filter((request) => request.json?.type === "API_KEY_CREATED");
      return requests.length >= 2 && ([requests[0], requests[1]] as [ReceivedRequest, ReceivedRequest]);
    },
    undefined,
    `the retry at ${path}`,
  );
}

async function firstAttempt(targetId: string): Promise<any> {
  const node = (await server.admin.request<any>(ATTEMPTS, { id: targetId })).node;
  const attempts = node.deliveryAttempts.edges.map((e: any) => e.node).filter((a: any) => a.event.name === "API_KEY_CREATED");
  return attempts.find((a: any) => a.attemptNumber === 1);
}

it("waits the seconds a 429's Retry-After asks for instead of the schedule's 200 ms, and says so on the attempt", async () => {
  const id = await activeTarget(server.admin, receiver, "seconds");
  receiver.answer("seconds", { status: 429, headers: { "retry-after": "2" } });
  await keyCreatedEvent(server.admin, "retry-after seconds");
  const [refused, retry] = await twoAttempts("seconds");
  expect(refused.answered).toBe(429);
  expect(retry.headers["webhook-id"]).toBe(refused.headers["webhook-id"]);
  expect(retry.receivedAt - refused.receivedAt).toBeGreaterThanOrEqual(2000);
  expect(await firstAttempt(id)).toMatchObject({
    status: "FAILURE",
    httpStatus: 429,
    errorMessage: "Retry-After: the next attempt waits at least 2 s",
  });
});

it("waits until the HTTP date of a 503's Retry-After", async () => {
  const id = await activeTarget(server.admin, receiver, "date");
  // Dated when the request arrives; HTTP dates have whole seconds, so this one is 1.5–2.5 s ahead, well past the
  // schedule's 200 ms and within its longest delay.
  let date = "";
  receiver.answer("date", () => {
    date = new Date(Date.now() + 2500).toUTCString();
    return { status: 503, headers: { "retry-after": date } };
  });
  await keyCreatedEvent(server.admin, "retry-after date");
  const [refused, retry] = await twoAttempts("date");
  expect(refused.answered).toBe(503);
  expect(retry.receivedAt).toBeGreaterThanOrEqual(Date.parse(date));
  expect(retry.receivedAt - refused.receivedAt).toBeGreaterThan(SCHEDULE_SECOND_MS + 500);
  expect((await firstAttempt(id)).errorMessage).toMatch(/^Retry-After: the next attempt waits at least [12](\.\d)? s$/);
});

it("waits no longer than the schedule's longest delay, however long Retry-After asks for", async () => {
  const id = await activeTarget(server.admin, receiver, "long");
  receiver.answer("long", { status: 429, headers: { "retry-after": "3600" } });
  await keyCreatedEvent(server.admin, "retry-after an hour");
  const [refused, retry] = await twoAttempts("long");
  const waited = retry.receivedAt - refused.receivedAt;
  expect(waited).toBeGreaterThanOrEqual(LONGEST_MS);
  expect(waited).toBeLessThan(60_000);
  expect((await firstAttempt(id)).errorMessage).toBe("Retry-After asked for 3600 s; the next attempt waits the longest retry delay, 2.5 s");
});

it("follows the schedule for other statuses and for a Retry-After it cannot read", async () => {
  await activeTarget(server.admin, receiver, "other");
  receiver.answer("other", { status: 500, headers: { "retry-after": "30" } });
  await keyCreatedEvent(server.admin, "retry-after on a 500");
  const [, retry] = await twoAttempts("other");
  const requests = receiver.to("other").filter((request) => request.json?.type === "API_KEY_CREATED");
  expect(retry.receivedAt - requests[0].receivedAt).toBeLessThan(2000);

  const id = await activeTarget(server.admin, receiver, "unreadable");
  receiver.answer("unreadable", { status: 429, headers: { "retry-after": "soon" } });
  await keyCreatedEvent(server.admin, "retry-after unreadable");
  const [refused, again] = await twoAttempts("unreadable");
  expect(again.receivedAt - refused.receivedAt).toBeLessThan(2000);
  expect((await firstAttempt(id)).errorMessage).toBeNull();
});
