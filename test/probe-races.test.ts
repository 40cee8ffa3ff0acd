import { randomBytes } from "node:crypto";
import { ADMIN_EMAIL, ADMIN_PASSWORD, startTestServer, TestServer } from "./helpers/server";
import { ACCEPT, INVITE, LOGIN } from "./helpers/users";

/** Concurrent requests that must not get around a rule a sequential client meets. */
const EMAIL_LIMIT = 10;
const IP_LIMIT = 20;
const BURST = 40;

let server: TestServer;
let ipCounter = 0;
const figures = { races: 0, requests: 0 };

beforeAll(async () => {
  server = await startTestServer({
    KEYWAY_LOGIN_MAX_FAILURES_PER_EMAIL: String(EMAIL_LIMIT),
    KEYWAY_LOGIN_MAX_FAILURES_PER_IP: String(IP_LIMIT),
    // Clients pose as many addresses through X-Forwarded-For from the loopback proxy.
    KEYWAY_TRUST_PROXY: "loopback",
  });
});
afterAll(async () => {
  process.stdout.write(`probe-races: ${figures.races} races, ${figures.requests} concurrent requests\n`);
  await server?.stop();
});

function newIp(): string {
  ipCounter++;
  return `198.51.100.${ipCounter}`;
}

/** Sends `count` requests at once and returns what each answered. */
async function burst<T>(count: number, send: (i: number) => Promise<T>): Promise<T[]> {
  figures.races++;
  figures.requests += count;
  return Promise.all(Array.from({ length: count }, (_, i) => send(i)));
}

async function login(email: string, password: string, ip: string): Promise<string> {
  const result = await server.post(LOGIN, { input: { email, password } }, { "x-forwarded-for": ip });
  expect(result.status).toBe(200);
  const payload = result.body.data.login;
  return payload.__typename === "Session" ? "Session" : payload.errors[0].code;
}

function tally(outcomes: string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const outcome of outcomes) counts[outcome] = (counts[outcome] ?? 0) + 1;
  return counts;
}

describe("login limits under concurrent guesses", () => {
  afterEach(async () => {
    await server.app.services.dataSource.query("DELETE FROM rate_limits");
  });

  it(`checks at most ${EMAIL_LIMIT} passwords of one email when ${BURST} wrong ones arrive at once, from as many addresses`, async () => {
    const outcomes = await burst(BURST, () => login(ADMIN_EMAIL, "wrong-password-guess", newIp()));
    expect(tally(outcomes)).toEqual({ INVALID_CREDENTIALS: EMAIL_LIMIT, RATE_LIMITED: BURST - EMAIL_LIMIT });
  });

  it(`checks at most ${IP_LIMIT} passwords from one address when ${BURST} guesses for different emails arrive at once`, async () => {
    const ip = newIp();
    const outcomes = await burst(BURST, (i) => login(`guess-${i}@example.test`, "wrong-password-guess", ip));
    expect(tally(outcomes)).toEqual({ INVALID_CREDENTIALS: IP_LIMIT, RATE_LIMITED: BURST - IP_LIMIT });
  });

  it("still counts only failures: correct passwords checked at once give their reserved attempts back", async () => {
    const ip = newIp();
    // Up to the limit at once: every attempt in flight holds a point until its password is checked.
    const outcomes = await burst(EMAIL_LIMIT, () => login(ADMIN_EMAIL, ADMIN_PASSWORD, ip));
    expect(tally(outcomes)).toEqual({ Session: EMAIL_LIMIT });
    for (let i = 0; i < IP_LIMIT; i++)
      expect(await login(`after-${i}@example.test`, "wrong-password-guess", ip)).toBe("INVALID_CREDENTIALS");
    expect(await login("after-last@example.test", "wrong-password-guess", ip)).toBe("RATE_LIMITED");
  });
});

describe("invitations under concurrent re-invitation", () => {
  const INVITES = 20;

  it(`leaves one pending invitation, whose token alone works, when one email is invited ${INVITES} times at once`, async () => {
    const email = `raced-${randomBytes(4).toString("hex")}@example.test`;
    const results = await burst(INVITES, () =>
      server.post(INVITE, { input: { email, role: "DEVELOPER" } }, { authorization: `Bearer ${server.adminKey}` }),
    );
    for (const result of results) {
      expect(result.status).toBe(200);
      expect(result.body.data.inviteUser.__typename).toBe("UserInvitation");
    }
    const listed = await server.admin.request<any>(`{ organizations { invitations(first: 100) { edges { node { email acceptedAt } } } } }`);
    const pending = listed.organizations[0].invitations.edges.filter(
      (edge: any) => edge.node.email === email && edge.node.acceptedAt === null,
    );
    expect(pending).toHaveLength(1);

    const accepted = await Promise.all(
      results.map(async (result) => {
        const answer = await server.post(
          ACCEPT,
          { input: { token: result.body.data.inviteUser.token, password: "a-long-enough-password" } },
          { "x-forwarded-for": newIp() },
        );
        const payload = answer.body.data.acceptInvitation;
        return payload.__typename === "Session" ? "Session" : payload.errors[0].code;
      }),
    );
    expect(tally(accepted)).toEqual({ Session: 1, NOT_FOUND: INVITES - 1 });
  });

  it("answers concurrent invitations of different emails without refusing any", async () => {
    const results = await burst(INVITES, (i) =>
      server.post(
        INVITE,
        { input: { email: `many-${i}-${randomBytes(3).toString("hex")}@example.test`, role: "SUPPORT" } },
        { authorization: `Bearer ${server.adminKey}` },
      ),
    );
    expect(results.map((result) => result.body.data?.inviteUser.__typename)).toEqual(Array(INVITES).fill("UserInvitation"));
  });
});
