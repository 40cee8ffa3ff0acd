import { App } from "../src/app";
import { loadConfig } from "../src/config";
import { startServer, RunningServer } from "../src/server";
import { bearer, postTo } from "./helpers/client";
import { ADMIN_EMAIL, ADMIN_PASSWORD, startTestServer, TestServer } from "./helpers/server";
import { createUser, LOGIN } from "./helpers/users";
import { UserRole } from "../src/entities/enums";

const LIMITS = {
  KEYWAY_LOGIN_MAX_FAILURES_PER_EMAIL: "3",
  KEYWAY_LOGIN_MAX_FAILURES_PER_IP: "5",
  KEYWAY_KEY_MAX_FAILURES_PER_IP: "3",
  // Tests pose as many clients through X-Forwarded-For from the loopback proxy.
  KEYWAY_TRUST_PROXY: "loopback",
};

let server: TestServer;
let ipCounter = 1;

beforeAll(async () => {
  server = await startTestServer(LIMITS);
});
afterAll(async () => {
  await server?.stop();
});

function newIp(): string {
  ipCounter++;
  return `203.0.113.${ipCounter}`;
}

async function attempt(url: string, email: string, password: string, ip: string) {
  const { body } = await postTo(url, LOGIN, { input: { email, password } }, { "x-forwarded-for": ip });
  const payload = body.data.login;
  return payload.__typename === "Session" ? "Session" : payload.errors[0].code;
}

async function withKey(key: string, ip: string) {
  const { status, headers, body } = await postTo(server.url, "{ viewer { role } }", {}, { "x-forwarded-for": ip, ...bearer(key) });
  return { status, retryAfter: headers.get("retry-after"), body: body as any };
}

describe("login attempts", () => {
  it("refuses an email with RATE_LIMITED after too many failures from any address, even with the right password", async () => {
    // A user of its own: the limit it reaches concerns no other test.
    const user = await createUser(server, UserRole.SUPPORT);
    for (let i = 0; i < 3; i++) expect(await attempt(server.url, user.email, "wrong-password", newIp())).toBe("INVALID_CREDENTIALS");
    expect(await attempt(server.url, user.email, user.password, newIp())).toBe("RATE_LIMITED");
    // Another email is not affected.
    expect(await attempt(server.url, ADMIN_EMAIL, ADMIN_PASSWORD, newIp())).toBe("Session");
  });

  it("refuses an address with RATE_LIMITED after too many failures for any emails", async () => {
    const ip = newIp();
    for (let i = 0; i < 5; i++)
      expect(await attempt(server.url, `guess-${i}@example.test`, "wrong-password", ip)).toBe("INVALID_CREDENTIALS");
    expect(await attempt(server.url, ADMIN_EMAIL, ADMIN_PASSWORD, ip)).toBe("RATE_LIMITED");
    expect(await attempt(server.url, ADMIN_EMAIL, ADMIN_PASSWORD, newIp())).toBe("Session");
  });

  it("counts failed attempts only: a successful login resets the email's count", async () => {
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 2; i++) expect(await attempt(server.url, ADMIN_EMAIL, "wrong-password", newIp())).toBe("INVALID_CREDENTIALS");
      expect(await attempt(server.url, ADMIN_EMAIL, ADMIN_PASSWORD, newIp())).toBe("Session");
    }
  });

  it("shares counts between processes on one database", async () => {
    const second = await App.open(
      loadConfig({ NODE_ENV: "test", DATABASE_URL: server.app.databaseUrl, KEYWAY_BCRYPT_COST: "4", ...LIMITS }),
    );
    let running: RunningServer | null = null;
    try {
      running = await startServer(second, 0, "127.0.0.1");
      const email = "shared-count@example.test";
      expect(await attempt(server.url, email, "wrong-password", newIp())).toBe("INVALID_CREDENTIALS");
      expect(await attempt(running.url, email, "wrong-password", newIp())).toBe("INVALID_CREDENTIALS");
      expect(await attempt(server.url, email, "wrong-password", newIp())).toBe("INVALID_CREDENTIALS");
      expect(await attempt(running.url, email, "wrong-password", newIp())).toBe("RATE_LIMITED");
    } finally {
      await running?.stop();
      await second.close();
    }
  });
});

describe("API key attempts", () => {
  const unknownKey = (n: number) => `kw_test_${"A".repeat(29)}${n}000000`;

  it("answers 429 RATE_LIMITED to an address after too many unrecognized keys, and refuses its valid keys until the window ends", async () => {
    const ip = newIp();
    // Successful requests do not count.
    for (let i = 0; i < 5; i++) expect((await withKey(server.adminKey, ip)).status).toBe(200);
    for (let i = 0; i < 3; i++) expect((await withKey(unknownKey(i), ip)).status).toBe(401);
    const limited = await withKey(unknownKey(9), ip);
    expect(limited.status).toBe(429);
    expect(limited.body.errors[0].extensions.code).toBe("RATE_LIMITED");
    expect(Number(limited.retryAfter)).toBeGreaterThan(0);
    expect((await withKey(server.adminKey, ip)).status).toBe(429);
    // Other addresses are not affected.
    expect((await withKey(server.adminKey, newIp())).status).toBe(200);
  });

  it("does not count a known key refused with a reason (revoked, expired…)", async () => {
    const ip = newIp();
    const { createSecretAPIKey } = await server.admin.request<any>(
      `mutation { createSecretAPIKey(input: { secretKey: { name: "to-revoke" } }) { ... on APIKey { id key } } }`,
    );
    await server.admin.request(`mutation($id: ID!) { revokeAPIKey(input: { apiKeyId: $id }) { __typename } }`, {
      id: createSecretAPIKey.id,
    });
    for (let i = 0; i < 5; i++) {
      const refused = await withKey(createSecretAPIKey.key, ip);
      expect(refused.status).toBe(401);
      expect(refused.body.errors[0].extensions.reason).toBe("REVOKED");
    }
    expect((await withKey(server.adminKey, ip)).status).toBe(200);
  });
});
