import { sha256 } from "../crypto.js";
import { GraphQLError } from "graphql";
import { RateLimiterPostgres, RateLimiterRes } from "rate-limiter-flexible";
import type { DataSource } from "typeorm";
import type { Config } from "../config.js";
import { RateLimited } from "../services/domain-errors.js";

const TABLE = "rate_limits";

/**
 * Brute-force limits on failed attempts only, counted in
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

  /**
   * Reserves one failed attempt for the email and the IP before the password is
   * checked (consume, then reward on success), so a burst of parallel guesses
   * cannot all pass a count read before any of them failed: each increment is
   * one atomic upsert in PostgreSQL, and at most the limit of them fit.
   * Throws RateLimited (and takes nothing) when either is used up.
   */
  reserveLogin(email: string | null, ip: string | null): Promise<ReservedAttempt> {
    return reserve([
      ...(email !== null ? [{ limiter: this.loginByEmail, key: emailKey(email) }] : []),
      ...(ip !== null ? [{ limiter: this.loginByIp, key: ip }] : []),
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

/** One counter of failed attempts and the key counted in it. */
export interface AttemptCounter {
  limiter: RateLimiterPostgres;
  key: string;
}

/**
 * An attempt that holds one point in each of its counters: a failure keeps them
 * (nothing to do), a success gives them back.
 */
export class ReservedAttempt {
  private settled = false;

  constructor(private readonly counters: readonly AttemptCounter[]) {}

  async succeeded(): Promise<void> {
    if (this.settled) return;
    this.settled = true;
    await Promise.all(this.counters.map(({ limiter, key }) => limiter.reward(key, 1)));
  }
}

/**
 * Takes one point in every counter, or none: when any counter is over its limit
 * the points taken are given back and RateLimited says when to try again.
 * Reusable for any secret checked by guessing (passwords, invitation tokens, TOTP codes).
 */
export async function reserve(counters: readonly AttemptCounter[]): Promise<ReservedAttempt> {
  const results = await Promise.allSettled(counters.map(({ limiter, key }) => limiter.consume(key, 1)));
  if (results.every((result) => result.status === "fulfilled")) return new ReservedAttempt(counters);
  // A consume refused for the limit has still counted its point: give back every point this attempt took.
  const taken = counters.filter((_, i) => {
    const result = results[i];
    return result.status === "fulfilled" || result.reason instanceof RateLimiterRes;
  });
  await Promise.all(taken.map(({ limiter, key }) => limiter.reward(key, 1)));
  const reasons = results.flatMap((result) => (result.status === "rejected" ? [result.reason as unknown] : []));
  const failure = reasons.find((reason) => !(reason instanceof RateLimiterRes));
  if (failure !== undefined) throw failure instanceof Error ? failure : new Error("an attempt counter failed", { cause: failure });
  throw new RateLimited(Math.max(...(reasons as RateLimiterRes[]).map(retryAfterSeconds)));
}

/** Emails are counted by hash: the table needs no personal data. */
function emailKey(email: string): string {
  return sha256(email.trim().toLowerCase()).toString("hex").slice(0, 32);
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
