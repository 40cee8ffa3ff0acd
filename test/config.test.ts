import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { allSettings, ConfigError, loadConfig } from "../src/config";

/** One bad value per row and the one-line message the server stops with. */
const REFUSED: Array<[Record<string, string>, string]> = [
  [{ PORT: "abc" }, 'PORT must be an integer, got "abc"'],
  [{ PORT: "70000" }, "PORT must be between 0 and 65535, got 70000"],
  [{ PORT: "-1" }, "PORT must be between 0 and 65535, got -1"],
  [{ KEYWAY_KEY_PREFIX: "" }, 'KEYWAY_KEY_PREFIX must be 1-10 lowercase letters or digits starting with a letter, got ""'],
  [{ KEYWAY_KEY_PREFIX: "Ab" }, 'KEYWAY_KEY_PREFIX must be 1-10 lowercase letters or digits starting with a letter, got "Ab"'],
  [{ KEYWAY_BOOTSTRAP: "maybe" }, 'KEYWAY_BOOTSTRAP must be true or false, got "maybe"'],
  [{ KEYWAY_MAX_KEYS_PER_ENVIRONMENT: "0" }, "KEYWAY_MAX_KEYS_PER_ENVIRONMENT must be between 1 and 9007199254740991, got 0"],
  [{ KEYWAY_USAGE_FLUSH_MS: "5" }, "KEYWAY_USAGE_FLUSH_MS must be between 10 and 1000, got 5"],
  [{ KEYWAY_USAGE_FLUSH_MS: "2000" }, "KEYWAY_USAGE_FLUSH_MS must be between 10 and 1000, got 2000"],
  [
    { KEYWAY_ENCRYPTION_KEY: "abc" },
    "KEYWAY_ENCRYPTION_KEY must be 32 bytes as 64 hex digits or base64 (openssl rand -base64 32), comma-separated for rotation",
  ],
  [
    { KEYWAY_ENCRYPTION_KEY: `${"a".repeat(64)},zz` },
    "KEYWAY_ENCRYPTION_KEY must be 32 bytes as 64 hex digits or base64 (openssl rand -base64 32), comma-separated for rotation (key 2 of 2)",
  ],
  [{ KEYWAY_SESSION_SECRET: "short" }, "KEYWAY_SESSION_SECRET must be at least 32 bytes"],
  [{ KEYWAY_SESSION_IDLE_SECONDS: "0" }, "KEYWAY_SESSION_IDLE_SECONDS must be between 1 and 9007199254740991, got 0"],
  [{ KEYWAY_DEFAULT_PLAN: "gold" }, 'KEYWAY_DEFAULT_PLAN must be one of FREE, PAID, got "gold"'],
  [{ KEYWAY_BCRYPT_COST: "3" }, "KEYWAY_BCRYPT_COST must be between 4 and 15, got 3"],
  [{ KEYWAY_BCRYPT_COST: "16" }, "KEYWAY_BCRYPT_COST must be between 4 and 15, got 16"],
  [{ KEYWAY_BCRYPT_COST: "9", NODE_ENV: "production" }, "KEYWAY_BCRYPT_COST must be at least 10 when NODE_ENV=production"],
  [{ KEYWAY_LOGIN_MAX_FAILURES_PER_EMAIL: "x" }, 'KEYWAY_LOGIN_MAX_FAILURES_PER_EMAIL must be an integer, got "x"'],
  [{ KEYWAY_ALLOW_PRIVATE_URLS: "ALL" }, 'KEYWAY_ALLOW_PRIVATE_URLS must be "none", "test" or "all", got "ALL"'],
  [{ KEYWAY_INTROSPECTION: "sometimes" }, 'KEYWAY_INTROSPECTION must be "all", "authenticated" or "none", got "sometimes"'],
  [{ KEYWAY_DASHBOARD: "maybe" }, 'KEYWAY_DASHBOARD must be true or false, got "maybe"'],
  [{ KEYWAY_DASHBOARD_TITLE: "x".repeat(61) }, "KEYWAY_DASHBOARD_TITLE must be 1-60 printable characters"],
  [{ KEYWAY_DASHBOARD_TITLE: "a\tb" }, "KEYWAY_DASHBOARD_TITLE must be 1-60 printable characters"],
  [{ KEYWAY_DASHBOARD_ACCENT: "red" }, 'KEYWAY_DASHBOARD_ACCENT must be a CSS hex colour such as #1971c2 or #17a, got "red"'],
  [{ KEYWAY_RETRY_SCHEDULE: "x" }, 'KEYWAY_RETRY_SCHEDULE must be a comma-separated list of durations like 0,5s,5m,2h; got "x"'],
  [{ KEYWAY_DELIVERY_TIMEOUT_MS: "0" }, "KEYWAY_DELIVERY_TIMEOUT_MS must be between 1 and 9007199254740991, got 0"],
  [{ KEYWAY_EVENT_RETENTION_SWEEP_MS: "5" }, "KEYWAY_EVENT_RETENTION_SWEEP_MS must be between 10 and 9007199254740991, got 5"],
  [{ KEYWAY_COLLAB_TIMEOUT_MS: "1.5" }, 'KEYWAY_COLLAB_TIMEOUT_MS must be an integer, got "1.5"'],
  [{ KEYWAY_MAX_QUERY_TOKENS: "99" }, "KEYWAY_MAX_QUERY_TOKENS must be between 100 and 9007199254740991, got 99"],
  [{ KEYWAY_WORKER_STALE_MS: "19" }, "KEYWAY_WORKER_STALE_MS must be between 20 and 9007199254740991, got 19"],
  [{ KEYWAY_WORKER_HEARTBEAT_MS: "9" }, "KEYWAY_WORKER_HEARTBEAT_MS must be between 10 and 9007199254740991, got 9"],
  [{ KEYWAY_EXPIRING_SOON_DAYS: "0" }, "KEYWAY_EXPIRING_SOON_DAYS must be between 1 and 9007199254740991, got 0"],
];

describe("loadConfig", () => {
  it.each(REFUSED)("refuses %j", (env, message) => {
    expect(() => loadConfig(env)).toThrow(new ConfigError(message));
  });

  it("gives each setting its default, some of them different under NODE_ENV=production or NODE_ENV=test", () => {
    const development = loadConfig({});
    expect(development).toMatchObject({
      nodeEnv: "development",
      production: false,
      port: 4000,
      host: "127.0.0.1",
      databaseUrl: null,
      dataDir: path.resolve(".keyway"),
      logLevel: "info",
      keyPrefix: "kw",
      adminPassword: null,
      encryptionKeys: null,
      bcryptCost: 10,
      allowPrivateUrls: "test",
      introspection: "all",
      playground: true,
      trustProxy: false,
      session: { secret: null, idleSeconds: 900, maxSeconds: 43_200 },
      limits: { maxDepth: 12, maxAliases: 30, maxCost: 20_000, maxTokens: 10_000, maxFragments: 100 },
      webhooks: { retryScheduleMs: [0, 5000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000] },
    });
    expect(loadConfig({ NODE_ENV: "production" })).toMatchObject({
      production: true,
      bcryptCost: 12,
      allowPrivateUrls: "none",
      introspection: "authenticated",
      playground: false,
      logLevel: "info",
    });
    expect(loadConfig({ NODE_ENV: "test" }).logLevel).toBe("silent");
  });

  it("converts what it reads: empty is unset, booleans and plans in any case, seconds to milliseconds, emails to lower case", () => {
    const config = loadConfig({
      PORT: "",
      HOST: "",
      KEYWAY_BOOTSTRAP: "OFF",
      KEYWAY_DEFAULT_PLAN: "paid",
      KEYWAY_WEBHOOK_FAILURE_DEACTIVATION_SECONDS: "2",
      KEYWAY_ADMIN_EMAIL: "Ops@Example.COM",
      KEYWAY_TRUST_PROXY: "2",
      KEYWAY_RETRY_SCHEDULE: "0,200ms,1s,1m,1h,1d",
      KEYWAY_DASHBOARD_TITLE: "  Acme  ",
      KEYWAY_DASHBOARD_ACCENT: " #0A7 ",
    });
    expect(config).toMatchObject({
      port: 4000,
      host: "127.0.0.1",
      bootstrap: false,
      defaultPlan: "PAID",
      adminEmail: "ops@example.com",
      trustProxy: 2,
      dashboard: { title: "Acme", accent: "#00aa77" },
      webhooks: { failureDeactivationMs: 2000, retryScheduleMs: [0, 200, 1000, 60_000, 3_600_000, 86_400_000] },
    });
    expect(loadConfig({ KEYWAY_TRUST_PROXY: "TRUE" }).trustProxy).toBe(true);
    expect(loadConfig({ KEYWAY_TRUST_PROXY: "loopback, 10.0.0.0/8" }).trustProxy).toBe("loopback, 10.0.0.0/8");
  });
});

describe("the settings table", () => {
  it("names each environment variable once", () => {
    const names = allSettings().map((setting) => setting.env);
    expect(names.length).toBeGreaterThan(50);
    expect(new Set(names).size).toBe(names.length);
  });

  it("is the only reader of process.env in src/", () => {
    const root = path.join(__dirname, "../src");
    const readers = (readdirSync(root, { recursive: true }) as string[])
      .filter((file) => file.endsWith(".ts") && readFileSync(path.join(root, file), "utf8").includes("process.env"))
      .map((file) => file.split(path.sep).join("/"));
    expect(readers).toEqual(["config.ts"]);
  });
});
