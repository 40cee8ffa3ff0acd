import { generate } from "otplib";
import type { Page } from "playwright-core";
import { UserRole } from "../src/entities/enums";
import { dashboardFixture, newDashboardPage, screenshot, seriousViolations, untilText } from "./helpers/dashboard";
import { waitFor } from "./helpers/wait";
import { bearer } from "./helpers/server";
import { createUser, LOGIN, TestUser } from "./helpers/users";

// Two-factor sign-in in a real browser against a real Keyway: set-up with the QR code, recovery
// codes, sign-in with a code and with a recovery code, turning it off, and the organization's requirement.

const fixture = dashboardFixture();

/** A code of the authenticator `steps` time steps from now (a code once used is refused again in its step). */
function codeFor(secret: string, steps = 0): Promise<string> {
  return generate({ secret, epoch: Math.floor(Date.now() / 1000) + steps * 30 });
}

async function apiLogin(user: TestUser, code?: string): Promise<any> {
  const result = await fixture.server.post(LOGIN, { input: { email: user.email, password: user.password, ...(code ? { code } : {}) } });
  return result.body.data.login;
}

/** Email and password on the sign-in page; with `code`, the second step too. */
async function signInWith(page: Page, user: TestUser, code?: string): Promise<void> {
  await page.goto("/dashboard/sign-in");
  await page.getByLabel("Email").fill(user.email);
  await page.getByLabel("Password").fill(user.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  if (code === undefined) return;
  await page.getByTestId("two-factor-step").waitFor();
  await page.getByLabel("Authentication code").fill(code);
  await page.getByRole("button", { name: "Sign in" }).click();
}

async function signOut(page: Page): Promise<void> {
  await page.getByRole("button", { name: "Sign out" }).click();
  await page.getByRole("heading", { name: "Sign in" }).waitFor();
}

/** Turns two-factor sign-in on through the API; returns the secret. */
async function enableThroughApi(user: TestUser): Promise<string> {
  const enabled = await fixture.server.post(`mutation { enableTwoFactor { ... on TwoFactorSetup { secret } } }`, {}, bearer(user.token));
  const secret = enabled.body.data.enableTwoFactor.secret as string;
  const confirmed = await fixture.server.post(
    `mutation($input: ConfirmTwoFactorInput!) { confirmTwoFactor(input: $input) { __typename } }`,
    { input: { code: await codeFor(secret) } },
    bearer(user.token),
  );
  expect(confirmed.body.data.confirmTwoFactor.__typename).toBe("TwoFactorRecoveryCodes");
  return secret;
}

describe("two-factor sign-in", () => {
  it("sets up with the QR code, shows ten recovery codes once, then signs in with a code and with a recovery code", async () => {
    const user = await createUser(fixture.server, UserRole.ADMIN);
    const { page } = await newDashboardPage(fixture.browser, fixture.server);
    await signInWith(page, user);
    await page.getByRole("heading", { name: "API keys" }).waitFor();
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Security" }).click();
    await page.getByRole("heading", { name: "Security" }).waitFor();
    await untilText(page.getByTestId("two-factor-status"), "Off");

    await page.getByRole("button", { name: "Set up two-factor sign-in" }).click();
    const qr = page.getByRole("img", { name: /QR code/ });
    await qr.waitFor();
    expect((await qr.locator("path").getAttribute("d"))!.length).toBeGreaterThan(1000);
    const secret = (await page.getByTestId("two-factor-secret").getAttribute("data-secret"))!;
    expect(secret).toMatch(/^[A-Z2-7]{16,}$/);
    expect((await page.getByTestId("two-factor-secret").textContent())!.replace(/\s/g, "")).toBe(secret);
    expect(await seriousViolations(page)).toEqual([]);
    await screenshot(page, "two-factor-setup");

    // A wrong code is refused at the field; the right one turns it on.
    const wrong = (await codeFor(secret)) === "000000" ? "111111" : "000000";
    await page.getByLabel("Code from your authenticator app").fill(wrong);
    await page.getByRole("button", { name: "Confirm and turn on" }).click();
    await waitFor(
      async () => (await page.getByLabel("Code from your authenticator app").getAttribute("aria-invalid")) === "true",
      30_000,
      "the refused code",
    );
    await page.getByLabel("Code from your authenticator app").fill(await codeFor(secret));
    await page.getByRole("button", { name: "Confirm and turn on" }).click();
    const list = page.getByRole("list", { name: "Recovery codes" });
    await list.waitFor();
    const codes = (await list.getByRole("listitem").allTextContents()).map((code) => code.trim());
    expect(codes).toHaveLength(10);
    expect(new Set(codes).size).toBe(10);
    await page.getByRole("button", { name: "Copy codes" }).click();
    expect(await page.evaluate(() => (globalThis as any).navigator.clipboard.readText())).toBe(codes.join("\n"));
    const download = await page.getByRole("link", { name: "Download as a text file" }).getAttribute("href");
    expect(decodeURIComponent(download!.replace(/^data:text\/plain;charset=utf-8,/, ""))).toContain(codes.join("\n"));
    expect(await seriousViolations(page)).toEqual([]);
    await screenshot(page, "two-factor-recovery-codes");
    await page.getByRole("button", { name: "I've saved them" }).click();
    await page.getByLabel("Code to turn it off").waitFor();
    await untilText(page.getByTestId("two-factor-status"), "On");
    expect(await list.count()).toBe(0);
    expect((await apiLogin(user)).errors.map((e: any) => e.code)).toEqual(["TWO_FACTOR_REQUIRED"]);

    // Sign in with the authenticator (the next step's code: the one just used is spent).
    await signOut(page);
    await signInWith(page, user, await codeFor(secret, 1));
    await page.getByRole("heading", { name: "API keys" }).waitFor();

    // With a recovery code, once.
    await signOut(page);
    await signInWith(page, user, codes[0]);
    await page.getByRole("heading", { name: "API keys" }).waitFor();
    await signOut(page);
    await signInWith(page, user, codes[0]);
    await untilText(page.locator("form"), "INVALID_CREDENTIALS");
    expect(await page.getByLabel("Authentication code").getAttribute("aria-invalid")).toBe("true");
    await screenshot(page, "two-factor-sign-in-refused");
    expect(await seriousViolations(page)).toEqual([]);

    // Turning it off takes a code too.
    await signInWith(page, user, codes[1]);
    await page.getByRole("heading", { name: "API keys" }).waitFor();
    await page.goto("/dashboard/settings/security");
    await untilText(page.getByTestId("two-factor-status"), "On");
    await page.getByLabel("Code to turn it off").fill(codes[2]);
    await page.getByRole("button", { name: "Turn off two-factor sign-in" }).click();
    await untilText(page.getByTestId("two-factor-status"), "Off");
    expect((await apiLogin(user)).__typename).toBe("Session");
  });
});

describe("the organization's two-factor requirement", () => {
  it("is switched in team settings by users:write; a member without it can then only set it up", async () => {
    const admin = await createUser(fixture.server, UserRole.ADMIN);
    const adminSecret = await enableThroughApi(admin);
    const developer = await createUser(fixture.server, UserRole.DEVELOPER);

    const { page } = await newDashboardPage(fixture.browser, fixture.server);
    await signInWith(page, admin, await codeFor(adminSecret, 1));
    await page.getByRole("heading", { name: "API keys" }).waitFor();
    await page.goto("/dashboard/settings/team");
    const requirement = page.getByRole("switch", { name: "Require two-factor sign-in" });
    const requirementLabel = page.getByTestId("two-factor-requirement").getByText("Require two-factor sign-in");
    await requirementLabel.waitFor();
    expect(await requirement.isChecked()).toBe(false);
    await requirementLabel.click();
    await waitFor(async () => await requirement.isChecked(), 30_000, "the requirement on");
    await untilText(page.getByTestId("two-factor-requirement"), "not set it up yet");
    const organization = await fixture.server.admin.request<any>(`{ organizations { requireTwoFactor } }`);
    expect(organization.organizations[0].requireTwoFactor).toBe(true);
    // Once the confirmation has faded out (axe would catch it mid-transition).
    await page.getByText("Two-factor sign-in is now required.").waitFor({ state: "detached" });
    expect(await seriousViolations(page)).toEqual([]);
    await screenshot(page, "two-factor-team-requirement");

    // The member without two-factor sign-in: only the set-up, wherever they go.
    const member = (await newDashboardPage(fixture.browser, fixture.server)).page;
    await signInWith(member, developer);
    await member.getByTestId("two-factor-required").waitFor();
    expect(member.url()).toMatch(/\/dashboard\/settings\/security$/);
    const nav = member.getByRole("navigation", { name: "Main" });
    expect(await nav.getByRole("link").allTextContents()).toEqual(["Security"]);
    await member.goto("/dashboard/developers/api-keys");
    await member.getByTestId("two-factor-required").waitFor();
    expect(member.url()).toMatch(/\/dashboard\/settings\/security$/);
    expect(await seriousViolations(member)).toEqual([]);
    await screenshot(member, "two-factor-required");

    await member.getByRole("button", { name: "Set up two-factor sign-in" }).click();
    const secret = (await member.getByTestId("two-factor-secret").getAttribute("data-secret"))!;
    await member.getByLabel("Code from your authenticator app").fill(await codeFor(secret));
    await member.getByRole("button", { name: "Confirm and turn on" }).click();
    await member.getByRole("list", { name: "Recovery codes" }).waitFor();
    await member.getByRole("button", { name: "I've saved them" }).click();
    await member.getByRole("heading", { name: "API keys" }).waitFor();
    expect(await nav.getByRole("link", { name: "Webhooks" }).count()).toBe(1);

    // A DEVELOPER sees the requirement but cannot change it; required, it cannot be turned off.
    await member.goto("/dashboard/settings/team");
    const shown = member.getByRole("switch", { name: "Require two-factor sign-in" });
    await shown.waitFor({ state: "attached" });
    expect([await shown.isChecked(), await shown.isDisabled()]).toEqual([true, true]);
    await member.goto("/dashboard/settings/security");
    await untilText(member.getByTestId("two-factor-status"), "On");
    expect(await member.getByRole("button", { name: "Turn off two-factor sign-in" }).count()).toBe(0);

    await requirementLabel.click();
    await waitFor(async () => !(await requirement.isChecked()), 30_000, "the requirement off");
    const after = await fixture.server.admin.request<any>(`{ organizations { requireTwoFactor } }`);
    expect(after.organizations[0].requireTwoFactor).toBe(false);
  });
});
