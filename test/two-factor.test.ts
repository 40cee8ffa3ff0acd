import { generate } from "otplib";
import { APIKeyRole, Environment, UserRole } from "../src/entities/enums";
import { startTestServer, TestServer } from "./helpers/server";
import { bearerHeaders, createUser, LOGIN, loginAdmin, post, TestUser } from "./helpers/users";

const ERRORS = "... on UserError { errors { code errorPath description } } ... on AccessDeniedError { message }";
const ENABLE = `mutation { enableTwoFactor { __typename ... on TwoFactorSetup { secret otpauthUri } ${ERRORS} } }`;
const CONFIRM = `mutation($input: ConfirmTwoFactorInput!) { confirmTwoFactor(input: $input) { __typename
  ... on TwoFactorRecoveryCodes { recoveryCodes } ${ERRORS} } }`;
const DISABLE = `mutation($input: DisableTwoFactorInput!) { disableTwoFactor(input: $input) { __typename
  ... on User { id twoFactorEnabled } ${ERRORS} } }`;
const REQUIRE = `mutation($input: SetOrganizationTwoFactorRequirementInput!) { setOrganizationTwoFactorRequirement(input: $input) { __typename
  ... on Organization { id requireTwoFactor } ${ERRORS} } }`;
const VIEWER = `{ viewer { actor { ... on User { email twoFactorEnabled } } organization { requireTwoFactor } } }`;

const PERIOD_MS = 30_000;
/** The test clock: a time step far from the real one, 10 s into it (codes are computed for it, never waited for). */
let step = 60_000_000;
const clock = () => step * PERIOD_MS + 10_000;
/** The authenticator app at `offset` steps from the server's clock. */
const codeAt = (secret: string, offset = 0) => generate({ secret, epoch: ((step + offset) * PERIOD_MS) / 1000 });

const MAX_FAILURES_PER_EMAIL = 3;
let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({ KEYWAY_LOGIN_MAX_FAILURES_PER_EMAIL: String(MAX_FAILURES_PER_EMAIL) }, { clock });
});
afterAll(async () => {
  await server?.stop();
});

async function mutation(user: TestUser | string, query: string, input?: Record<string, unknown>) {
  const token = typeof user === "string" ? user : user.token;
  const { status, body } = await post(server, query, input ? { input } : undefined, bearerHeaders(token));
  if (status !== 200) throw new Error(JSON.stringify(body));
  expect(body.errors).toBeUndefined();
  return Object.values(body.data)[0] as any;
}

async function login(user: TestUser, code?: string) {
  const { body } = await post(server, LOGIN, {
    input: { email: user.email, password: user.password, ...(code !== undefined ? { code } : {}) },
  });
  expect(body.errors).toBeUndefined();
  return body.data.login;
}

function errorCode(payload: any): string {
  return payload.__typename === "UserError" ? payload.errors[0].code : payload.__typename;
}

/** A user with two-factor sign-in on; the clock has moved on a step, so the confirming code is behind it. */
async function enrolledUser(role = UserRole.DEVELOPER) {
  const user = await createUser(server, role);
  const setup = await mutation(user, ENABLE);
  expect(setup.__typename).toBe("TwoFactorSetup");
  const confirmed = await mutation(user, CONFIRM, { code: await codeAt(setup.secret) });
  expect(confirmed.__typename).toBe("TwoFactorRecoveryCodes");
  step++;
  return { user, secret: setup.secret as string, recoveryCodes: confirmed.recoveryCodes as string[] };
}

describe("setting up two-factor sign-in", () => {
  it("enableTwoFactor returns a base32 secret and its otpauth URI, and stores the secret encrypted", async () => {
    const user = await createUser(server, UserRole.SUPPORT);
    const setup = await mutation(user, ENABLE);
    expect(setup.__typename).toBe("TwoFactorSetup");
    expect(setup.secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(setup.otpauthUri).toBe(`otpauth://totp/Keyway:${encodeURIComponent(user.email)}?secret=${setup.secret}&issuer=Keyway`);

    const rows: Array<{ secret: string }> = await server.app.services.dataSource.query(
      "SELECT t.secret FROM two_factor_secrets t JOIN users u ON u.id = t.user_id WHERE u.email = $1",
      [user.email],
    );
    expect(rows).toHaveLength(1);
    expect(rows[0].secret).toMatch(/^v1:/);
    expect(rows[0].secret).not.toContain(setup.secret);
    // Pending until confirmed: login still needs the password only.
    expect((await login(user)).__typename).toBe("Session");
  });

  it("confirmTwoFactor refuses a wrong code, then turns two-factor on with the right one and returns ten recovery codes", async () => {
    const user = await createUser(server, UserRole.DEVELOPER);
    const setup = await mutation(user, ENABLE);
    const right = await codeAt(setup.secret);
    const wrong = right === "000000" ? "111111" : "000000";
    const refused = await mutation(user, CONFIRM, { code: wrong });
    expect(refused.errors).toEqual([expect.objectContaining({ code: "INVALID_CREDENTIALS", errorPath: ["input", "code"] })]);
    expect((await mutation(user, VIEWER)).actor.twoFactorEnabled).toBe(false);

    const confirmed = await mutation(user, CONFIRM, { code: right });
    expect(confirmed.__typename).toBe("TwoFactorRecoveryCodes");
    expect(confirmed.recoveryCodes).toHaveLength(10);
    expect(new Set(confirmed.recoveryCodes).size).toBe(10);
    for (const code of confirmed.recoveryCodes) expect(code).toMatch(/^[a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4}$/);
    expect((await mutation(user, VIEWER)).actor.twoFactorEnabled).toBe(true);
    // Shown once: only hashes are stored.
    const stored: Array<{ code_hash: Buffer }> = await server.app.services.dataSource.query(
      "SELECT c.code_hash FROM two_factor_recovery_codes c JOIN users u ON u.id = c.user_id WHERE u.email = $1",
      [user.email],
    );
    expect(stored).toHaveLength(10);
    for (const row of stored) expect(confirmed.recoveryCodes).not.toContain(row.code_hash.toString("utf8"));
    // On now: a second set-up is refused until it is disabled.
    expect(errorCode(await mutation(user, ENABLE))).toBe("INVALID_STATE");
    step++;
  });

  it("confirmTwoFactor without enableTwoFactor first is INVALID_STATE", async () => {
    const user = await createUser(server, UserRole.DEVELOPER);
    expect(errorCode(await mutation(user, CONFIRM, { code: "123456" }))).toBe("INVALID_STATE");
  });

  it("an API key has no login to protect: enableTwoFactor, confirmTwoFactor and disableTwoFactor are INVALID_STATE", async () => {
    expect(errorCode(await mutation(server.adminKey, ENABLE))).toBe("INVALID_STATE");
    expect(errorCode(await mutation(server.adminKey, CONFIRM, { code: "123456" }))).toBe("INVALID_STATE");
    expect(errorCode(await mutation(server.adminKey, DISABLE, { code: "123456" }))).toBe("INVALID_STATE");
  });
});

describe("login with two-factor sign-in on", () => {
  it("needs the code: TWO_FACTOR_REQUIRED without it, INVALID_CREDENTIALS with a wrong one, a session with the right one", async () => {
    const { user, secret } = await enrolledUser();
    const missing = await login(user);
    expect(missing.errors).toEqual([expect.objectContaining({ code: "TWO_FACTOR_REQUIRED", errorPath: ["input", "code"] })]);
    const right = await codeAt(secret);
    expect(errorCode(await login(user, right === "000000" ? "111111" : "000000"))).toBe("INVALID_CREDENTIALS");
    // The code does not rescue a wrong password.
    const wrongPassword = await post(server, LOGIN, { input: { email: user.email, password: "wrong-password", code: right } });
    expect(errorCode(wrongPassword.body.data.login)).toBe("INVALID_CREDENTIALS");
    const session = await login(user, right);
    expect(session.__typename).toBe("Session");
    expect(session.user.email).toBe(user.email);
    // The new session works.
    expect((await mutation(session.token, VIEWER)).actor.email).toBe(user.email);
  });

  it("refuses the same code twice, even within its time step", async () => {
    const { user, secret } = await enrolledUser();
    const code = await codeAt(secret);
    expect((await login(user, code)).__typename).toBe("Session");
    expect(errorCode(await login(user, code))).toBe("INVALID_CREDENTIALS");
    // The next step's code is a new one.
    step++;
    expect((await login(user, await codeAt(secret))).__typename).toBe("Session");
  });

  it("gives one session for one code however many logins race with it", async () => {
    const { user, secret } = await enrolledUser();
    const code = await codeAt(secret);
    // As many as the email's attempt limit holds at once, so that each is checked.
    const results = await Promise.all(Array.from({ length: MAX_FAILURES_PER_EMAIL }, () => login(user, code)));
    expect(results.map(errorCode).sort()).toEqual(["INVALID_CREDENTIALS", "INVALID_CREDENTIALS", "Session"]);
    step++;
  });

  it("accepts the codes of the previous and the next time step, not those two steps away", async () => {
    const { user, secret } = await enrolledUser();
    step += 3;
    expect(errorCode(await login(user, await codeAt(secret, -2)))).toBe("INVALID_CREDENTIALS");
    expect(errorCode(await login(user, await codeAt(secret, 2)))).toBe("INVALID_CREDENTIALS");
    expect((await login(user, await codeAt(secret, -1))).__typename).toBe("Session");
    expect((await login(user, await codeAt(secret, 1))).__typename).toBe("Session");
    // After the next step's code, the current one is older than the last accepted: refused.
    expect(errorCode(await login(user, await codeAt(secret, 0)))).toBe("INVALID_CREDENTIALS");
    step += 2;
  });

  it("counts wrong codes toward the login limit: after the limit even the right code is RATE_LIMITED", async () => {
    const { user, secret } = await enrolledUser();
    const right = await codeAt(secret);
    const wrong = right === "000000" ? "111111" : "000000";
    for (let i = 0; i < MAX_FAILURES_PER_EMAIL; i++) expect(errorCode(await login(user, wrong))).toBe("INVALID_CREDENTIALS");
    expect(errorCode(await login(user, right))).toBe("RATE_LIMITED");
  });

  it("does not count the password-only step that asks for the code", async () => {
    const { user, secret } = await enrolledUser();
    for (let i = 0; i < MAX_FAILURES_PER_EMAIL + 1; i++) expect(errorCode(await login(user))).toBe("TWO_FACTOR_REQUIRED");
    expect((await login(user, await codeAt(secret))).__typename).toBe("Session");
  });

  it("accepts each recovery code once, with or without dashes and in any case", async () => {
    const { user, recoveryCodes } = await enrolledUser();
    expect((await login(user, recoveryCodes[0])).__typename).toBe("Session");
    expect(errorCode(await login(user, recoveryCodes[0]))).toBe("INVALID_CREDENTIALS");
    expect((await login(user, recoveryCodes[1].replace(/-/g, "").toUpperCase())).__typename).toBe("Session");
    // Racing logins with one recovery code: one wins.
    const raced = await Promise.all(Array.from({ length: MAX_FAILURES_PER_EMAIL }, () => login(user, recoveryCodes[2])));
    expect(raced.filter((payload) => payload.__typename === "Session")).toHaveLength(1);
    // Another user's code is not this user's.
    const other = await enrolledUser();
    expect(errorCode(await login(user, other.recoveryCodes[0]))).toBe("INVALID_CREDENTIALS");
  });
});

describe("disableTwoFactor", () => {
  it("needs a valid code; afterwards login needs the password only", async () => {
    const { user, secret } = await enrolledUser();
    const right = await codeAt(secret);
    const refused = await mutation(user, DISABLE, { code: right === "000000" ? "111111" : "000000" });
    expect(refused.errors).toEqual([expect.objectContaining({ code: "INVALID_CREDENTIALS", errorPath: ["input", "code"] })]);
    const disabled = await mutation(user, DISABLE, { code: right });
    expect(disabled).toEqual({ __typename: "User", id: user.userId, twoFactorEnabled: false });
    expect((await login(user)).__typename).toBe("Session");
    expect(errorCode(await mutation(user, DISABLE, { code: right }))).toBe("INVALID_STATE");
  });

  it("accepts a recovery code (the authenticator was lost)", async () => {
    const { user, recoveryCodes } = await enrolledUser();
    expect((await mutation(user, DISABLE, { code: recoveryCodes[3] })).twoFactorEnabled).toBe(false);
  });
});

describe("bad input", () => {
  it.each([
    ["confirmTwoFactor", "12345", CONFIRM],
    ["confirmTwoFactor", "abcdef", CONFIRM],
    ["confirmTwoFactor", "abcd-efgh-ijkl", CONFIRM],
    ["disableTwoFactor", "1234567", DISABLE],
    ["disableTwoFactor", "not a code", DISABLE],
  ])("%s with code %p is INVALID_INPUT at input.code", async (_name, code, query) => {
    const user = await createUser(server, UserRole.DEVELOPER);
    const payload = await mutation(user, query, { code });
    expect(payload.errors).toEqual([expect.objectContaining({ code: "INVALID_INPUT", errorPath: ["input", "code"] })]);
  });

  it("login with a malformed code is INVALID_INPUT at input.code", async () => {
    const user = await createUser(server, UserRole.DEVELOPER);
    const payload = await login(user, "12 34 56");
    expect(payload.errors).toEqual([expect.objectContaining({ code: "INVALID_INPUT", errorPath: ["input", "code"] })]);
  });

  it("setOrganizationTwoFactorRequirement without a boolean is refused with 400 BAD_USER_INPUT, changing nothing", async () => {
    const admin = await loginAdmin(server);
    const { status, body } = await post(server, REQUIRE, { input: { required: "yes" } }, bearerHeaders(admin));
    expect(status).toBe(400);
    expect(body.errors[0].extensions.code).toBe("BAD_USER_INPUT");
    expect((await mutation(admin, VIEWER)).organization.requireTwoFactor).toBe(false);
  });
});

describe("Organization.requireTwoFactor", () => {
  const FORBIDDEN_REASON = { code: "FORBIDDEN", reason: "TWO_FACTOR_REQUIRED" };

  it("only users:write may set it: DEVELOPER, SUPPORT and a READONLY key are denied", async () => {
    for (const role of [UserRole.DEVELOPER, UserRole.SUPPORT]) {
      const user = await createUser(server, role);
      expect((await mutation(user, REQUIRE, { required: true })).__typename).toBe("AccessDeniedError");
    }
    const readonly = await server.issueKey(APIKeyRole.READONLY);
    expect((await mutation(readonly, REQUIRE, { required: true })).__typename).toBe("AccessDeniedError");
    expect((await mutation(server.adminKey, VIEWER)).organization.requireTwoFactor).toBe(false);
  });

  it("an ADMIN sets it for the whole organization; members without 2FA may then only set it up", async () => {
    const member = await createUser(server, UserRole.DEVELOPER);
    const enrolled = await enrolledUser(UserRole.SUPPORT);
    const other = await server.otherOrganization();
    const admin = await loginAdmin(server);
    try {
      const set = await mutation(admin, REQUIRE, { required: true });
      expect(set).toEqual({ __typename: "Organization", id: expect.stringMatching(/^org_/), requireTwoFactor: true });

      // The member: every operation but the set-up ones is refused as a whole.
      for (const query of ["{ organizations { id } }", `mutation { rotateSharedSecret { __typename } }`, "{ viewer { role } ping }"]) {
        const { status, body } = await post(server, query, undefined, bearerHeaders(member.token));
        expect(status).toBe(403);
        expect(body.errors[0].extensions).toMatchObject(FORBIDDEN_REASON);
        expect(body.data).toBeUndefined();
      }
      // Under viewer, fields that need a permission are refused too.
      const nested = await post(server, "{ viewer { organization { apiKeys { totalCount } } } }", undefined, bearerHeaders(member.token));
      expect(nested.body.errors[0].extensions).toMatchObject(FORBIDDEN_REASON);
      // What it may do: see who it is, set up two-factor, log out.
      expect((await mutation(member, VIEWER)).organization.requireTwoFactor).toBe(true);
      const setup = await mutation(member, ENABLE);
      expect((await mutation(member, CONFIRM, { code: await codeAt(setup.secret) })).__typename).toBe("TwoFactorRecoveryCodes");
      step++;
      // Set up: the same session may do everything again.
      expect((await mutation(member, "{ organizations { id } }")).length).toBe(1);

      // A member who has two-factor on and API keys are not limited; turning it off is refused while required.
      expect((await mutation(enrolled.user, "{ organizations { id } }")).length).toBe(1);
      expect(errorCode(await mutation(enrolled.user, DISABLE, { code: await codeAt(enrolled.secret) }))).toBe("INVALID_STATE");
      expect((await mutation(server.adminKey, "{ organizations { requireTwoFactor } }"))[0].requireTwoFactor).toBe(true);
      // Another organization is not affected (the mutation names no organization: it acts on the caller's).
      expect((await mutation(other.testKey, VIEWER)).organization.requireTwoFactor).toBe(false);
    } finally {
      // The admin's session is limited as well (no two-factor on it): an ADMIN key lifts the requirement.
      const lifted = await mutation(server.adminKey, REQUIRE, { required: false });
      expect(lifted.requireTwoFactor).toBe(false);
    }
    expect((await mutation(member, "{ organizations { id } }")).length).toBe(1);
  });

  it("a LIVE ADMIN key sets it for the organization, which TEST sees", async () => {
    const liveAdmin = await server.issueKey(APIKeyRole.ADMIN, Environment.LIVE);
    expect((await mutation(liveAdmin, REQUIRE, { required: true })).requireTwoFactor).toBe(true);
    expect((await mutation(server.adminKey, VIEWER)).organization.requireTwoFactor).toBe(true);
    expect((await mutation(liveAdmin, REQUIRE, { required: false })).requireTwoFactor).toBe(false);
  });
});
