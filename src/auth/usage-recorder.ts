import { GraphQLError } from "graphql";
import type { Logger } from "pino";
import { sql } from "../db/sql.js";
import type { Transactions } from "../services/transaction.js";

/** A key's `rateLimit`: at most `limit` requests per `windowSeconds`. */
export interface RateLimit {
  limit: number;
  windowSeconds: number;
}

interface PendingUsage {
  count: number;
  lastUsedAt: number;
  /** Requests per UTC day (YYYY-MM-DD); one entry unless the interval crossed midnight. */
  days: Map<string, number>;
}

/**
 * One key's current fixed window (aligned to the epoch, so every process agrees on it).
 * `known` is the total of every process as the database last told this one; `inFlight`
 * this process's admissions being written; `unsent` the ones admitted since.
 */
interface RateWindow {
  start: number;
  windowMs: number;
  known: number;
  inFlight: number;
  unsent: number;
}

const DAY_MS = 86_400_000;

/**
 * Counts authenticated requests per key in memory and writes them in one
 * statement per interval: exact counts (also per UTC day), `lastUsedAt` at most
 * one interval late, and no row lock on the request path. `stop()` flushes what
 * is left.
 *
 * Per-key rate limits ride on the same flush: each process admits a request while
 * the window's total it last read plus its own unsent admissions stay under the
 * limit, and each flush adds its admissions to the window's shared row and reads
 * back the total of every process. So no request waits on the database, and a
 * window can overshoot the limit only by what other processes admitted since
 * their last flush (at most one interval's worth each). A process that has used a
 * quarter of what it believed was left flushes at once instead of waiting for the
 * interval, which keeps a burst's overshoot to about the requests in flight when
 * the window fills.
 */
export class UsageRecorder {
  private pending = new Map<string, PendingUsage>();
  private readonly windows = new Map<string, RateWindow>();
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> = Promise.resolve();
  private earlyFlush: Promise<void> | null = null;
  private day = "";
  private dayEnds = 0;

  constructor(
    private readonly transactions: Transactions,
    private readonly intervalMs: number,
    private readonly logger: Logger,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.flush(), this.intervalMs);
    this.timer.unref();
  }

  /**
   * Counts one request of the key, or throws HTTP 429 RATE_LIMITED (counting nothing)
   * when the key's window is full.
   */
  admit(keyId: string, rateLimit: RateLimit | null, at = Date.now()): void {
    if (rateLimit) {
      const window = this.windowOf(keyId, rateLimit, at);
      const left = rateLimit.limit - window.known - window.inFlight;
      if (window.unsent >= left) throw rateLimited(rateLimit, window, at);
      window.unsent++;
      // Share the count early once this process alone has used a quarter of what was left: a burst
      // then learns the other processes' counts after a few round trips per window, not after a whole interval.
      if (window.unsent >= Math.ceil(left / 4)) this.flushSoon();
    }
    this.record(keyId, at);
  }

  record(keyId: string, at = Date.now()): void {
    const day = this.dayOf(at);
    const entry = this.pending.get(keyId);
    if (entry) {
      entry.count++;
      entry.lastUsedAt = at;
      entry.days.set(day, (entry.days.get(day) ?? 0) + 1);
    } else {
      this.pending.set(keyId, { count: 1, lastUsedAt: at, days: new Map([[day, 1]]) });
    }
  }

  /** At most one early flush waiting or running at a time. */
  private flushSoon(): void {
    if (this.earlyFlush) return;
    this.earlyFlush = this.flush().finally(() => {
      this.earlyFlush = null;
    });
  }

  flush(): Promise<void> {
    // Chained so two flushes never write the same counts twice.
    this.flushing = this.flushing.then(() => this.write());
    return this.flushing;
  }

  private windowOf(keyId: string, rateLimit: RateLimit, at: number): RateWindow {
    const windowMs = rateLimit.windowSeconds * 1000;
    let window = this.windows.get(keyId);
    if (!window || window.windowMs !== windowMs || at >= window.start + windowMs) {
      window = { start: Math.floor(at / windowMs) * windowMs, windowMs, known: 0, inFlight: 0, unsent: 0 };
      this.windows.set(keyId, window);
      void this.loadWindow(keyId, window);
    }
    return window;
  }

  /**
   * What the other processes have counted in a window this one just opened, read once
   * (not awaited: the request that opened it does not wait). Without it a process new to
   * a key would admit up to a whole limit before its first flush told it otherwise.
   */
  private async loadWindow(keyId: string, window: RateWindow): Promise<void> {
    try {
      const rows = await this.transactions.untenanted.rows<{ start: Date; seconds: number; count: string }>(
        sql`SELECT window_start AS start, window_seconds AS seconds, request_count AS count FROM api_key_rate_windows WHERE api_key_id = ${keyId}`,
      );
      const row = rows[0];
      if (row && row.start.getTime() === window.start && row.seconds * 1000 === window.windowMs) {
        window.known = Math.max(window.known, Number(row.count));
      }
    } catch (error) {
      this.logger.warn({ err: error }, "could not read a rate-limit window; the next flush will");
    }
  }

  private dayOf(at: number): string {
    if (at >= this.dayEnds || at < this.dayEnds - DAY_MS) {
      this.day = new Date(at).toISOString().slice(0, 10);
      this.dayEnds = (Math.floor(at / DAY_MS) + 1) * DAY_MS;
    }
    return this.day;
  }

  private async write(): Promise<void> {
    const now = Date.now();
    const sending: Array<{ keyId: string; window: RateWindow; count: number }> = [];
    for (const [keyId, window] of this.windows) {
      if (now >= window.start + window.windowMs) {
        // Over: its counts no longer matter to anyone.
        if (window.inFlight === 0) this.windows.delete(keyId);
      } else if (window.unsent > 0) {
        sending.push({ keyId, window, count: window.unsent });
        window.inFlight += window.unsent;
        window.unsent = 0;
      }
    }
    if (this.pending.size === 0 && sending.length === 0) return;
    const batch = this.pending;
    this.pending = new Map();
    const ids = [...batch.keys()];
    const dayRows = ids.flatMap((id) => [...batch.get(id)!.days].map(([day, count]) => ({ id, day, count })));
    try {
      const counts = ids.map((id) => batch.get(id)!.count);
      const lastUsed = ids.map((id) => new Date(batch.get(id)!.lastUsedAt).toISOString());
      const dayIds = dayRows.map((row) => row.id);
      const days = dayRows.map((row) => row.day);
      const dayCounts = dayRows.map((row) => row.count);
      const windowIds = sending.map((s) => s.keyId);
      const windowStarts = sending.map((s) => new Date(s.window.start).toISOString());
      const windowSeconds = sending.map((s) => s.window.windowMs / 1000);
      const windowCounts = sending.map((s) => s.count);
      const totals = await this.transactions.crossTenant.rows<{ id: string; start: Date; seconds: number; count: string }>(
        "flush the usage counts of keys",
        sql`WITH usage AS (
           UPDATE api_keys AS k
              SET usage_count = k.usage_count + u.n,
                  last_used_at = GREATEST(k.last_used_at, u.t)
             FROM unnest(${ids}::uuid[], ${counts}::bigint[], ${lastUsed}::timestamptz[]) AS u(id, n, t)
            WHERE k.id = u.id
        RETURNING k.id),
         daily AS (
           INSERT INTO api_key_daily_usage AS d (api_key_id, date, request_count)
           SELECT u.id, u.day, u.n FROM unnest(${dayIds}::uuid[], ${days}::date[], ${dayCounts}::bigint[]) AS u(id, day, n) JOIN usage ON usage.id = u.id
           ON CONFLICT (api_key_id, date) DO UPDATE SET request_count = d.request_count + excluded.request_count),
         windows AS (
           INSERT INTO api_key_rate_windows AS w (api_key_id, window_start, window_seconds, request_count)
           SELECT r.id, r.start, r.seconds, r.n
             FROM unnest(${windowIds}::uuid[], ${windowStarts}::timestamptz[], ${windowSeconds}::int[], ${windowCounts}::bigint[]) AS r(id, start, seconds, n)
             JOIN api_keys k ON k.id = r.id
           ON CONFLICT (api_key_id) DO UPDATE SET
             request_count = CASE WHEN (w.window_start, w.window_seconds) = (excluded.window_start, excluded.window_seconds)
                                  THEN w.request_count + excluded.request_count
                                  WHEN w.window_start < excluded.window_start OR w.window_seconds <> excluded.window_seconds
                                  THEN excluded.request_count
                                  ELSE w.request_count END,
             window_start = CASE WHEN w.window_start < excluded.window_start OR w.window_seconds <> excluded.window_seconds
                                 THEN excluded.window_start ELSE w.window_start END,
             window_seconds = excluded.window_seconds
           RETURNING api_key_id, window_start, window_seconds, request_count)
         SELECT api_key_id AS id, window_start AS start, window_seconds AS seconds, request_count AS count FROM windows`,
      );
      const byId = new Map(totals.map((row) => [row.id, row]));
      for (const { keyId, window, count } of sending) {
        window.inFlight -= count;
        const total = byId.get(keyId);
        // Another process may already have moved the row to a later window: then ours is over.
        if (total && total.start.getTime() === window.start && total.seconds * 1000 === window.windowMs) {
          window.known = Math.max(window.known, Number(total.count));
        } else {
          window.known += count;
        }
      }
    } catch (error) {
      // Put the counts back so the next flush retries them.
      for (const [id, entry] of batch) {
        const newer = this.pending.get(id);
        const days = new Map(entry.days);
        for (const [day, count] of newer?.days ?? []) days.set(day, (days.get(day) ?? 0) + count);
        this.pending.set(id, {
          count: entry.count + (newer?.count ?? 0),
          lastUsedAt: Math.max(entry.lastUsedAt, newer?.lastUsedAt ?? 0),
          days,
        });
      }
      for (const { window, count } of sending) {
        window.inFlight -= count;
        window.unsent += count;
      }
      this.logger.warn({ err: error }, "usage flush failed; will retry");
    }
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.flush();
  }
}

function rateLimited(rateLimit: RateLimit, window: RateWindow, at: number): GraphQLError {
  const retryAfter = Math.max(1, Math.ceil((window.start + window.windowMs - at) / 1000));
  return new GraphQLError(
    `Rate limit of ${rateLimit.limit} requests per ${rateLimit.windowSeconds} s exceeded for this API key; try again in ${retryAfter} s`,
    {
      extensions: {
        code: "RATE_LIMITED",
        retryAfterSeconds: retryAfter,
        http: { status: 429, headers: new Map([["retry-after", String(retryAfter)]]) },
      },
    },
  );
}
