import path from "node:path";

/**
 * Every environment variable Keyway reads, parsed and validated once.
 * Nothing else in the code base reads process.env.
 */
export interface Config {
  nodeEnv: string;
  production: boolean;
  port: number;
  host: string;
  databaseUrl: string | null;
  dataDir: string;
  logLevel: string;
  keyPrefix: string;
  adminEmail: string;
  adminPassword: string | null;
  bootstrap: boolean;
  maxKeysPerEnvironment: number;
  keyCacheTtlMs: number;
  usageFlushIntervalMs: number;
  expirySweepIntervalSeconds: number;
  expiringSoonDays: number;
  /** KEYWAY_ENCRYPTION_KEY: the key that encrypts stored secrets first, older ones after; null = the data folder's key file. */
  encryptionKeys: Buffer[] | null;
  session: {
    secret: string | null;
    idleSeconds: number;
    maxSeconds: number;
  };
  signupEnabled: boolean;
  defaultPlan: "FREE" | "PAID";
  bcryptCost: number;
  loginMaxFailuresPerEmail: number;
  loginMaxFailuresPerIp: number;
  loginFailureWindowSeconds: number;
  keyMaxFailuresPerIp: number;
  keyFailureWindowSeconds: number;
  invitationTtlSeconds: number;
  /** Express "trust proxy": which proxies' X-Forwarded-For decides the client IP (per-IP limits). */
  trustProxy: string | number | boolean;
  /** Which environments may reach private and loopback addresses: "none", "test" or "all". */
  allowPrivateUrls: PrivateUrlPolicy;
  playground: boolean;
  /** Who may query __schema and __type: everyone, authenticated callers only, or no one. */
  introspection: IntrospectionPolicy;
  /** The web dashboard at /dashboard and how it is branded. */
  dashboard: {
    enabled: boolean;
    title: string;
    accent: string;
  };
  webhooks: {
    retryScheduleMs: number[];
    timeoutMs: number;
    activationTimeoutMs: number;
    maxTargetsPerEnvironment: number;
    failureDeactivationMs: number;
    eventRetentionDays: number;
    /** How often expired events (and their attempts) are deleted. */
    retentionSweepIntervalMs: number;
  };
  collab: {
    timeoutMs: number;
    maxEndpointsPerEnvironment: number;
  };
  limits: {
    bodyBytes: number;
    maxDepth: number;
    maxAliases: number;
    maxCost: number;
    maxTokens: number;
    maxFragments: number;
  };
  workerConcurrency: number;
  /** Each job-queue process records that it is alive this often… */
  workerHeartbeatMs: number;
  /** …and the jobs locked by a process silent for this long are released to the others. */
  workerStaleMs: number;
}

export type PrivateUrlPolicy = "none" | "test" | "all";
export type IntrospectionPolicy = "all" | "authenticated" | "none";

export class ConfigError extends Error {}

type Env = Record<string, string | undefined>;

function int(env: Env, name: string, fallback: number, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  if (!/^-?\d+$/.test(raw.trim())) throw new ConfigError(`${name} must be an integer, got "${raw}"`);
  const value = Number(raw);
  if (value < min || value > max) throw new ConfigError(`${name} must be between ${min} and ${max}, got ${value}`);
  return value;
}

function bool(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  if (/^(1|true|yes|on)$/i.test(raw)) return true;
  if (/^(0|false|no|off)$/i.test(raw)) return false;
  throw new ConfigError(`${name} must be true or false, got "${raw}"`);
}

function oneOf<T extends string>(env: Env, name: string, values: readonly T[], fallback: T): T {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const upper = raw.toUpperCase() as T;
  if (!values.includes(upper)) throw new ConfigError(`${name} must be one of ${values.join(", ")}, got "${raw}"`);
  return upper;
}

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Parses "0,5s,5m,30m,2h" into milliseconds; a bare number is milliseconds. */
export function parseDurationList(name: string, raw: string): number[] {
  return raw.split(",").map((part) => {
    const match = /^\s*(\d+)\s*(ms|s|m|h|d)?\s*$/.exec(part);
    if (!match) throw new ConfigError(`${name} must be a comma-separated list of durations like 0,5s,5m,2h; got "${raw}"`);
    return Number(match[1]) * DURATION_UNITS[match[2] ?? "ms"];
  });
}

/**
 * Encryption keys of secrets at rest: comma-separated, each 32 bytes as 64 hex digits or
 * base64 (standard or URL-safe). The first encrypts; the others only decrypt (rotation).
 * Errors never repeat the value: it is a secret.
 */
export function parseEncryptionKeys(source: string, raw: string): Buffer[] {
  const parts = raw.split(",").map((part) => part.trim());
  return parts.map((part, i) => {
    const where = parts.length > 1 ? ` (key ${i + 1} of ${parts.length})` : "";
    const key = /^[0-9a-fA-F]{64}$/.test(part)
      ? Buffer.from(part, "hex")
      : /^[A-Za-z0-9+/_-]{43}=?$/.test(part)
        ? Buffer.from(part, "base64")
        : null;
    if (!key || key.length !== 32) {
      throw new ConfigError(
        `${source} must be 32 bytes as 64 hex digits or base64 (openssl rand -base64 32), comma-separated for rotation${where}`,
      );
    }
    return key;
  });
}

/** Express's "trust proxy": a hop count, true/false, or addresses and names like "loopback, 10.0.0.0/8". */
function trustProxy(raw: string | undefined): string | number | boolean {
  if (!raw) return false;
  if (/^\d+$/.test(raw.trim())) return Number(raw);
  if (/^(true|false)$/i.test(raw.trim())) return raw.trim().toLowerCase() === "true";
  return raw;
}

/**
 * The dashboard's accent: a CSS hex colour (#rgb or #rrggbb), returned as #rrggbb. Hex only, because
 * the dashboard derives its lighter and darker shades from it.
 */
function hexColour(env: Env, name: string, fallback: string): string {
  const raw = (env[name] ?? "").trim();
  if (raw === "") return fallback;
  const short = /^#([0-9a-f])([0-9a-f])([0-9a-f])$/i.exec(raw);
  if (short) return `#${short[1]}${short[1]}${short[2]}${short[2]}${short[3]}${short[3]}`.toLowerCase();
  if (/^#[0-9a-f]{6}$/i.test(raw)) return raw.toLowerCase();
  throw new ConfigError(`${name} must be a CSS hex colour such as #1971c2 or #17a, got "${raw}"`);
}

function dashboardTitle(env: Env): string {
  const title = (env.KEYWAY_DASHBOARD_TITLE ?? "").trim() || "Keyway";
  if (title.length > 60 || [...title].some((character) => character.charCodeAt(0) < 0x20))
    throw new ConfigError("KEYWAY_DASHBOARD_TITLE must be 1-60 printable characters");
  return title;
}

export function loadConfig(env: Env = process.env): Config {
  const nodeEnv = env.NODE_ENV ?? "development";
  const production = nodeEnv === "production";
  const keyPrefix = env.KEYWAY_KEY_PREFIX ?? "kw";
  if (!/^[a-z][a-z0-9]{0,9}$/.test(keyPrefix)) {
    throw new ConfigError(`KEYWAY_KEY_PREFIX must be 1-10 lowercase letters or digits starting with a letter, got "${keyPrefix}"`);
  }
  const privateUrls = (env.KEYWAY_ALLOW_PRIVATE_URLS || (production ? "none" : "test")) as PrivateUrlPolicy;
  if (!["none", "test", "all"].includes(privateUrls)) {
    throw new ConfigError(`KEYWAY_ALLOW_PRIVATE_URLS must be "none", "test" or "all", got "${privateUrls}"`);
  }
  const introspection = (env.KEYWAY_INTROSPECTION || (production ? "authenticated" : "all")) as IntrospectionPolicy;
  if (!["all", "authenticated", "none"].includes(introspection)) {
    throw new ConfigError(`KEYWAY_INTROSPECTION must be "all", "authenticated" or "none", got "${introspection}"`);
  }
  const bcryptCost = int(env, "KEYWAY_BCRYPT_COST", production ? 12 : 10, 4, 15);
  if (production && bcryptCost < 10) throw new ConfigError("KEYWAY_BCRYPT_COST must be at least 10 when NODE_ENV=production");
  const sessionSecret = env.KEYWAY_SESSION_SECRET || null;
  if (sessionSecret !== null && Buffer.byteLength(sessionSecret) < 32) {
    throw new ConfigError("KEYWAY_SESSION_SECRET must be at least 32 bytes");
  }

  return {
    nodeEnv,
    production,
    port: int(env, "PORT", 4000, 0, 65535),
    host: env.HOST || "127.0.0.1",
    databaseUrl: env.DATABASE_URL || null,
    dataDir: path.resolve(env.KEYWAY_DATA_DIR || ".keyway"),
    logLevel: env.LOG_LEVEL || (nodeEnv === "test" ? "silent" : "info"),
    keyPrefix,
    adminEmail: (env.KEYWAY_ADMIN_EMAIL || "admin@localhost").toLowerCase(),
    adminPassword: env.KEYWAY_ADMIN_PASSWORD || null,
    bootstrap: bool(env, "KEYWAY_BOOTSTRAP", true),
    maxKeysPerEnvironment: int(env, "KEYWAY_MAX_KEYS_PER_ENVIRONMENT", 1000, 1),
    keyCacheTtlMs: int(env, "KEYWAY_KEY_CACHE_TTL_MS", 60_000, 0),
    usageFlushIntervalMs: int(env, "KEYWAY_USAGE_FLUSH_MS", 1000, 10, 1000),
    expirySweepIntervalSeconds: int(env, "KEYWAY_EXPIRY_SWEEP_SECONDS", 60, 1),
    expiringSoonDays: int(env, "KEYWAY_EXPIRING_SOON_DAYS", 7, 1),
    encryptionKeys: env.KEYWAY_ENCRYPTION_KEY ? parseEncryptionKeys("KEYWAY_ENCRYPTION_KEY", env.KEYWAY_ENCRYPTION_KEY) : null,
    session: {
      secret: sessionSecret,
      idleSeconds: int(env, "KEYWAY_SESSION_IDLE_SECONDS", 900, 1),
      maxSeconds: int(env, "KEYWAY_SESSION_MAX_SECONDS", 43_200, 1),
    },
    signupEnabled: bool(env, "KEYWAY_SIGNUP_ENABLED", true),
    defaultPlan: oneOf(env, "KEYWAY_DEFAULT_PLAN", ["FREE", "PAID"] as const, "FREE"),
    bcryptCost,
    loginMaxFailuresPerEmail: int(env, "KEYWAY_LOGIN_MAX_FAILURES_PER_EMAIL", 10, 1),
    loginMaxFailuresPerIp: int(env, "KEYWAY_LOGIN_MAX_FAILURES_PER_IP", 100, 1),
    loginFailureWindowSeconds: int(env, "KEYWAY_LOGIN_FAILURE_WINDOW_SECONDS", 900, 1),
    keyMaxFailuresPerIp: int(env, "KEYWAY_KEY_MAX_FAILURES_PER_IP", 100, 1),
    keyFailureWindowSeconds: int(env, "KEYWAY_KEY_FAILURE_WINDOW_SECONDS", 900, 1),
    invitationTtlSeconds: int(env, "KEYWAY_INVITATION_TTL_SECONDS", 7 * 86_400, 1),
    trustProxy: trustProxy(env.KEYWAY_TRUST_PROXY),
    allowPrivateUrls: privateUrls,
    playground: bool(env, "KEYWAY_PLAYGROUND", !production),
    introspection,
    dashboard: {
      enabled: bool(env, "KEYWAY_DASHBOARD", true),
      title: dashboardTitle(env),
      accent: hexColour(env, "KEYWAY_DASHBOARD_ACCENT", "#1971c2"),
    },
    webhooks: {
      retryScheduleMs: parseDurationList("KEYWAY_RETRY_SCHEDULE", env.KEYWAY_RETRY_SCHEDULE || "0,5s,5m,30m,2h,5h,10h,10h"),
      timeoutMs: int(env, "KEYWAY_DELIVERY_TIMEOUT_MS", 15_000, 1),
      activationTimeoutMs: int(env, "KEYWAY_WEBHOOK_ACTIVATION_TIMEOUT_MS", 15_000, 1),
      maxTargetsPerEnvironment: int(env, "KEYWAY_MAX_TARGETS_PER_ENVIRONMENT", 10, 1),
      failureDeactivationMs: int(env, "KEYWAY_WEBHOOK_FAILURE_DEACTIVATION_SECONDS", 5 * 86_400, 1) * 1000,
      eventRetentionDays: int(env, "KEYWAY_EVENT_RETENTION_DAYS", 30, 1),
      retentionSweepIntervalMs: int(env, "KEYWAY_EVENT_RETENTION_SWEEP_MS", 3_600_000, 10),
    },
    collab: {
      timeoutMs: int(env, "KEYWAY_COLLAB_TIMEOUT_MS", 2000, 1),
      maxEndpointsPerEnvironment: int(env, "KEYWAY_MAX_COLLAB_ENDPOINTS_PER_ENVIRONMENT", 5, 1),
    },
    limits: {
      bodyBytes: 1024 * 1024,
      maxDepth: int(env, "KEYWAY_MAX_QUERY_DEPTH", 12, 1),
      maxAliases: int(env, "KEYWAY_MAX_QUERY_ALIASES", 30, 1),
      // Cost units are about one resolved field (schema/query-cost.ts). Measured with
      // bench/query-cost.js (2 cores, compiled execution, CPU per request, Keyway + PostgreSQL):
      //   admitted: 100 keys with every field 3,165 (22 ms + 1 ms); two such pages 6,323 (30 + 1.5 ms);
      //             20 targets × 20 attempts, Highnote's list 8,575 (40 + 12.5 ms)
      //   refused:  30 aliases × 100 keys 24,331 (74 + 11.5 ms, 234 KB);
      //             100 events × 100 attempts { id } 71,712 (90 + 33 ms); 100 targets × 100 attempts 81,712 (105 + 42 ms, 744 KB)
      // 20,000 admits every client operation with room to spare (2.3 × the largest) and refuses any
      // 100 × 100 nested list: no request holds the event loop for much more than 50 ms of CPU.
      maxCost: int(env, "KEYWAY_MAX_QUERY_COST", 20_000, 1),
      // The largest client operations (the dashboard's, the introspection query) have a few hundred
      // tokens; the limits stop documents that make graphql-js recurse past the stack (chained fragments).
      maxTokens: int(env, "KEYWAY_MAX_QUERY_TOKENS", 10_000, 100),
      maxFragments: int(env, "KEYWAY_MAX_QUERY_FRAGMENTS", 100, 1),
    },
    workerConcurrency: int(env, "KEYWAY_WORKER_CONCURRENCY", 10, 1),
    workerHeartbeatMs: int(env, "KEYWAY_WORKER_HEARTBEAT_MS", 5000, 10),
    workerStaleMs: int(env, "KEYWAY_WORKER_STALE_MS", 30_000, 20),
  };
}
