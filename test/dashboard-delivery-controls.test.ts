import type { Browser } from "playwright-core";
import { deliveredIds, keyCreatedEvent } from "./helpers/delivery-controls";
import { launchBrowser, newDashboardPage, screenshot, signIn, untilText } from "./helpers/dashboard";
import { Receiver } from "./helpers/receiver";
import { startTestServer, TestServer } from "./helpers/server";
import { waitFor } from "./helpers/wait";

// A target's delivery controls, clicked through in a real browser: the rate limit at add and on the
// target's page, and the recovery of the events it missed while it was down.

let server: TestServer;
let browser: Browser;
let receiver: Receiver;

beforeAll(async () => {
  // One attempt per delivery: what failed stays failed until it is recovered.
  server = await startTestServer({ KEYWAY_RETRY_SCHEDULE: "0" });
  browser = await launchBrowser();
  receiver = await Receiver.start();
});
afterAll(async () => {
  await browser?.close();
  await receiver?.stop();
  await server?.stop();
});

const COUNT = `query($id: ID!, $since: DateTime!) { node(id: $id) { ... on WebhookNotificationTarget { recoverableEventCount(since: $since) } } }`;

it("adds a limited target, recovers the events it missed during an outage, and changes its limit", async () => {
  const { page } = await newDashboardPage(browser, server);
  await signIn(page);
  await page.getByRole("link", { name: "Webhooks", exact: true }).click();
  await page.getByRole("button", { name: "Add target" }).click();
  const dialog = page.getByRole("dialog", { name: "Add webhook target" });
  await dialog.getByLabel("Name").fill("Small receiver");
  await dialog.getByLabel("URL").fill(receiver.target("small"));
  await dialog.getByLabel("Max deliveries per second (optional)").fill("5");
  await dialog.getByRole("button", { name: "Add target" }).click();
  await page.getByRole("heading", { name: "Small receiver" }).waitFor();
  await untilText(page.getByTestId("rate-limit"), "5 per second");
  await waitFor(async () => (await page.locator('[data-status="ACTIVE"]').count()) > 0, 30_000, "an active target");

  // The receiver is down for three events.
  receiver.otherwise = (request) => (request.json?.type === "API_KEY_CREATED" ? 500 : 200);
  const missed: string[] = [];
  for (let i = 0; i < 3; i++) missed.push(await keyCreatedEvent(server.admin, `during the outage ${i}`));
  await waitFor(() => missed.every((id) => deliveredIds(receiver, "small").includes(id)), 30_000, "the failed attempts");
  receiver.otherwise = 200;

  // The form counts what it will send: the events of the range the target never received (here also the
  // bootstrap key's, older than the target), the same number the API counts.
  const form = page.getByRole("form", { name: "Recover missed events" });
  await page.getByRole("button", { name: "Refresh" }).click();
  const since = new Date(await form.getByLabel("From").inputValue()).toISOString();
  const id = page.url().split("/").pop()!;
  const expected: number = (await server.admin.request<any>(COUNT, { id, since })).node.recoverableEventCount;
  expect(expected).toBeGreaterThanOrEqual(3);
  await untilText(form.getByTestId("recoverable-count"), `${expected} events will be sent.`);
  await screenshot(page, "webhook-delivery-controls");

  const before = deliveredIds(receiver, "small").length;
  await form.getByRole("button", { name: "Recover events" }).click();
  await untilText(page.getByRole("alert").or(page.locator(".mantine-Notification-root")).first(), `${expected} events queued`);
  await waitFor(() => deliveredIds(receiver, "small").length >= before + expected, 30_000, "the recovered deliveries");
  const recovered = deliveredIds(receiver, "small").slice(before);
  expect(recovered).toEqual(expect.arrayContaining(missed));
  expect(new Set(recovered).size).toBe(expected);
  await waitFor(
    async () => {
      await page.getByRole("button", { name: "Refresh" }).click();
      return ((await form.getByTestId("recoverable-count").textContent()) ?? "").includes("0 events will be sent.");
    },
    30_000,
    "nothing left to recover",
  );

  // The limit: refused out of range at its field, then changed and removed.
  const limit = page.getByLabel("Max deliveries per second (optional)");
  await limit.fill("0");
  await page.getByRole("button", { name: "Save rate limit" }).click();
  await untilText(page.locator("form").filter({ has: limit }), "INVALID_INPUT");
  await limit.fill("20");
  await page.getByRole("button", { name: "Save rate limit" }).click();
  await untilText(page.getByTestId("rate-limit"), "20 per second");
  await page.getByRole("button", { name: "Remove limit" }).click();
  await untilText(page.getByTestId("rate-limit"), "No limit");
  await screenshot(page, "webhook-delivery-controls-after");
});
