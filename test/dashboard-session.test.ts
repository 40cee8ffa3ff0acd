import type { Browser } from "playwright-core";
import { launchBrowser, newDashboardPage, screenshot, signIn, untilText } from "./helpers/dashboard";
import { startTestServer, TestServer } from "./helpers/server";

// [000] "sessions time out after 15 minutes of inactivity": shortened by config to 2 s.

let server: TestServer;
let browser: Browser;

beforeAll(async () => {
  server = await startTestServer({ KEYWAY_SESSION_IDLE_SECONDS: "2" });
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

describe("the dashboard session", () => {
  it("keeps the token away from JavaScript and returns to sign-in saying the session timed out after the idle timeout", async () => {
    const { context, page } = await newDashboardPage(browser, server);
    await signIn(page);
    const [cookie] = await context.cookies();
    expect(cookie).toMatchObject({ name: "keyway_session", httpOnly: true, sameSite: "Strict", path: "/graphql" });
    expect(await page.evaluate(() => (globalThis as any).document.cookie)).toBe("");
    expect(
      await page.evaluate(() => JSON.stringify({ ...(globalThis as any).sessionStorage, ...(globalThis as any).localStorage })),
    ).not.toContain(cookie.value);

    // Nobody touches the page: after 2 s Keyway has ended the session and the page says so.
    const notice = page.getByTestId("signed-out-reason");
    await notice.waitFor({ timeout: 15_000 });
    await untilText(notice, "Your session timed out");
    expect(new URL(page.url()).pathname).toBe("/dashboard/sign-in");
    // The 401 cleared the cookie.
    expect(await context.cookies()).toEqual([]);
    await screenshot(page, "sign-in-timed-out");

    // Signing in again works and brings the key page back.
    await signIn(page);
  });

  it("signs out: the cookie is cleared and the pages ask for a sign-in", async () => {
    const { context, page } = await newDashboardPage(browser, server);
    await signIn(page);
    await page.getByRole("button", { name: "Sign out" }).click();
    await untilText(page.getByTestId("signed-out-reason"), "You have signed out");
    expect(await context.cookies()).toEqual([]);
    await page.goto("/dashboard/settings/team");
    await page.getByRole("button", { name: "Sign in" }).waitFor();
    expect(new URL(page.url()).pathname).toBe("/dashboard/sign-in");
  });

  it("shows a refused sign-in at the form", async () => {
    const { page } = await newDashboardPage(browser, server);
    await page.goto("/dashboard/sign-in");
    await page.getByLabel("Email").fill("admin@example.test");
    await page.getByLabel("Password").fill("not-the-password");
    await page.getByRole("button", { name: "Sign in" }).click();
    await untilText(page.getByRole("alert"), "INVALID_CREDENTIALS");
    await screenshot(page, "sign-in-refused");
  });
});
