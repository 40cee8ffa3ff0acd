import AxeBuilder from "@axe-core/playwright";
import { existsSync, mkdirSync } from "node:fs";
import path from "node:path";
import { Browser, BrowserContext, chromium, Locator, Page } from "playwright-core";
import { ADMIN_EMAIL, ADMIN_PASSWORD, startTestServer, TestServer } from "./server";
import { waitFor } from "./wait";

// Debian's Chromium, as the playground test uses it; CI installs it (.ci/run). Missing, the test fails.
const CHROMIUM = "/usr/bin/chromium";
export const ARTIFACTS = path.join(__dirname, "..", "artifacts");

export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium`);
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
    ],
  });
}

export function origin(server: TestServer): string {
  return new URL(server.url).origin;
}

/** A fresh browser profile (its own cookies) on the dashboard, failing the test on any page error or foreign request. */
export async function newDashboardPage(browser: Browser, server: TestServer): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 }, baseURL: origin(server) });
  await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: origin(server) });
  const page = await context.newPage();
  page.on("pageerror", (error) => {
    throw new Error(`page error: ${error.message}`);
  });
  page.on("request", (request) => {
    const url = request.url();
    if (!url.startsWith(origin(server)) && !url.startsWith("data:")) throw new Error(`the dashboard requested another host: ${url}`);
  });
  return { context, page };
}

/** Signs in through the sign-in page as a user does and waits for the key table. */
export async function signIn(page: Page, email = ADMIN_EMAIL, password = ADMIN_PASSWORD): Promise<void> {
  await page.goto("/dashboard/sign-in");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("heading", { name: "API keys" }).waitFor();
}

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: path.join(ARTIFACTS, `dashboard-${name}.png`), fullPage: true });
}

/** The key table's row of the key named `name` (exact). */
export function keyRow(page: Page, name: string) {
  return page
    .getByRole("table", { name: "API keys" })
    .getByRole("row")
    .filter({ has: page.getByText(name, { exact: true }) });
}

/** Opens a row's "More…" menu and picks an item. */
export async function rowAction(page: Page, name: string, item: string): Promise<void> {
  await keyRow(page, name)
    .getByRole("button", { name: `More actions for ${name}` })
    .click();
  await page.getByRole("menuitem", { name: item }).click();
}

/** Switches the header's environment switch. */
export async function switchEnvironment(page: Page, environment: "Test" | "Live"): Promise<void> {
  await page.getByRole("banner").getByText(environment, { exact: true }).click();
  await waitFor(
    async () => (await page.getByRole("banner").getAttribute("data-environment")) === environment.toUpperCase(),
    30_000,
    `the ${environment} environment`,
  );
}

/** Waits until the locator's text contains `text`. */
export async function untilText(locator: Locator, text: string | RegExp): Promise<void> {
  await waitFor(
    async () => {
      const content = (await locator.textContent()) ?? "";
      return typeof text === "string" ? content.includes(text) : text.test(content);
    },
    30_000,
    `text ${text}`,
  );
}

/** A Keyway and a Chromium for the tests of one file: started before them, stopped after them. */
export function dashboardFixture(): { readonly server: TestServer; readonly browser: Browser } {
  const fixture = {} as { server: TestServer; browser: Browser };
  beforeAll(async () => {
    fixture.server = await startTestServer();
    fixture.browser = await launchBrowser();
  });
  afterAll(async () => {
    await fixture.browser?.close();
    await fixture.server?.stop();
  });
  return fixture;
}

/**
 * Resolves once no animation or CSS transition has run for three frames in a row (a transition
 * starts a frame after its element mounts). A dialog fades in: checked mid-fade, its text is partly
 * transparent and fails a colour-contrast check it passes once shown.
 */
async function animationsSettled(page: Page): Promise<void> {
  await page.evaluate(
    () =>
      new Promise<void>((resolve, reject) => {
        let quiet = 0;
        const deadline = performance.now() + 5000;
        const tick = () => {
          const running = document.getAnimations().some((animation) => animation.playState === "running" || animation.pending);
          quiet = running ? 0 : quiet + 1;
          if (quiet >= 3) resolve();
          else if (performance.now() > deadline) reject(new Error("animations still running after 5 s"));
          else requestAnimationFrame(tick);
        };
        requestAnimationFrame(tick);
      }),
  );
}

/** What axe finds on the page that is serious or critical, once its animations have settled. */
export async function seriousViolations(page: Page): Promise<Array<{ id: string; impact: string | null | undefined; nodes: string[] }>> {
  await animationsSettled(page);
  const results = await new AxeBuilder({ page }).analyze();
  return results.violations
    .filter((violation) => violation.impact === "serious" || violation.impact === "critical")
    .map((violation) => ({ id: violation.id, impact: violation.impact, nodes: violation.nodes.map((node) => node.target.join(" ")) }));
}
