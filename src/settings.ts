import path from "node:path";
import { PASSWORD_MAX_BYTES, PASSWORD_MIN_BYTES } from "./limits.js";
import {
  boolean,
  choice,
  ConfigError,
  integer,
  optional,
  parsed,
  parseDurationList,
  parseEncryptionKeys,
  type SettingsTable,
  text,
} from "./setting.js";

export const PRIVATE_URL_POLICIES = ["none", "test", "all"] as const;
export const INTROSPECTION_POLICIES = ["all", "authenticated", "none"] as const;

/** bcrypt's cost may not go below this under NODE_ENV=production. */
const PRODUCTION_MIN_BCRYPT_COST = 10;
const DASHBOARD_TITLE_MAX = 60;

/** Express's "trust proxy": a hop count, true/false, or addresses and names like "loopback, 10.0.0.0/8". */
function trustProxy(raw: string | undefined): string | number | boolean {
  if (!raw) return false;
  if (/^\d+$/.test(raw.trim())) return Number(raw);
  if (/^(true|false)$/i.test(raw.trim())) return raw.trim().toLowerCase() === "true";
  return raw;
}

/**
 * The dashboard's accent as #rrggbb. Hex only, because the dashboard derives its lighter and darker
 * shades from it.
 */
function hexColour(value: string): string {
  const short = /^#([0-9a-f])([0-9a-f])([0-9a-f])$/i.exec(value);
  if (short) return `#${short[1]}${short[1]}${short[2]}${short[2]}${short[3]}${short[3]}`.toLowerCase();
  return value.toLowerCase();
}

/**
 * Every environment variable Keyway reads: its name, parser, default, checks and README line, placed
 * where its value goes in `Config` (config.ts derives the type and the loader from this table, and
 * README's configuration table is generated from it: `npm run docs:config`). loadConfig is the code
 * base's only reader of the environment.
 */
export const SETTINGS = {
  nodeEnv: text({
    env: "NODE_ENV",
    default: "development",
    emptyIsValue: true,
    description:
      '`production` hides suggestions ("Did you mean") in every error, describes the schema to authenticated callers only, turns the playground off and refuses private webhook URLs',
  }),
  port: integer({ env: "PORT", default: 4000, min: 0, max: 65535, description: "HTTP port" }),
  host: text({
    env: "HOST",
    default: "127.0.0.1",
    description: "Address to listen on; `0.0.0.0` to accept connections from other machines (containers, a load balancer)",
  }),
  databaseUrl: optional({
    env: "DATABASE_URL",
    unset: "unset",
    parse: (raw) => raw,
    description: "PostgreSQL to use. Unset: an embedded PostgreSQL in `KEYWAY_DATA_DIR`",
  }),
  dataDir: text({
    env: "KEYWAY_DATA_DIR",
    default: "./.keyway",
    description: "Data folder of the embedded PostgreSQL and of the generated encryption key",
  }).map((dir) => path.resolve(dir)),
  encryptionKeys: optional({
    env: "KEYWAY_ENCRYPTION_KEY",
    unset: "generated into `KEYWAY_DATA_DIR/encryption.key`",
    parse: (raw) => parseEncryptionKeys("KEYWAY_ENCRYPTION_KEY", raw),
    description:
      "Key that encrypts stored secrets: 32 bytes as base64 or 64 hex digits (`openssl rand -base64 32`); `<new>,<old>` rotates: the first encrypts, the others only decrypt ([secrets at rest](#secrets-at-rest))",
  }),
  logLevel: text({ env: "LOG_LEVEL", default: "info", test: "silent", description: "pino level" }),
  keyPrefix: text({
    env: "KEYWAY_KEY_PREFIX",
    default: "kw",
    emptyIsValue: true,
    check: (prefix) =>
      /^[a-z][a-z0-9]{0,9}$/.test(prefix) ? null : `must be 1-10 lowercase letters or digits starting with a letter, got "${prefix}"`,
    description:
      "First part of every API key (`<prefix>_test_…`), so secret scanners attribute leaks to you; 1–10 lowercase letters or digits, starting with a letter",
  }),
  adminEmail: text({ env: "KEYWAY_ADMIN_EMAIL", default: "admin@localhost", description: "Bootstrap admin's email" }).map((email) =>
    email.toLowerCase(),
  ),
  adminPassword: optional({
    env: "KEYWAY_ADMIN_PASSWORD",
    unset: "generated",
    parse: (raw) => raw,
    description: `Bootstrap admin's password (${PASSWORD_MIN_BYTES}–${PASSWORD_MAX_BYTES} bytes); generated and printed once when unset`,
  }),
  bootstrap: boolean({ env: "KEYWAY_BOOTSTRAP", default: true, description: "Create the first organization on an empty database" }),
  maxKeysPerEnvironment: integer({
    env: "KEYWAY_MAX_KEYS_PER_ENVIRONMENT",
    default: 1000,
    min: 1,
    description: "Non-deleted API keys per organization and environment",
  }),
  keyCacheTtlMs: integer({
    env: "KEYWAY_KEY_CACHE_TTL_MS",
    default: 60_000,
    description: "Upper bound on how long a verified key is cached (changes evict it at once)",
  }),
  usageFlushIntervalMs: integer({
    env: "KEYWAY_USAGE_FLUSH_MS",
    default: 1000,
    min: 10,
    max: 1000,
    description: "How often usage counters are written",
  }),
  expirySweepIntervalSeconds: integer({
    env: "KEYWAY_EXPIRY_SWEEP_SECONDS",
    default: 60,
    min: 1,
    description: "How often keys are checked for `API_KEY_EXPIRING_SOON` / `API_KEY_EXPIRED`",
  }),
  expiringSoonDays: integer({
    env: "KEYWAY_EXPIRING_SOON_DAYS",
    default: 7,
    min: 1,
    description: "How early `API_KEY_EXPIRING_SOON` is sent",
  }),
  limits: {
    maxDepth: integer({ env: "KEYWAY_MAX_QUERY_DEPTH", default: 12, min: 1, description: "Maximum query depth" }),
    maxAliases: integer({ env: "KEYWAY_MAX_QUERY_ALIASES", default: 30, min: 1, description: "Maximum aliases per operation" }),
    // Cost units are about one resolved field (schema/query-cost.ts). Measured with
    // bench/query-cost.js (2 cores, compiled execution, CPU per request, Keyway + PostgreSQL):
    //   admitted: 100 keys with every field 3,165 (22 ms + 1 ms); two such pages 6,323 (30 + 1.5 ms);
    //             20 targets × 20 attempts, Highnote's list 8,575 (40 + 12.5 ms)
    //   refused:  30 aliases × 100 keys 24,331 (74 + 11.5 ms, 234 KB);
    //             100 events × 100 attempts { id } 71,712 (90 + 33 ms); 100 targets × 100 attempts 81,712 (105 + 42 ms, 744 KB)
    // 20,000 admits every client operation with room to spare (2.3 × the largest) and refuses any
    // 100 × 100 nested list: no request holds the event loop for much more than 50 ms of CPU.
    maxCost: integer({ env: "KEYWAY_MAX_QUERY_COST", default: 20_000, min: 1, description: "Maximum query cost (see [Limits](#limits))" }),
    // The largest client operations (the dashboard's, the introspection query) have a few hundred
    // tokens; the limits stop documents that make graphql-js recurse past the stack (chained fragments).
    maxTokens: integer({
      env: "KEYWAY_MAX_QUERY_TOKENS",
      default: 10_000,
      min: 100,
      description: "Maximum tokens in a query text, checked before parsing",
    }),
    maxFragments: integer({
      env: "KEYWAY_MAX_QUERY_FRAGMENTS",
      default: 100,
      min: 1,
      description: "Maximum fragment definitions in a query text",
    }),
  },
  introspection: choice({
    env: "KEYWAY_INTROSPECTION",
    values: INTROSPECTION_POLICIES,
    default: "all",
    production: "authenticated",
    description: "Who may query `__schema` and `__type`: `all`, `authenticated` (callers with a key or session; 401 otherwise) or `none`",
  }),
  playground: boolean({
    env: "KEYWAY_PLAYGROUND",
    default: true,
    production: false,
    description: "Serve the GraphiQL playground on `GET /graphql` to browsers",
  }),
  dashboard: {
    enabled: boolean({
      env: "KEYWAY_DASHBOARD",
      default: true,
      defaultNote: "also in production",
      description: "Serve the web dashboard at `/dashboard` and send browsers from `/` there",
    }),
    title: text({
      env: "KEYWAY_DASHBOARD_TITLE",
      default: "Keyway",
      trim: true,
      check: (title) =>
        title.length > DASHBOARD_TITLE_MAX || [...title].some((character) => character.charCodeAt(0) < 0x20)
          ? `must be 1-${DASHBOARD_TITLE_MAX} printable characters`
          : null,
      description: `The dashboard's name, in its header and the page title (1–${DASHBOARD_TITLE_MAX} characters)`,
    }),
    accent: text({
      env: "KEYWAY_DASHBOARD_ACCENT",
      default: "#1971c2",
      trim: true,
      check: (accent) =>
        /^#([0-9a-f]{3}|[0-9a-f]{6})$/i.test(accent) ? null : `must be a CSS hex colour such as #1971c2 or #17a, got "${accent}"`,
      description:
        "The dashboard's accent colour, a CSS hex colour (`#rgb` or `#rrggbb`; hex only, because the dashboard derives its lighter and darker shades from it); pick one white text is readable on",
    }).map(hexColour),
  },
  session: {
    secret: optional({
      env: "KEYWAY_SESSION_SECRET",
      unset: "generated, stored encrypted",
      parse: (secret) => {
        if (Buffer.byteLength(secret) < 32) throw new ConfigError("KEYWAY_SESSION_SECRET must be at least 32 bytes");
        return secret;
      },
      description: "Secret of dashboard session JWTs (at least 32 bytes)",
    }),
    idleSeconds: integer({
      env: "KEYWAY_SESSION_IDLE_SECONDS",
      default: 900,
      min: 1,
      description: "A session ends after this long without a request",
    }),
    maxSeconds: integer({
      env: "KEYWAY_SESSION_MAX_SECONDS",
      default: 43_200,
      min: 1,
      description: "A session ends this long after login, active or not",
    }),
  },
  signupEnabled: boolean({ env: "KEYWAY_SIGNUP_ENABLED", default: true, description: "Allow `signUp`" }),
  defaultPlan: choice({
    env: "KEYWAY_DEFAULT_PLAN",
    values: ["FREE", "PAID"],
    default: "FREE",
    description: "Plan of organizations created by `signUp` (any case)",
  }),
  bcryptCost: integer({
    env: "KEYWAY_BCRYPT_COST",
    default: 10,
    production: 12,
    min: 4,
    max: 15,
    rangeNote: `at least ${PRODUCTION_MIN_BCRYPT_COST} when \`NODE_ENV=production\``,
    description: "bcrypt cost of passwords",
  }).map((cost, { production }) => {
    if (production && cost < PRODUCTION_MIN_BCRYPT_COST) {
      throw new ConfigError(`KEYWAY_BCRYPT_COST must be at least ${PRODUCTION_MIN_BCRYPT_COST} when NODE_ENV=production`);
    }
    return cost;
  }),
  loginMaxFailuresPerEmail: integer({
    env: "KEYWAY_LOGIN_MAX_FAILURES_PER_EMAIL",
    default: 10,
    min: 1,
    description: "Failed logins per email per window before `RATE_LIMITED`",
  }),
  loginMaxFailuresPerIp: integer({
    env: "KEYWAY_LOGIN_MAX_FAILURES_PER_IP",
    default: 100,
    min: 1,
    description: "Failed logins per IP per window before `RATE_LIMITED`",
  }),
  loginFailureWindowSeconds: integer({
    env: "KEYWAY_LOGIN_FAILURE_WINDOW_SECONDS",
    default: 900,
    min: 1,
    description: "The rate-limit window of failed logins",
  }),
  keyMaxFailuresPerIp: integer({
    env: "KEYWAY_KEY_MAX_FAILURES_PER_IP",
    default: 100,
    min: 1,
    description: "Unrecognized API keys or JWTs per client IP per window, then HTTP 429",
  }),
  keyFailureWindowSeconds: integer({
    env: "KEYWAY_KEY_FAILURE_WINDOW_SECONDS",
    default: 900,
    min: 1,
    description: "Window of the key limit",
  }),
  invitationTtlSeconds: integer({
    env: "KEYWAY_INVITATION_TTL_SECONDS",
    default: 7 * 86_400,
    min: 1,
    defaultNote: "7 days",
    description: "How long an invitation token can be accepted",
  }),
  trustProxy: parsed({
    env: "KEYWAY_TRUST_PROXY",
    defaultText: "unset",
    parse: trustProxy,
    description:
      "Which proxies to believe about the client's address, with Express's \"trust proxy\" values (a hop count like `1`, `true`, or addresses and names like `loopback, 10.0.0.0/8`): set it behind a load balancer so per-IP limits see the client's address",
  }),
  allowPrivateUrls: choice({
    env: "KEYWAY_ALLOW_PRIVATE_URLS",
    values: PRIVATE_URL_POLICIES,
    default: "test",
    production: "none",
    description:
      "Where webhook and authorization URLs may point at private or loopback addresses: `test` (TEST only), `all` (TEST and LIVE, for a closed network) or `none`; link-local and metadata addresses never",
  }),
  webhooks: {
    retryScheduleMs: text({
      env: "KEYWAY_RETRY_SCHEDULE",
      default: "0,5s,5m,30m,2h,5h,10h,10h",
      description: "Delays of the delivery attempts (`ms`, `s`, `m`, `h`, `d`; bare numbers are ms)",
    }).map((schedule) => parseDurationList("KEYWAY_RETRY_SCHEDULE", schedule)),
    inlineFirstAttempts: boolean({
      env: "KEYWAY_DELIVERY_INLINE_FIRST_ATTEMPTS",
      default: true,
      description:
        "The fan-out sends each event's first attempts itself, to unlimited targets that are not failing (`false`: one queued job per delivery)",
    }),
    timeoutMs: integer({ env: "KEYWAY_DELIVERY_TIMEOUT_MS", default: 15_000, min: 1, description: "Timeout of one webhook delivery" }),
    activationTimeoutMs: integer({
      env: "KEYWAY_WEBHOOK_ACTIVATION_TIMEOUT_MS",
      default: 15_000,
      min: 1,
      description: "Timeout of the `NOTIFICATION_ACTIVATION` request",
    }),
    maxTargetsPerEnvironment: integer({
      env: "KEYWAY_MAX_TARGETS_PER_ENVIRONMENT",
      default: 10,
      min: 1,
      description: "Notification targets per organization and environment",
    }),
    failureDeactivationMs: integer({
      env: "KEYWAY_WEBHOOK_FAILURE_DEACTIVATION_SECONDS",
      default: 5 * 86_400,
      min: 1,
      defaultNote: "5 days",
      description: "A target whose every attempt failed for this long is deactivated",
    }).map((seconds) => seconds * 1000),
    eventRetentionDays: integer({
      env: "KEYWAY_EVENT_RETENTION_DAYS",
      default: 30,
      min: 1,
      description: "How long events and their delivery attempts are kept",
    }),
    retentionSweepIntervalMs: integer({
      env: "KEYWAY_EVENT_RETENTION_SWEEP_MS",
      default: 3_600_000,
      min: 10,
      description: "How often expired events (and their attempts) are deleted",
    }),
  },
  collab: {
    timeoutMs: integer({
      env: "KEYWAY_COLLAB_TIMEOUT_MS",
      default: 2000,
      min: 1,
      description:
        "Collaborative-authorization budget, end to end: the decision (or the stand-in) is made within it; also the verification request's timeout",
    }),
    maxEndpointsPerEnvironment: integer({
      env: "KEYWAY_MAX_COLLAB_ENDPOINTS_PER_ENVIRONMENT",
      default: 5,
      min: 1,
      description: "Collaborative-authorization endpoints per organization and environment",
    }),
  },
  workerConcurrency: integer({
    env: "KEYWAY_WORKER_CONCURRENCY",
    default: 10,
    min: 1,
    description: "Background jobs run at once per process (a process that delivers many webhooks: 48, the delivery benchmark's setting)",
  }),
  workerHeartbeatMs: integer({
    env: "KEYWAY_WORKER_HEARTBEAT_MS",
    default: 5000,
    min: 10,
    description: "How often each process tells the job queue it is alive",
  }),
  workerStaleMs: integer({
    env: "KEYWAY_WORKER_STALE_MS",
    default: 30_000,
    min: 20,
    description: "Jobs held by a process silent this long (killed, crashed) go to the others",
  }),
} satisfies SettingsTable;
