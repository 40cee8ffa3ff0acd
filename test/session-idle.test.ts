import { startTestServer, TestServer } from "./helpers/server";
import { bearerHeaders, loginAdmin, post } from "./helpers/users";

let server: TestServer;

beforeAll(async () => {
  // Configured as an operator would (not the 900 s default), so the payload shows the setting.
  server = await startTestServer({ KEYWAY_SESSION_IDLE_SECONDS: "600" });
});
afterAll(async () => {
  await server?.stop();
});

const VIEWER = "{ viewer { role } }";

/** The session id a token carries. */
function sessionId(token: string): string {
  return JSON.parse(Buffer.from(token.split(".")[1], "base64url").toString()).sid;
}

/**
 * `seconds` pass for one session only: its recorded last activity moves that far into the past. Idle expiry is
 * judged by the database clock against that stored value, so this is the whole of what waiting would do.
 */
async function idleFor(token: string, seconds: number): Promise<void> {
  await server.app.services.dataSource.query("UPDATE sessions SET last_seen_at = last_seen_at - make_interval(secs => $2) WHERE id = $1", [
    sessionId(token),
    seconds,
  ]);
}

describe("session inactivity", () => {
  it("keeps a session alive while it is used and ends it after the idle timeout with SESSION_EXPIRED", async () => {
    const token = await loginAdmin(server);
    // Three requests, each 400 s after the one before: 1200 s in all, twice the timeout, yet never 600 s idle.
    for (let i = 0; i < 3; i++) {
      await idleFor(token, 400);
      expect((await post(server, VIEWER, {}, bearerHeaders(token))).status).toBe(200);
    }
    await idleFor(token, 601);
    const expired = await post(server, VIEWER, {}, bearerHeaders(token));
    expect(expired.status).toBe(401);
    expect(expired.body.errors[0].extensions).toMatchObject({ code: "UNAUTHENTICATED", reason: "SESSION_EXPIRED" });
  });

  it("ends a session idle for the timeout, and not one idle for a little less", async () => {
    const alive = await loginAdmin(server);
    await idleFor(alive, 590);
    expect((await post(server, VIEWER, {}, bearerHeaders(alive))).status).toBe(200);
    const ended = await loginAdmin(server);
    await idleFor(ended, 600);
    expect((await post(server, VIEWER, {}, bearerHeaders(ended))).body.errors[0].extensions.reason).toBe("SESSION_EXPIRED");
  });

  it("reports the timeout in the Session payload", async () => {
    const result = await post(
      server,
      `mutation { login(input: { email: "admin@example.test", password: "correct-horse-battery" }) { ... on Session { idleTimeoutSeconds expiresAt } } }`,
    );
    expect(result.body.data.login.idleTimeoutSeconds).toBe(600);
    const absolute = Date.parse(result.body.data.login.expiresAt) - Date.now();
    expect(absolute).toBeGreaterThan(12 * 3_600_000 - 60_000);
  });
});
