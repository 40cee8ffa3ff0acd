import type { DataSource } from "typeorm";
import type { Logger } from "pino";

/**
 * Counts authenticated requests per key in memory and writes them in one
 * statement per interval: exact counts, `lastUsedAt` at most one interval late,
 * and no row lock on the request path. `stop()` flushes what is left.
 */
export class UsageRecorder {
  private pending = new Map<string, { count: number; lastUsedAt: number }>();
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly dataSource: DataSource,
    private readonly intervalMs: number,
    private readonly logger: Logger,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.flush(), this.intervalMs);
    this.timer.unref();
  }

  record(keyId: string, at = Date.now()): void {
    const entry = this.pending.get(keyId);
    if (entry) {
      entry.count++;
      entry.lastUsedAt = at;
    } else {
      this.pending.set(keyId, { count: 1, lastUsedAt: at });
    }
  }

  flush(): Promise<void> {
    // Chained so two flushes never write the same counts twice.
    this.flushing = this.flushing.then(() => this.write());
    return this.flushing;
  }

  private async write(): Promise<void> {
    if (this.pending.size === 0) return;
    const batch = this.pending;
    this.pending = new Map();
    const ids = [...batch.keys()];
    const counts = ids.map((id) => batch.get(id)!.count);
    const times = ids.map((id) => new Date(batch.get(id)!.lastUsedAt).toISOString());
    try {
      await this.dataSource.query(
        `UPDATE api_keys AS k
            SET usage_count = k.usage_count + u.n,
                last_used_at = GREATEST(k.last_used_at, u.t)
           FROM unnest($1::uuid[], $2::bigint[], $3::timestamptz[]) AS u(id, n, t)
          WHERE k.id = u.id`,
        [ids, counts, times],
      );
    } catch (error) {
      // Put the counts back so the next flush retries them.
      for (const [id, entry] of batch) {
        const newer = this.pending.get(id);
        this.pending.set(id, {
          count: entry.count + (newer?.count ?? 0),
          lastUsedAt: Math.max(entry.lastUsedAt, newer?.lastUsedAt ?? 0),
        });
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
