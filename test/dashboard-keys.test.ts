import type { Browser, Page } from "playwright-core";
import { APIKeyRole, Environment, UserRole } from "../src/entities/enums";
import {
  keyRow,
  launchBrowser,
  newDashboardPage,
  origin,
  rowAction,
  screenshot,
  signIn,
  switchEnvironment,
  untilText,
} from "./helpers/dashboard";
import { waitFor } from "./helpers/wait";
import { startTestServer, TestServer } from "./helpers/server";
import { createUser } from "./helpers/users";

// The seed workflows of the key page [000]–[004], clicked in a real browser against a real Keyway.

let server: TestServer;
let browser: Browser;

beforeAll(async () => {
  server = await startTestServer();
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

/** An API call with `key`, as an integration makes it: the HTTP status. */
async function callWith(key: string): Promise<number> {
  const response = await fetch(server.url, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
    body: JSON.stringify({ query: "{ viewer { role } }" }),
  });
  return response.status;
}

const CREATE = `mutation($input: CreateSecretAPIKeyInput!) { createSecretAPIKey(input: $input) { __typename ... on APIKey { id key } } }`;

async function createKey(name: string, role = "READONLY", description: string | null = null): Promise<string> {
  const result = await server.admin.request<any>(CREATE, { input: { secretKey: { name, role, description } } });
  return result.createSecretAPIKey.key;
}

async function openKeys(): Promise<Page> {
  const { page } = await newDashboardPage(browser, server);
  await signIn(page);
  return page;
}

async function search(page: Page, text: string): Promise<void> {
  await page.getByLabel("Search by name").fill(text);
  await untilText(page.getByTestId("page-summary"), /of \d+ keys|No keys/);
}

describe("[000] create a key, copy it once, revoke it", () => {
  it("shows the key once with a copy button, then only its redacted form; revoked, the API refuses it", async () => {
    const page = await openKeys();
    await page.getByRole("button", { name: "Create API key" }).click();
    const dialog = page.getByRole("dialog", { name: "Create API key" });
    await dialog.getByLabel("Name").fill("prod-main-app");
    await dialog.getByLabel("Description").fill("The main app's backend");
    await dialog.getByRole("button", { name: "Create API key" }).click();

    const revealed = page.getByTestId("revealed-key");
    await revealed.waitFor();
    const key = (await revealed.textContent())!.trim();
    expect(key).toMatch(/^kw_test_[0-9A-Za-z]{36}$/);
    await screenshot(page, "api-keys-created");
    await page.getByRole("button", { name: "Copy key" }).click();
    await untilText(page.getByRole("button", { name: "Copied", exact: true }), "Copied");
    expect(await page.evaluate(() => (globalThis as any).navigator.clipboard.readText())).toBe(key);
    await page.getByRole("button", { name: "I've copied my key" }).click();
    await revealed.waitFor({ state: "detached" });

    const row = keyRow(page, "prod-main-app");
    await row.waitFor();
    const rowText = (await row.textContent())!;
    expect(rowText).not.toContain(key);
    expect(rowText).toContain(`${key.slice(0, 12)}…${key.slice(-4)}`);
    expect(await page.content()).not.toContain(key);
    expect(await callWith(key)).toBe(200);

    await rowAction(page, "prod-main-app", "Revoke");
    const confirm = page.getByRole("dialog", { name: /Revoke API key prod-main-app/ });
    await untilText(confirm, "cannot be undone");
    await confirm.getByRole("button", { name: "Revoke API key" }).click();
    await waitFor(async () => (await row.getAttribute("data-status")) === "REVOKED", 30_000, "the revoked status");
    expect(await callWith(key)).toBe(401);
  });
});

describe("[001] plans, expiry, rotation with a grace period, revocation", () => {
  it("on the FREE plan in LIVE shows Upgrade required and cannot create", async () => {
    const { page } = await newDashboardPage(browser, server);
    await page.goto("/dashboard/sign-up");
    await page.getByLabel("Organization name").fill("Free Co");
    await page.getByLabel("Email").fill("owner@free.test");
    await page.getByLabel("Password").fill("free-owner-password");
    await page.getByRole("button", { name: "Create organization" }).click();
    await page.getByRole("heading", { name: "API keys" }).waitFor();
    // TEST works on every plan.
    expect(await page.getByRole("button", { name: "Create API key" }).isEnabled()).toBe(true);
    await switchEnvironment(page, "Live");
    await page.getByTestId("upgrade-required").waitFor();
    await untilText(page.getByTestId("upgrade-required"), "Upgrade required");
    expect(await page.getByRole("button", { name: "Create API key" }).isDisabled()).toBe(true);
    await screenshot(page, "api-keys-upgrade-required");
  });

  it("on PAID creates a LIVE key with an expiry date, rotates it with a grace period and revokes with confirmation", async () => {
    const page = await openKeys();
    await switchEnvironment(page, "Live");
    await page.getByRole("button", { name: "Create API key" }).click();
    const dialog = page.getByRole("dialog", { name: "Create API key" });
    await dialog.getByLabel("Name").fill("crm-integration");
    await dialog.getByLabel("Role").selectOption("ADMIN");
    await dialog.getByLabel("Expiry date (optional)").fill("2031-06-30");
    await dialog.getByRole("button", { name: "Create API key" }).click();
    const oldKey = (await page.getByTestId("revealed-key").textContent())!.trim();
    expect(oldKey).toMatch(/^kw_live_/);
    await page.getByRole("button", { name: "I've copied my key" }).click();
    const created = keyRow(page, "crm-integration");
    await untilText(created, "2031-06-30");

    // Rotate, the old key kept for an hour: both work now.
    await rowAction(page, "crm-integration", "Rotate");
    const rotate = page.getByRole("dialog", { name: /Rotate API key crm-integration/ });
    await untilText(rotate, "Tell the technical owner before rotating");
    await rotate.getByLabel("The old key stops working").selectOption("3600");
    await rotate.getByRole("button", { name: "Rotate key" }).click();
    const newKey = (await page.getByTestId("revealed-key").textContent())!.trim();
    await page.getByRole("button", { name: "I've copied my key" }).click();
    expect(newKey).not.toBe(oldKey);
    expect(await callWith(oldKey)).toBe(200);
    expect(await callWith(newKey)).toBe(200);
    await waitFor(async () => (await keyRow(page, "crm-integration").count()) === 2, 30_000, "two keys named crm-integration");
    const oldRow = page.getByRole("row").filter({ hasText: `${oldKey.slice(0, 12)}…${oldKey.slice(-4)}` });
    // The old key's expiry is now about an hour away, not 2031.
    expect(await oldRow.locator('[data-column="expires"]').textContent()).not.toContain("2031");

    // Rotating the new one "Immediately": the key it replaces stops at once.
    const newRow = page.getByRole("row").filter({ hasText: `${newKey.slice(0, 12)}…${newKey.slice(-4)}` });
    await newRow.getByRole("button", { name: "More actions for crm-integration" }).click();
    await page.getByRole("menuitem", { name: "Rotate" }).click();
    await page.getByLabel("The old key stops working").selectOption("0");
    await page.getByRole("button", { name: "Rotate key" }).click();
    const newest = (await page.getByTestId("revealed-key").textContent())!.trim();
    await page.getByRole("button", { name: "I've copied my key" }).click();
    await waitFor(async () => (await callWith(newKey)) === 401, 30_000, "the replaced key refused");
    expect(await callWith(newest)).toBe(200);

    // Revoke, after the "cannot be undone" confirmation.
    const newestRow = page.getByRole("row").filter({ hasText: `${newest.slice(0, 12)}…${newest.slice(-4)}` });
    await newestRow.getByRole("button", { name: "More actions for crm-integration" }).click();
    await page.getByRole("menuitem", { name: "Revoke" }).click();
    const confirm = page.getByRole("dialog", { name: /Revoke API key/ });
    await untilText(confirm, "Revocation cannot be undone");
    await confirm.getByRole("button", { name: "Cancel" }).click();
    expect(await callWith(newest)).toBe(200);
    await newestRow.getByRole("button", { name: "More actions for crm-integration" }).click();
    await page.getByRole("menuitem", { name: "Revoke" }).click();
    await page
      .getByRole("dialog", { name: /Revoke API key/ })
      .getByRole("button", { name: "Revoke API key" })
      .click();
    await waitFor(async () => (await callWith(newest)) === 401, 30_000, "the newest key refused");
  });
});

describe("[002] pagination, activate and deactivate, delete", () => {
  it("pages 25 keys with Previous and Next disabled at the ends; deactivate turns into a green Activate; delete removes the row", async () => {
    const keys: string[] = [];
    for (let i = 1; i <= 25; i++) keys.push(await createKey(`bulk-${String(i).padStart(2, "0")}`));
    const page = await openKeys();
    await search(page, "bulk-");
    const summary = page.getByTestId("page-summary");
    const previous = page.getByRole("button", { name: "Previous" });
    const next = page.getByRole("button", { name: "Next" });
    await untilText(summary, "1–10 of 25 keys");
    expect(await previous.isDisabled()).toBe(true);
    expect(await next.isEnabled()).toBe(true);
    await next.click();
    await untilText(summary, "11–20 of 25 keys");
    await waitFor(() => previous.isEnabled(), 30_000, "Previous enabled");
    await next.click();
    await untilText(summary, "21–25 of 25 keys");
    await waitFor(() => next.isDisabled(), 30_000, "Next disabled");
    expect(await page.getByRole("table", { name: "API keys" }).getByRole("row").count()).toBe(1 + 5);
    await previous.click();
    await untilText(summary, "11–20 of 25 keys");
    await screenshot(page, "api-keys-page-2");

    // Newest first: bulk-25 is on page 1.
    await previous.click();
    await untilText(summary, "1–10 of 25 keys");
    const row = keyRow(page, "bulk-25");
    await row.getByRole("button", { name: "Deactivate", exact: true }).click();
    const activate = row.getByRole("button", { name: "Activate", exact: true });
    await activate.waitFor();
    const [r, g, b] = (await activate.evaluate((element) => (globalThis as any).getComputedStyle(element).backgroundColor))
      .match(/\d+/g)!
      .map(Number);
    expect(g).toBeGreaterThan(r + 40);
    expect(g).toBeGreaterThan(b + 40);
    expect(await callWith(keys[24])).toBe(401);
    await activate.click();
    await row.getByRole("button", { name: "Deactivate", exact: true }).waitFor();
    await waitFor(async () => (await callWith(keys[24])) === 200, 30_000, "the key works again");

    await rowAction(page, "bulk-25", "Delete");
    await page
      .getByRole("dialog", { name: /Delete API key bulk-25/ })
      .getByRole("button", { name: "Delete API key" })
      .click();
    await row.waitFor({ state: "detached" });
    await untilText(summary, "of 24 keys");
    expect(await callWith(keys[24])).toBe(401);
  });
});

describe("[003] search, modify, block", () => {
  it("finds one key by name, modifies its name and description, and a blocked key has a red dot", async () => {
    for (const name of ["alpha-reports", "beta-sync", "gamma-export", "delta-billing"]) await createKey(name);
    const key = await createKey("staging-api", "READONLY", "Staging backend");
    const page = await openKeys();
    await search(page, "staging");
    await untilText(page.getByTestId("page-summary"), "1–1 of 1 keys");
    await keyRow(page, "staging-api").waitFor();

    await rowAction(page, "staging-api", "Modify");
    const dialog = page.getByRole("dialog", { name: /Modify API key staging-api/ });
    await dialog.getByLabel("Name").fill("staging-api-v2");
    await dialog.getByLabel("Description").fill("Staging backend, second cluster");
    await dialog.getByRole("button", { name: "Save" }).click();
    await dialog.waitFor({ state: "detached" });
    await search(page, "staging-api-v2");
    const row = keyRow(page, "staging-api-v2");
    await untilText(row, "Staging backend, second cluster");

    // A bad name is reported at the name field.
    await rowAction(page, "staging-api-v2", "Modify");
    await dialog.getByLabel("Name").fill(" ");
    await dialog.getByRole("button", { name: "Save" }).click();
    const nameField = dialog.getByLabel("Name");
    await waitFor(async () => (await nameField.getAttribute("aria-invalid")) === "true", 30_000, "an error at the name field");
    await dialog.getByRole("button", { name: "Cancel" }).click();

    await row.getByRole("button", { name: "Deactivate", exact: true }).click();
    await waitFor(async () => (await row.getByTestId("status-dot").getAttribute("data-colour")) === "red", 30_000, "the red dot");
    expect(await callWith(key)).toBe(401);
    await screenshot(page, "api-keys-blocked");
  });
});

describe("[004] roles, last used, the shared secret", () => {
  it("shows ADMIN and READONLY, Never for an unused key and a date after a use; an ADMIN reveals and rotates the shared secret", async () => {
    await createKey("rharman_automation_rw", "ADMIN");
    const used = await createKey("tcross_ro", "READONLY");
    expect(await callWith(used)).toBe(200);
    const page = await openKeys();
    await search(page, "rharman");
    const admin = keyRow(page, "rharman_automation_rw");
    await untilText(admin, "ADMIN");
    expect(await admin.locator('[data-column="last-used"]').textContent()).toBe("Never");
    await search(page, "tcross");
    const readonly = keyRow(page, "tcross_ro");
    await untilText(readonly, "READONLY");
    // Usage is flushed within a second; a reload shows it.
    await waitFor(
      async () => {
        await page.reload();
        await page.getByLabel("Search by name").fill("tcross");
        await untilText(page.getByTestId("page-summary"), "1–1 of 1 keys");
        return /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/.test(
          (await keyRow(page, "tcross_ro").locator('[data-column="last-used"]').textContent()) ?? "",
        );
      },
      30_000,
      "a last-used date",
    );

    await page.getByRole("button", { name: "API shared secret" }).click();
    const dialog = page.getByRole("dialog", { name: "API shared secret" });
    await dialog.getByRole("button", { name: "Reveal secret" }).click();
    const secret = dialog.getByTestId("shared-secret");
    await secret.waitFor();
    const first = (await secret.textContent())!.trim();
    expect(first.length).toBeGreaterThan(20);
    await dialog.getByRole("button", { name: "Rotate secret" }).click();
    await dialog.getByRole("button", { name: "Rotate now" }).click();
    await waitFor(async () => ((await secret.textContent()) ?? first).trim() !== first, 30_000, "a new secret");
    await untilText(dialog, "previous secret works until");
    await screenshot(page, "api-keys-shared-secret");
  });

  it("gives a SUPPORT user no write action and no shared secret", async () => {
    const support = await createUser(server, UserRole.SUPPORT);
    const { page } = await newDashboardPage(browser, server);
    await signIn(page, support.email, support.password);
    await page.getByRole("table", { name: "API keys" }).getByRole("row").nth(1).waitFor();
    expect(await page.getByRole("button", { name: "Create API key" }).count()).toBe(0);
    expect(await page.getByRole("button", { name: "API shared secret" }).count()).toBe(0);
    expect(await page.getByRole("columnheader", { name: "Actions" }).count()).toBe(0);
    expect(await page.getByRole("button", { name: /Deactivate|Activate|More actions/ }).count()).toBe(0);
    await screenshot(page, "api-keys-support");
  });
});

describe("the environment switch", () => {
  it("never shows a TEST key on the LIVE page or a LIVE key on the TEST page; LIVE is marked", async () => {
    await createKey("only-in-test");
    const liveAdmin = server.client(await server.issueKey(APIKeyRole.ADMIN, Environment.LIVE));
    await liveAdmin.request(CREATE, { input: { secretKey: { name: "only-in-live" } } });
    const page = await openKeys();
    await search(page, "only-in");
    await keyRow(page, "only-in-test").waitFor();
    expect(await keyRow(page, "only-in-live").count()).toBe(0);
    expect(await page.getByTestId("test-badge").count()).toBe(1);

    await switchEnvironment(page, "Live");
    await page.getByTestId("live-badge").waitFor();
    await keyRow(page, "only-in-live").waitFor();
    expect(await keyRow(page, "only-in-test").count()).toBe(0);
    // Unmistakable: the header turns red.
    const [red, green] = (
      await page.getByRole("banner").evaluate((element) => (globalThis as any).getComputedStyle(element).backgroundColor)
    )
      .match(/\d+/g)!
      .map(Number);
    expect(red).toBeGreaterThan(120);
    expect(green).toBeLessThan(60);
    await screenshot(page, "api-keys-live");

    await switchEnvironment(page, "Test");
    await keyRow(page, "only-in-test").waitFor();
    expect(await keyRow(page, "only-in-live").count()).toBe(0);
    expect(origin(server)).toMatch(/^http:\/\/127\.0\.0\.1:/);
  });
});
