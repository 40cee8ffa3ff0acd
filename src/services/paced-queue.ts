import type { Logger } from "pino";
import { sql, tenantMatch } from "../db/sql.js";
import type { Environment } from "../entities/enums.js";
import { addAttemptJobs, queueAttempts, type QueuedAttempt } from "./attempt-jobs.js";
import type { TenantScope } from "./tenant-scope.js";
import type { Transaction, Transactions } from "./transaction.js";

/** A waiting target is fed this often, up to QUEUED_SECONDS of its limit queued. */
const FEED_INTERVAL_MS = 500;
/**
 * How many seconds of a target's limit may be queued at once. With one second fed once a second, the target
 * received 14.5/s of its 20 (the queue ran dry between feeds); topped up twice a second, it stays fed.
 */
const QUEUED_SECONDS = 1;
/** A target whose limit was removed while deliveries waited is fed this many at a time. */
const UNLIMITED_BATCH = 1000;
/** How often each process looks for waiting deliveries nobody is feeding (their process stopped or crashed). */
const SWEEP_INTERVAL_MS = 30_000;

/**
 * One feed of a target: moves its oldest waiting deliveries into the job queue (their flag cleared and their jobs
 * added in one statement, so a crash leaves each either waiting or queued), as many as `seconds` of the target's
 * limit less those of the previous feeds not yet attempted (`queued`: due, and no attempt recorded since), so the
 * job queue holds about that many of the target's deliveries however far behind the target is. Returns the ids
 * still queued, with the span of their events' times, and whether more wait; `calls` is read so that the jobs are added.
 * The queued deliveries are looked up within that span, so that only its days' partitions are opened: by id alone, every
 * day's index was probed for every id, twice a second.
 */
const feedStatement = (targetId: string, queued: Queued, seconds: number) => sql`
  WITH target AS (
    SELECT max_deliveries_per_second AS per_second FROM notification_targets
     WHERE id = ${targetId} AND ${tenantMatch("notification_targets")}),
  still AS (
    SELECT q.id, q.event_created_at FROM notification_deliveries q
     WHERE q.id = ANY(${queued.ids}::uuid[]) AND q.event_created_at >= ${queued.from}::timestamptz
       AND q.event_created_at <= ${queued.to}::timestamptz AND ${tenantMatch("q")} AND q.next_attempt_at <= now()),
  picked AS (
    SELECT w.id, w.event_created_at FROM notification_deliveries w
     WHERE w.target_id = ${targetId} AND w.awaiting_queue AND ${tenantMatch("w")}
     ORDER BY w.event_created_at, w.id
     LIMIT greatest(0, coalesce((SELECT ceil(per_second * ${seconds}::float8)::int FROM target), ${UNLIMITED_BATCH}) - (SELECT count(*) FROM still))
       FOR UPDATE SKIP LOCKED),
  moved AS (
    UPDATE notification_deliveries d SET awaiting_queue = false FROM picked p
     WHERE d.id = p.id AND d.event_created_at = p.event_created_at AND ${tenantMatch("d")}
    RETURNING d.id, d.step, d.event_created_at, d.target_id, (SELECT per_second FROM target) AS per_second),
  jobs AS (${addAttemptJobs("moved", sql`now()`)}),
  queued AS (SELECT id, event_created_at FROM still UNION ALL SELECT id, event_created_at FROM moved)
  SELECT (SELECT count(*) FROM jobs)::int AS calls, q.queued, q.queued_from, q.queued_to,
         EXISTS (SELECT 1 FROM notification_deliveries m
                  WHERE m.target_id = ${targetId} AND m.awaiting_queue AND ${tenantMatch("m")}
                    AND m.id NOT IN (SELECT id FROM picked)) AS more
    FROM (SELECT coalesce(array_agg(id), '{}')::text[] AS queued, min(event_created_at)::text AS queued_from,
                 max(event_created_at)::text AS queued_to FROM queued) AS q`;

/** A target's deliveries queued by this process and not started at its last feed, with the span of their events' times (as text: to the microsecond). */
interface Queued {
  ids: string[];
  from: string | null;
  to: string | null;
}

const NONE_QUEUED: Queued = { ids: [], from: null, to: null };

interface Feeding {
  scope: TenantScope;
  /** Woken while feeding: look again before stopping. */
  again: boolean;
}

/**
 * Deliveries to rate-limited targets, queued at the targets' pace. The fan-out marks a limited target's first
 * attempts as waiting (notification_deliveries.awaiting_queue) instead of adding one job each, as do replays and
 * recoveries (queueAttempts below), and wakes this process's feeder of that target, which keeps up to a second's
 * worth of them in the job queue while any wait.
 * A backlog of thousands of a slow target's deliveries so stays in its own partial index, not in the job queue,
 * where every fan-out's job insert met it (graphile-worker's locks on the target's named queues, each insert's
 * NOTIFY) and every claim read past it. Feeds of one target from several processes take different rows (SKIP
 * LOCKED); the send slots keep the limit whoever sends. Every SWEEP_INTERVAL_MS, and at start, each process wakes
 * the feeders of targets with deliveries waiting, so none is left behind by a process that stopped.
 */
export class PacedQueue {
  private readonly feeding = new Map<string, Feeding>();
  /** Per target, the deliveries this process queued that had not started at its last feed: a new feeder counts them too. */
  private readonly queuedOf = new Map<string, Queued>();
  private readonly loops = new Set<Promise<void>>();
  private readonly sleeps = new Set<() => void>();
  private sweepTimer: NodeJS.Timeout | null = null;
  private stopped = false;

  constructor(
    private readonly transactions: Transactions,
    private readonly logger: Logger,
  ) {}

  /**
   * Queues attempts in the caller's transaction (queueAttempts); those due now to rate-limited targets wait
   * instead, and this process feeds their targets once the transaction has committed.
   */
  async queueAttempts(tx: Transaction, deliveries: QueuedAttempt[], runAt: Date | null = null): Promise<void> {
    const waiting = await queueAttempts(tx, deliveries, runAt);
    if (waiting.length > 0) tx.afterCommit(() => waiting.forEach((targetId) => this.wake(tx.ctx, targetId)));
  }

  /** Deliveries to `targetId` wait to be queued: feed them from this process, now, unless it already does. */
  wake(tenant: TenantScope["ctx"], targetId: string): void {
    if (this.stopped) return;
    const running = this.feeding.get(targetId);
    if (running) {
      running.again = true;
      return;
    }
    const feeding: Feeding = { scope: this.transactions.scope(tenant), again: false };
    this.feeding.set(targetId, feeding);
    const loop = this.feed(feeding, targetId).catch((error: unknown) => {
      // Left waiting: the next wake or sweep feeds them.
      if (this.feeding.get(targetId) === feeding) this.feeding.delete(targetId);
      if (!this.stopped) this.logger.warn({ err: error, targetId }, "feeding a rate-limited target's deliveries failed");
    });
    this.loops.add(loop);
    void loop.finally(() => this.loops.delete(loop));
  }

  private async feed(feeding: Feeding, targetId: string): Promise<void> {
    let queued = this.queuedOf.get(targetId) ?? NONE_QUEUED;
    while (!this.stopped) {
      feeding.again = false;
      const [fed] = await feeding.scope.rows<{ queued: string[]; queued_from: string | null; queued_to: string | null; more: boolean }>(
        feedStatement(targetId, queued, QUEUED_SECONDS),
        "keyway_feed_paced_target",
      );
      queued = { ids: fed.queued, from: fed.queued_from, to: fed.queued_to };
      if (queued.ids.length > 0) this.queuedOf.set(targetId, queued);
      else this.queuedOf.delete(targetId);
      // Decided and left in the same turn of the event loop: a wake after this starts a new feeder.
      if (!fed.more && !feeding.again) {
        this.feeding.delete(targetId);
        return;
      }
      await this.sleep(FEED_INTERVAL_MS);
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.sleeps.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.sleeps.add(done);
    });
  }

  /** Wakes the feeders of every target with deliveries waiting, now and every SWEEP_INTERVAL_MS. */
  async start(): Promise<void> {
    await this.sweep();
    this.sweepTimer = setInterval(() => {
      this.sweep().catch((error: unknown) => this.logger.warn({ err: error }, "looking for waiting rate-limited deliveries failed"));
    }, SWEEP_INTERVAL_MS).unref();
  }

  private async sweep(): Promise<void> {
    const waiting = await this.transactions.crossTenant.rows<{ organization_id: string; environment: Environment; target_id: string }>(
      "paced queue: targets with deliveries waiting",
      sql`SELECT DISTINCT organization_id, environment, target_id FROM notification_deliveries WHERE awaiting_queue`,
    );
    for (const row of waiting) {
      this.wake({ organizationId: row.organization_id, environment: row.environment }, row.target_id);
    }
  }

  /** Stops feeding; what waits stays waiting, for this process's next start or another process. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    for (const wake of [...this.sleeps]) wake();
    await Promise.allSettled([...this.loops]);
  }
}
