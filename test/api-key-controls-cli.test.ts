import { runKeyway, serveKeyway } from "./helpers/cli";
import { windowSecondsWithTimeLeft } from "./helpers/api-key-controls";
import { createDatabase } from "./helpers/server";

/** `keyway key create` with a key's own controls (permissions, allowed IPs, rate limit, metadata), run as an operator would, against a server that honours them. */

let database: { url: string; drop: () => Promise<void> };
let orgId: string;

function keyway(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return runKeyway(args, {
    PATH: process.env.PATH,
    NODE_ENV: "test",
    DATABASE_URL: database.url,
    KEYWAY_BCRYPT_COST: "4",
    LOG_LEVEL: "silent",
    ...env,
  });
}

async function createKey(...options: string[]): Promise<string> {
  const result = await keyway([
    "key",
    "create",
    "--org",
    orgId,
    "--env",
    "test",
    "--name",
    `cli ${Math.random().toString(36).slice(2, 8)}`,
    ...options,
  ]);
  if (result.code !== 0) throw new Error(result.stderr);
  expect(result.stdout).toMatch(/^kw_test_[0-9A-Za-z]{36}\n$/);
  return result.stdout.trim();
}

beforeAll(async () => {
  database = await createDatabase(process.env.KEYWAY_TEST_ADMIN_URL);
  expect((await keyway(["migrate"])).code).toBe(0);
  orgId = (await keyway(["org", "create", "--name", "CLI Controls", "--plan", "PAID"])).stdout.split("\t")[0];
});
afterAll(async () => {
  await database?.drop();
});

it("creates restricted, allowlisted, rate-limited keys with metadata that the server enforces", async () => {
  const fenced = await createKey(
    "--role",
    "restricted",
    "--permission",
    "keys:read",
    "--permission",
    "events:read",
    "--allow-ip",
    "10.0.0.0/8",
  );
  const windowSeconds = windowSecondsWithTimeLeft();
  const local = await createKey(
    "--role=RESTRICTED",
    "--permission=keys:read",
    "--allow-ip",
    "127.0.0.0/8",
    "--allow-ip",
    "::1",
    "--rate-limit",
    `3/${windowSeconds}`,
    "--metadata",
    '{"team":"ops","ticket":42}',
  );
  const server = await serveKeyway({
    PATH: process.env.PATH,
    NODE_ENV: "test",
    DATABASE_URL: database.url,
    PORT: "0",
    HOST: "127.0.0.1",
    LOG_LEVEL: "silent",
  });
  const call = async (key: string, query: string) => {
    const response = await fetch(server.url, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
      body: JSON.stringify({ query }),
    });
    return { status: response.status, body: await response.json() };
  };
  try {
    const refused = await call(fenced, "{ viewer { role } }");
    expect([refused.status, refused.body.errors[0].extensions.reason]).toEqual([401, "IP_NOT_ALLOWED"]);

    const self = await call(
      local,
      "{ viewer { role permissions actor { ... on APIKey { allowedIps rateLimit { limit windowSeconds } metadata } } } }",
    );
    expect(self.body.data.viewer).toEqual({
      role: "RESTRICTED",
      permissions: ["keys:read"],
      actor: { allowedIps: ["127.0.0.0/8", "::1"], rateLimit: { limit: 3, windowSeconds }, metadata: { team: "ops", ticket: 42 } },
    });
    expect(
      (await call(local, "{ organizations { apiKeys(first: 5) { totalCount } } }")).body.data.organizations[0].apiKeys.totalCount,
    ).toBe(2);
    expect((await call(local, "{ viewer { role } }")).status).toBe(200);
    const limited = await call(local, "{ viewer { role } }");
    expect([limited.status, limited.body.errors[0].extensions.code]).toEqual([429, "RATE_LIMITED"]);
  } finally {
    expect(await server.stop()).toBe(0);
  }
});

it.each([
  [["--role", "restricted"], "keyway: --permission: A RESTRICTED key needs its permissions"],
  [["--role", "restricted", "--permission", "keys:admin"], 'keyway: --permission: Unknown permission "keys:admin"'],
  [["--role", "admin", "--permission", "keys:read"], "keyway: --permission: permissions are set only on RESTRICTED keys"],
  [["--role", "readonly", "--allow-ip", "10.0.0.0/33"], "keyway: --allow-ip: Not an IPv4 or IPv6 address or CIDR range"],
  [["--role", "readonly", "--rate-limit", "0/60"], "keyway: --rate-limit: limit must be between 1 and 1000000"],
  [
    ["--role", "readonly", "--rate-limit", "ten per minute"],
    'keyway: --rate-limit must be <requests>/<seconds>, e.g. 100/60; got "ten per minute"',
  ],
  [["--role", "readonly", "--metadata", "[1]"], "keyway: --metadata must be a JSON object"],
])("keyway key create %j exits 2 naming the flag", async (options, message) => {
  const result = await keyway(["key", "create", "--org", orgId, "--env", "test", "--name", "refused", ...options]);
  expect(result.code).toBe(2);
  expect(result.stdout).toBe("");
  expect(result.stderr.startsWith(message)).toBe(true);
});
