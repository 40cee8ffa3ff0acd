import type { Page } from "playwright-core";
import { UserRole } from "../src/entities/enums";
import { dashboardFixture, keyRow, newDashboardPage, screenshot, seriousViolations, signIn, untilText } from "./helpers/dashboard";
import { createUser } from "./helpers/users";
import { waitFor } from "./helpers/wait";

// The key controls in a real browser against a real Keyway: RESTRICTED keys with chosen permissions,
// allowed IPs, rate limit, metadata and the daily usage charts.

const fixture = dashboardFixture();

const KEY_BY_NAME = `query($search: String) { organizations { apiKeys(first: 5, filterBy: { search: $search }) { edges { node {
  id name role permissions allowedIps rateLimit { limit windowSeconds } metadata usageCount } } } } }`;

async function keyNamed(name: string): Promise<any> {
  const result = await fixture.server.admin.request<any>(KEY_BY_NAME, { search: name });
  const node = result.organizations[0].apiKeys.edges.map((edge: any) => edge.node).find((key: any) => key.name === name);
  if (!node) throw new Error(`no key named ${name}`);
  return node;
}

async function createKey(name: string): Promise<{ id: string; key: string }> {
  const result = await fixture.server.admin.request<any>(
    `mutation($input: CreateSecretAPIKeyInput!) { createSecretAPIKey(input: $input) { __typename ... on APIKey { id key } } }`,
    { input: { secretKey: { name } } },
  );
  return result.createSecretAPIKey;
}

async function openKeys(email?: string, password?: string): Promise<Page> {
  const { page } = await newDashboardPage(fixture.browser, fixture.server);
  await signIn(page, email, password);
  return page;
}

async function openKeyPage(page: Page, name: string): Promise<void> {
  await page.getByLabel("Search by name").fill(name);
  await keyRow(page, name).getByRole("link", { name, exact: true }).click();
  await page.getByRole("heading", { name, exact: true }).waitFor();
}

describe("RESTRICTED keys", () => {
  it("creates a key holding exactly the two permissions ticked, grouped by resource", async () => {
    const page = await openKeys();
    await page.getByRole("button", { name: "Create API key" }).click();
    const dialog = page.getByRole("dialog", { name: "Create API key" });
    await dialog.getByLabel("Name").fill("events-reader");
    await dialog.getByLabel("Role").selectOption("RESTRICTED");
    const picker = dialog.getByTestId("permission-picker");
    await picker.waitFor();
    for (const group of [
      "API keys",
      "Team",
      "Webhook targets",
      "Events",
      "Collaborative authorization",
      "API shared secret",
      "Audit log",
    ]) {
      expect(await picker.getByRole("group", { name: group }).count()).toBe(1);
    }
    // An ADMIN user holds every permission, so every one is offered.
    expect(await picker.getByRole("checkbox").count()).toBe(14);
    await picker.getByRole("group", { name: "API keys" }).getByLabel("keys:read").check();
    await picker.getByRole("group", { name: "Events" }).getByLabel("events:read").check();
    expect(await seriousViolations(page)).toEqual([]);
    await screenshot(page, "key-controls-restricted-create");
    await dialog.getByRole("button", { name: "Create API key" }).click();
    await page.getByTestId("revealed-key").waitFor();
    await page.getByRole("button", { name: "I've copied my key" }).click();

    const key = await keyNamed("events-reader");
    expect({ role: key.role, permissions: key.permissions }).toEqual({ role: "RESTRICTED", permissions: ["keys:read", "events:read"] });
    await untilText(keyRow(page, "events-reader"), "RESTRICTED");
  });

  it("refuses a RESTRICTED key without permissions, saying so at the picker", async () => {
    const page = await openKeys();
    await page.getByRole("button", { name: "Create API key" }).click();
    const dialog = page.getByRole("dialog", { name: "Create API key" });
    await dialog.getByLabel("Name").fill("nothing-ticked");
    await dialog.getByLabel("Role").selectOption("RESTRICTED");
    await dialog.getByRole("button", { name: "Create API key" }).click();
    await untilText(dialog.getByTestId("permission-picker").getByRole("alert"), "INVALID_INPUT");
    await expect(keyNamed("nothing-ticked")).rejects.toThrow("no key named");
  });

  it("offers a DEVELOPER only the permissions a DEVELOPER holds", async () => {
    const developer = await createUser(fixture.server, UserRole.DEVELOPER);
    const page = await openKeys(developer.email, developer.password);
    await page.getByRole("button", { name: "Create API key" }).click();
    const dialog = page.getByRole("dialog", { name: "Create API key" });
    await dialog.getByLabel("Role").selectOption("RESTRICTED");
    const picker = dialog.getByTestId("permission-picker");
    await picker.waitFor();
    expect(await picker.getByRole("checkbox").count()).toBe(11);
    for (const withheld of ["users:write", "secret:read", "secret:write"]) expect(await picker.getByLabel(withheld).count()).toBe(0);
    expect(await picker.getByRole("group", { name: "API shared secret" }).count()).toBe(0);
    expect(await picker.getByLabel("keys:write").count()).toBe(1);
  });
});

describe("a key's page: allowed IPs, rate limit, metadata", () => {
  it("shows a refused address at its line, then saves the controls the API returns", async () => {
    await createKey("crm-integration");
    const page = await openKeys();
    await openKeyPage(page, "crm-integration");
    const form = page.getByRole("form", { name: "Key controls" });

    await form.getByLabel("Allowed IP addresses").fill("10.0.0.0/8\nnot-an-address\n2001:db8::/32");
    await form.getByRole("button", { name: "Save controls" }).click();
    await untilText(form, "Line 2 (not-an-address)");
    expect((await keyNamed("crm-integration")).allowedIps).toEqual([]);

    await form.getByLabel("Allowed IP addresses").fill("10.0.0.0/8\n203.0.113.7\n2001:db8::/32");
    await form.getByLabel("Rate limit: requests").fill("100");
    await form.getByLabel("per seconds").fill("60");
    await form.getByLabel("Metadata (JSON)").fill('{ "team": "payments", ');
    await untilText(form, "Not valid JSON");
    await form.getByRole("button", { name: "Save controls" }).click();
    expect((await keyNamed("crm-integration")).metadata).toBeNull();
    await form.getByLabel("Metadata (JSON)").fill("[1, 2]");
    await untilText(form, "Metadata is a JSON object");
    await form.getByLabel("Metadata (JSON)").fill('{ "team": "payments", "ticket": 42, "tags": ["crm", "eu"] }');
    expect(await seriousViolations(page)).toEqual([]);
    await form.getByRole("button", { name: "Save controls" }).click();
    await untilText(page.getByTestId("rate-limit"), "100 per 60 s");
    await page.evaluate(() => globalThis.scrollTo(0, 0));
    await screenshot(page, "key-controls-page");

    const saved = await keyNamed("crm-integration");
    expect({ allowedIps: saved.allowedIps, rateLimit: saved.rateLimit, metadata: saved.metadata }).toEqual({
      allowedIps: ["10.0.0.0/8", "203.0.113.7", "2001:db8::/32"],
      rateLimit: { limit: 100, windowSeconds: 60 },
      metadata: { team: "payments", ticket: 42, tags: ["crm", "eu"] },
    });

    // A limit the server refuses is shown at its field; then the limit is cleared.
    await form.getByLabel("per seconds").fill("100000");
    await form.getByRole("button", { name: "Save controls" }).click();
    await waitFor(async () => (await form.getByLabel("per seconds").getAttribute("aria-invalid")) === "true", 30_000, "the window error");
    await form.getByRole("button", { name: "Remove limit" }).click();
    await form.getByLabel("Allowed IP addresses").fill("");
    await form.getByRole("button", { name: "Save controls" }).click();
    await untilText(page.getByTestId("rate-limit"), "No limit");
    const cleared = await keyNamed("crm-integration");
    expect({ allowedIps: cleared.allowedIps, rateLimit: cleared.rateLimit, metadata: cleared.metadata }).toEqual({
      allowedIps: [],
      rateLimit: null,
      metadata: { team: "payments", ticket: 42, tags: ["crm", "eu"] },
    });
  });
});

describe("daily usage", () => {
  it("draws the key's requests: a small chart in the table, a larger one with labelled days on its page", async () => {
    const { key } = await createKey("busy-integration");
    for (let i = 0; i < 7; i++) {
      const response = await fetch(fixture.server.url, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
        body: JSON.stringify({ query: "{ viewer { role } }" }),
      });
      expect(response.status).toBe(200);
    }
    await waitFor(async () => ((await keyNamed("busy-integration")).usageCount === 7 ? true : undefined), 10_000, "the usage flush");

    const page = await openKeys();
    await page.getByLabel("Search by name").fill("busy-integration");
    const sparkline = keyRow(page, "busy-integration").getByTestId("usage-sparkline");
    await waitFor(async () => (await sparkline.getAttribute("data-total")) === "7", 30_000, "the sparkline's total");
    expect(await sparkline.getAttribute("role")).toBe("img");
    expect(await sparkline.getAttribute("aria-label")).toMatch(/over the last 14 days: 7 in total, at most 7 on \d{4}-\d\d-\d\d/);
    expect(await sparkline.locator("rect").count()).toBe(14);
    await screenshot(page, "key-controls-usage-table");

    await openKeyPage(page, "busy-integration");
    const chart = page.getByTestId("usage-chart");
    await waitFor(async () => (await chart.getAttribute("data-total")) === "7", 30_000, "the chart's total");
    expect(await chart.locator("rect").count()).toBe(30);
    const today = new Date().toISOString().slice(0, 10);
    const bar = chart.locator(`rect[data-date="${today}"]`);
    expect(await bar.getAttribute("data-count")).toBe("7");
    expect(await bar.locator("title").textContent()).toBe(`${today}: 7 requests`);
    expect(await chart.getAttribute("aria-label")).toContain("over the last 30 days: 7 in total");
    // Axis labels: the top of the scale and some days.
    expect(await chart.locator("text").count()).toBeGreaterThan(4);
    expect(await seriousViolations(page)).toEqual([]);
    await screenshot(page, "key-controls-usage-chart");
  });
});
