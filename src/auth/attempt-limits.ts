import { createHash } from "node:crypto";
import { GraphQLError } from "graphql";
import { RateLimiterPostgres, RateLimiterRes } from "rate-limiter-flexible";
import type { DataSource } from "typeorm";
import type { Config } from "../config.js";
import { RateLimited } from "../services/domain-errors.js";

const TABLE = "rate_limits";

/**
 * Brute-force limits on failed attempts only (DESIGN §4, §10), counted in
 * PostgreSQL (rate-limiter-flexible's store, table created by a migration) so
 * every process sees the same counts:
 * - login (and other password / invitation-token checks): per email and per IP;
 * - API keys and JWTs nobody recognizes: per IP.
 * A successful request never touches the store: the per-IP key block is
 * remembered in memory once this process has counted the attempt that crossed it.
 */
export class AttemptLimits {
  private readonly loginByEmail: RateLimiterPostgres;
  private readonly loginByIp: RateLimiterPostgres;
  private readonly keysByIp: RateLimiterPostgres;
  /** IPs over the key limit, until their window ends (epoch ms). */
  private readonly blockedIps = new Map<string, number>();

  constructor(dataSource: DataSource, config: Config) {
    const store = { storeClient: dataSource, storeType: "typeorm", tableName: TABLE, tableCreated: true };
    this.loginByEmail = new RateLimiterPostgres({
      ...store,
      keyPrefix: "login_email",
      points: config.loginMaxFailuresPerEmail,
      duration: config.loginFailureWindowSeconds,
    });
    this.loginByIp = new RateLimiterPostgres({
      ...store,
      keyPrefix: "login_ip",
      points: config.loginMaxFailuresPerIp,
      duration: config.loginFailureWindowSeconds,
    });
    this.keysByIp = new RateLimiterPostgres({
      ...store,
      keyPrefix: "key_ip",
      points: config.keyMaxFailuresPerIp,
      duration: config.keyFailureWindowSeconds,
    });
  }

  /** Throws RateLimited when the email or the IP has used up its failed attempts. */
  async assertLoginAllowed(email: string | null, ip: string): Promise<void> {
    const [byEmail, byIp] = await Promise.all([email !== null ? this.loginByEmail.get(emailKey(email)) : null, this.loginByIp.get(ip)]);
    for (const [res, limiter] of [
      [byEmail, this.loginByEmail],
      [byIp, this.loginByIp],
    ] as const) {
      if (res && res.consumedPoints >= limiter.points) throw new RateLimited(retryAfterSeconds(res));
    }
  }

  async loginFailed(email: string | null, ip: string): Promise<void> {
    await Promise.all([
      email !== null ? this.loginByEmail.penalty(emailKey(email)) : null,
      this.loginByIp.penalty(ip),
    ]);
  }

  /** A correct password clears the email's count (not the IP's: one good account must not unlock guessing others). */
  async loginSucceeded(email: string): Promise<void> {
    await this.loginByEmail.delete(emailKey(email));
  }

  /** In memory only: the cost of the check on every authenticated request is a map lookup. */
  assertKeyAttemptsAllowed(ip: string): void {
    const until = this.blockedIps.get(ip);
    if (until === undefined) return;
    if (until > Date.now()) throw tooManyKeyAttempts(Math.ceil((until - Date.now()) / 1000));
    this.blockedIps.delete(ip);
  }

  /** Counts an unrecognized credential; throws HTTP 429 when this one goes over the limit. */
  async keyAttemptFailed(ip: string): Promise<void> {
    try {
      await this.keysByIp.consume(ip);
    } catch (result) {
      if (result instanceof RateLimiterRes) {
        this.blockedIps.set(ip, Date.now() + result.msBeforeNext);
        throw tooManyKeyAttempts(retryAfterSeconds(result));
      }
      throw result;
    }
  }
}

/** Emails are counted by hash: the table needs no personal data. */
function emailKey(email: string): string {
  return createHash("sha256").update(email.trim().toLowerCase()).digest("hex").slice(0, 32);
}

function retryAfterSeconds(res: RateLimiterRes): number {
  return Math.max(1, Math.ceil(res.msBeforeNext / 1000));
}

function tooManyKeyAttempts(retryAfter: number): GraphQLError {
  return new GraphQLError(`Too many failed authentication attempts from this address; try again in ${retryAfter} s`, {
    extensions: {
      code: "RATE_LIMITED",
      retryAfterSeconds: retryAfter,
      http: { status: 429, headers: new Map([["retry-after", String(retryAfter)]]) },
    },
  });
}
