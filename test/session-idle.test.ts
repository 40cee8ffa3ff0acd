import { startTestServer, TestServer } from "./helpers/server";
import { bearerHeaders, loginAdmin, post } from "./helpers/users";

let server: TestServer;

beforeAll(async () => {
  // Shortened through config, as an operator would: no waiting for 15 minutes.
  server = await startTestServer({ KEYWAY_SESSION_IDLE_SECONDS: "2" });
});
afterAll(async () => {
  await server?.stop();
});

const VIEWER = "{ viewer { role } }";
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("session inactivity", () => {
  it("keeps a session alive while it is used and ends it after the idle timeout with SESSION_EXPIRED", async () => {
    const token = await loginAdmin(server);
    const login = await post(server, `{ viewer { role } }`, {}, bearerHeaders(token));
    expect(login.status).toBe(200);
    // Four requests 700 ms apart span longer than the 2 s timeout: activity keeps the session.
    for (let i = 0; i < 4; i++) {
      await sleep(700);
      expect((await post(server, VIEWER, {}, bearerHeaders(token))).status).toBe(200);
    }
    await sleep(2300);
    const expired = await post(server, VIEWER, {}, bearerHeaders(token));
    expect(expired.status).toBe(401);
    expect(expired.body.errors[0].extensions).toMatchObject({ code: "UNAUTHENTICATED", reason: "SESSION_EXPIRED" });
  });

  it("reports the timeout in the Session payload", async () => {
    const result = await post(server, `mutation { login(input: { email: "admin@example.test", password: "correct-horse-battery" }) { ... on Session { idleTimeoutSeconds expiresAt } } }`);
    expect(result.body.data.login.idleTimeoutSeconds).toBe(2);
    const absolute = Date.parse(result.body.data.login.expiresAt) - Date.now();
    expect(absolute).toBeGreaterThan(12 * 3_600_000 - 60_000);
  });
});
