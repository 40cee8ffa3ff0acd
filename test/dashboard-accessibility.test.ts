import type { Browser } from "playwright-core";
import { keyRow, launchBrowser, newDashboardPage, screenshot, seriousViolations, signIn, switchEnvironment } from "./helpers/dashboard";
import { activeTarget } from "./helpers/delivery-controls";
import { Receiver } from "./helpers/receiver";
import { waitFor } from "./helpers/wait";
import { startTestServer, TestServer } from "./helpers/server";

// Every route passes an automated accessibility check (axe) with no serious or critical violation,
// and everything on the key page works from the keyboard.

let server: TestServer;
let browser: Browser;
let receiver: Receiver;
let targetId: string;
let eventId: string;

beforeAll(async () => {
  server = await startTestServer();
  browser = await launchBrowser();
  receiver = await Receiver.start();
  // ACTIVE before the keys are created: events go to the targets ACTIVE when they commit.
  targetId = await activeTarget(server.admin, receiver, "a11y", { name: "Backend" });
  for (const name of ["prod-main-app", "staging-api", "crm-integration"]) {
    await server.admin.request(`mutation($input: CreateSecretAPIKeyInput!) { createSecretAPIKey(input: $input) { __typename } }`, {
      input: { secretKey: { name, description: `The ${name} integration` } },
    });
  }
  await server.admin.request(
    `mutation { addCollaborativeAuthorizationEndpoint(input: { name: "Risk engine", uri: "http://127.0.0.1:9/decide" }) { __typename } }`,
  );
  await server.admin.request(
    `mutation { simulateCollaborativeAuthorization(input: { amount: 1250, currencyCode: "USD" }) { __typename } }`,
  );
  await waitFor(() => receiver.to("a11y").find((r) => r.json.type === "API_KEY_CREATED"), 30_000, "a delivery");
  const events = await server.admin.request<any>(
    `{ organizations { notificationEvents(first: 1, filterBy: { name: [API_KEY_CREATED] }) { edges { node { id } } } } }`,
  );
  eventId = events.organizations[0].notificationEvents.edges[0].node.id;
});
afterAll(async () => {
  await browser?.close();
  await receiver?.stop();
  await server?.stop();
});

describe("accessibility", () => {
  it("finds no serious or critical violation on any route", async () => {
    const { page } = await newDashboardPage(browser, server);
    const found: Record<string, unknown> = {};
    for (const [name, path, ready] of [
      ["sign-in", "/dashboard/sign-in", "Sign in"],
      ["sign-up", "/dashboard/sign-up", "Create an organization"],
      ["accept-invitation", "/dashboard/invitations/accept?token=example", "Accept your invitation"],
    ]) {
      await page.goto(path);
      await page.getByRole("heading", { name: ready }).waitFor();
      found[name] = await seriousViolations(page);
      await screenshot(page, name);
    }
    await signIn(page);
    const routes: Array<[string, string, string]> = [
      ["api-keys", "/dashboard/developers/api-keys", "API keys"],
      ["webhooks", "/dashboard/developers/webhooks", "Webhooks"],
      ["webhook-target", `/dashboard/developers/webhooks/${targetId}`, "Backend"],
      ["events", "/dashboard/developers/events", "Events"],
      ["event", `/dashboard/developers/events/${eventId}`, "API key created"],
      ["collaborative-authorization", "/dashboard/developers/collaborative-authorization", "Collaborative authorization"],
      ["team", "/dashboard/settings/team", "Team"],
      ["audit-log", "/dashboard/settings/audit-log", "Audit log"],
    ];
    for (const [name, path, heading] of routes) {
      await page.goto(path);
      await page.getByRole("heading", { name: heading, exact: true }).waitFor();
      await page
        .getByRole("table")
        .first()
        .locator("tbody tr")
        .first()
        .waitFor({ timeout: 5000 })
        .catch(async (error) => {
          await screenshot(page, `failed-${name}`);
          throw error;
        });
      found[name] = await seriousViolations(page);
      await screenshot(page, `route-${name}`);
    }
    // The dialogs, and the LIVE header.
    await page.goto("/dashboard/developers/api-keys");
    await keyRow(page, "prod-main-app").waitFor();
    await page.getByRole("button", { name: "Create API key" }).click();
    await page.getByRole("dialog", { name: "Create API key" }).waitFor();
    found["create-key-dialog"] = await seriousViolations(page);
    await screenshot(page, "create-key-dialog");
    await page.keyboard.press("Escape");
    await switchEnvironment(page, "Live");
    await page.getByTestId("live-badge").waitFor();
    found["api-keys-live"] = await seriousViolations(page);

    expect(found).toEqual(Object.fromEntries(Object.keys(found).map((name) => [name, []])));
  }, 240_000);

  it("reaches and operates every action of the key page from the keyboard", async () => {
    const { page } = await newDashboardPage(browser, server);
    await signIn(page);
    await keyRow(page, "prod-main-app").waitFor();

    // Tab through the whole page once, recording what gets the focus.
    const reached = new Set<string>();
    await page.locator("body").focus();
    for (let i = 0; i < 80; i++) {
      await page.keyboard.press("Tab");
      const name = await page.evaluate(() => {
        const element = (globalThis as any).document.activeElement;
        if (!element || element === (globalThis as any).document.body) return "";
        const labelled =
          element.getAttribute("aria-label") ??
          (element.id ? (globalThis as any).document.querySelector(`label[for="${element.id}"]`)?.textContent : null);
        return (labelled ?? element.textContent ?? "").trim();
      });
      if (name) reached.add(name);
    }
    for (const name of [
      "Create API key",
      "API shared secret",
      "Search by name",
      "Status",
      "Role",
      "Rows per page",
      "Sign out",
      "Deactivate",
      "More actions for prod-main-app",
      "More actions for staging-api",
      "Webhooks",
      "Audit log",
    ]) {
      expect([name, [...reached].some((r) => r === name || r.startsWith(name))]).toEqual([name, true]);
    }

    // Create a key with the keyboard only.
    await page.getByRole("button", { name: "Create API key" }).focus();
    await page.keyboard.press("Enter");
    await page.getByRole("dialog", { name: "Create API key" }).waitFor();
    const nameField = page.getByRole("dialog", { name: "Create API key" }).getByRole("textbox", { name: /^Name/ });
    await waitFor(
      () => nameField.evaluate((element) => element === (globalThis as any).document.activeElement),
      30_000,
      "the name field focused",
    );
    await page.keyboard.type("keyboard-made");
    await page.keyboard.press("Enter");
    await page.getByTestId("revealed-key").waitFor();
    await page.getByRole("button", { name: "I've copied my key" }).focus();
    await page.keyboard.press("Enter");
    await keyRow(page, "keyboard-made").waitFor();

    // A row's menu: open it, pick Modify with the arrow keys, close the dialog with Escape.
    await page.getByRole("button", { name: "More actions for keyboard-made" }).focus();
    await page.keyboard.press("Enter");
    await page.getByRole("menuitem", { name: "Modify" }).waitFor();
    await page.keyboard.press("ArrowDown");
    await waitFor(
      () => page.getByRole("menuitem", { name: "Modify" }).evaluate((element) => element === (globalThis as any).document.activeElement),
      30_000,
      "Modify focused",
    );
    await page.keyboard.press("Enter");
    const dialog = page.getByRole("dialog", { name: /Modify API key keyboard-made/ });
    await dialog.waitFor();
    await page.keyboard.press("Escape");
    await dialog.waitFor({ state: "detached" });

    // Deactivate with the keyboard.
    await keyRow(page, "keyboard-made").getByRole("button", { name: "Deactivate", exact: true }).focus();
    await page.keyboard.press("Enter");
    await keyRow(page, "keyboard-made").getByRole("button", { name: "Activate", exact: true }).waitFor();
  });
});
