import type { Browser } from "playwright-core";
import { launchBrowser, newDashboardPage, screenshot, signIn, untilText } from "./helpers/dashboard";
import { approvingEndpoint, isDecisionRequest, Receiver } from "./helpers/receiver";
import { waitFor } from "./helpers/wait";
import { startTestServer, TestServer } from "./helpers/server";

// Webhooks, collaborative authorization and the team, clicked through in a real browser.

let server: TestServer;
let browser: Browser;
let receiver: Receiver;
let endpoint: Receiver;

beforeAll(async () => {
  server = await startTestServer({ KEYWAY_RETRY_SCHEDULE: "0,200ms" });
  browser = await launchBrowser();
  receiver = await Receiver.start();
  endpoint = await approvingEndpoint();
});
afterAll(async () => {
  await browser?.close();
  await receiver?.stop();
  await endpoint?.stop();
  await server?.stop();
});

const CREATE = `mutation($input: CreateSecretAPIKeyInput!) { createSecretAPIKey(input: $input) { __typename } }`;

describe("webhooks", () => {
  it("adds a target that becomes ACTIVE, delivers an event, shows its attempts, replays it, deactivates and removes the target", async () => {
    const { page } = await newDashboardPage(browser, server);
    await signIn(page);
    await page.getByRole("link", { name: "Webhooks", exact: true }).click();
    await page.getByRole("button", { name: "Add target" }).click();
    const dialog = page.getByRole("dialog", { name: "Add webhook target" });
    await dialog.getByLabel("Name").fill("My backend");
    await dialog.getByLabel("URL").fill(receiver.target("hooks"));
    await dialog.getByRole("button", { name: "Add target" }).click();

    // The target page, until the NOTIFICATION_ACTIVATION answer makes it ACTIVE.
    await page.getByRole("heading", { name: "My backend" }).waitFor();
    await waitFor(async () => (await page.locator('[data-status="ACTIVE"]').count()) > 0, 30_000, "an active target");
    expect(receiver.to("hooks")[0].json.type).toBe("NOTIFICATION_ACTIVATION");

    await server.admin.request(CREATE, { input: { secretKey: { name: "webhook-trigger" } } });
    const delivered = await waitFor(
      () => receiver.to("hooks").find((r) => r.json.type === "API_KEY_CREATED"),
      30_000,
      "the API_KEY_CREATED delivery",
    );
    await waitFor(
      async () => {
        await page.getByRole("button", { name: "Refresh" }).click();
        return (
          (await page.getByTestId("target-event").filter({ hasText: "API key created" }).locator('[data-status="SUCCESS"]').count()) > 1
        );
      },
      30_000,
      "the event on the target page",
    );
    await page.getByLabel("Show").getByText("Failing").click();
    await waitFor(async () => (await page.getByTestId("target-event").count()) === 0, 30_000, "no failing events");
    await page.getByLabel("Show").getByText("Delivered").click();
    await page.getByTestId("target-event").first().waitFor();
    await screenshot(page, "webhook-target");

    // The event page: its payload and its attempts; Replay delivers again with the same webhook-id.
    await page.getByRole("link", { name: "API key created" }).click();
    await page.getByRole("heading", { name: "API key created" }).waitFor();
    await untilText(page.getByTestId("event-payload"), "webhook-trigger");
    const attempts = page.getByRole("table", { name: "Delivery attempts" });
    await untilText(attempts, "My backend");
    expect(await attempts.getByRole("row").count()).toBe(2);
    await page.getByRole("button", { name: "Replay" }).click();
    await waitFor(
      () => receiver.to("hooks").filter((r) => r.json.type === "API_KEY_CREATED").length === 2 || undefined,
      30_000,
      "the replayed delivery",
    );
    const replays = receiver.to("hooks").filter((r) => r.json.type === "API_KEY_CREATED");
    expect(replays[1].headers["webhook-id"]).toBe(delivered.headers["webhook-id"]);
    await waitFor(async () => (await attempts.getByRole("row").count()) === 3, 30_000, "the second attempt on the page");
    await screenshot(page, "event");

    // Back to the target: deactivate, then remove.
    await page.getByRole("link", { name: "My backend" }).first().click();
    await page.getByRole("button", { name: "Deactivate" }).click();
    await waitFor(async () => (await page.locator('[data-status="DEACTIVATED"]').count()) > 0, 30_000, "a deactivated target");
    await page.getByRole("button", { name: "Remove" }).click();
    await page
      .getByRole("dialog", { name: /Remove target My backend/ })
      .getByRole("button", { name: "Remove target" })
      .click();
    await page.getByRole("heading", { name: "Webhooks" }).waitFor();
    await untilText(page.getByTestId("page-summary"), "No targets");
    await page.getByRole("link", { name: "Events", exact: true }).click();
    await page.getByRole("table", { name: "Events" }).getByRole("row").nth(1).waitFor();
    await screenshot(page, "events");
  });
});

describe("collaborative authorization", () => {
  it("adds an endpoint, activates it with the verification result, and shows a simulated decision", async () => {
    const { page } = await newDashboardPage(browser, server);
    await signIn(page);
    await page.getByRole("link", { name: "Collaborative authorization" }).click();
    await page.getByRole("button", { name: "Add endpoint" }).click();
    const dialog = page.getByRole("dialog", { name: "Add endpoint" });
    await dialog.getByLabel("Name").fill("Risk engine");
    await dialog.getByLabel("URL").fill(endpoint.target("/decide"));
    await dialog.getByRole("button", { name: "Add endpoint" }).click();
    const row = page.getByRole("table", { name: "Endpoints" }).getByRole("row").filter({ hasText: "Risk engine" });
    await row.locator('[data-status="PENDING_VERIFICATION"]').waitFor();

    await row.getByRole("button", { name: "Activate", exact: true }).click();
    await untilText(page.getByTestId("verification-result"), "Verification succeeded");
    await row.locator('[data-status="ACTIVE"]').waitFor();

    await page.getByLabel("Amount").fill("42.50");
    await page.getByLabel("Merchant name").fill("Corner Coffee");
    await page.getByRole("button", { name: "Simulate authorization" }).click();
    const decision = page.getByTestId("decision");
    await untilText(decision, "Decision: APPROVED");
    await untilText(decision, "decided by endpoint Risk engine");
    expect(endpoint.to("/decide").filter(isDecisionRequest)[0].json.transaction).toMatchObject({
      amount: 4250,
      currencyCode: "USD",
      merchantName: "Corner Coffee",
    });
    await untilText(page.getByRole("table", { name: "Recent authorization requests" }), "Risk engine");
    await screenshot(page, "collaborative-authorization");
  });
});

describe("team", () => {
  it("invites a SUPPORT member who joins through the link and sees no write action; LAST_ADMIN is explained in place", async () => {
    const { page } = await newDashboardPage(browser, server);
    await signIn(page);
    await page.getByRole("link", { name: "Team" }).click();
    await page.getByRole("button", { name: "Invite member" }).click();
    const dialog = page.getByRole("dialog", { name: "Invite to TEST" });
    await dialog.getByLabel("Email").fill("support@example.test");
    await dialog.getByLabel("Role").selectOption("SUPPORT");
    await dialog.getByRole("button", { name: "Invite" }).click();
    const link = (await page.getByTestId("invitation-link").textContent())!.trim();
    expect(link).toMatch(new RegExp(`^${new URL(server.url).origin}/dashboard/invitations/accept\\?token=`));
    await page.getByRole("button", { name: "Done" }).click();
    await untilText(page.getByRole("table", { name: "Pending invitations" }), "support@example.test");

    // The invitee, in a browser of their own.
    const invitee = await newDashboardPage(browser, server);
    await invitee.page.goto(link);
    await invitee.page.getByLabel("Your name").fill("Sam Support");
    await invitee.page.getByLabel("Password").fill("support-password-1");
    await invitee.page.getByRole("button", { name: "Join" }).click();
    await invitee.page.getByRole("heading", { name: "API keys" }).waitFor();
    await untilText(invitee.page.getByRole("banner"), "support@example.test (SUPPORT)");
    expect(await invitee.page.getByRole("button", { name: "Create API key" }).count()).toBe(0);
    await invitee.page.getByRole("link", { name: "Team" }).click();
    await untilText(invitee.page.getByRole("table", { name: "Members" }), "Sam Support");
    expect(await invitee.page.getByRole("button", { name: /Invite|Change role|Remove/ }).count()).toBe(0);
    await invitee.page.getByRole("link", { name: "Webhooks", exact: true }).click();
    await invitee.page.getByRole("heading", { name: "Webhooks" }).waitFor();
    expect(await invitee.page.getByRole("button", { name: "Add target" }).count()).toBe(0);
    await invitee.page.getByRole("link", { name: "Collaborative authorization" }).click();
    await invitee.page.getByRole("table", { name: "Endpoints" }).waitFor();
    expect(await invitee.page.getByRole("button", { name: /Add endpoint|Activate|Deactivate|Simulate/ }).count()).toBe(0);
    await invitee.context.close();

    // The admin sees the new member, and cannot demote themselves: the last ADMIN of TEST.
    await page.reload();
    const members = page.getByRole("table", { name: "Members" });
    await untilText(members, "Sam Support");
    await page.getByRole("button", { name: "Change role of admin@example.test" }).click();
    const roleDialog = page.getByRole("dialog", { name: /Change role of admin@example.test/ });
    await roleDialog.getByLabel("Role in TEST").selectOption("DEVELOPER");
    await roleDialog.getByRole("button", { name: "Save role" }).click();
    await untilText(page.getByTestId("last-admin"), "LAST_ADMIN");
    await untilText(page.getByTestId("last-admin"), "Make another member ADMIN first");
    await screenshot(page, "team-last-admin");
    await roleDialog.getByRole("button", { name: "Cancel" }).click();
    await untilText(members, "ADMIN");
    await screenshot(page, "team");
  });
});
