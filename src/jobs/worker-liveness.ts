import type { WorkerUtils } from "graphile-worker";
import type { Pool } from "pg";
import type { Logger } from "pino";

/**
 * graphile-worker 0.17 locks a job to its process (the worker pool id) and only
 * retries a job whose lock is 4 hours old, so a SIGKILLed process would hold its
 * jobs for hours. Each process records a heartbeat for its pool id; any process
 * releases (`forceUnlockWorkers`) the jobs of pools that stopped beating for
 * `staleMs`. A live process keeps its jobs however long they run.
 */
export class WorkerLiveness {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> = Promise.resolve();

  constructor(
    private readonly pool: Pool,
    private readonly utils: WorkerUtils,
    private readonly workerId: string,
    private readonly heartbeatMs: number,
    private readonly staleMs: number,
    private readonly logger: Logger,
  ) {}

  async start(): Promise<void> {
    await this.tick();
    this.timer = setInterval(() => {
      this.running = this.running.then(() => this.tick());
    }, this.heartbeatMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.running;
    // A clean stop unlocks its own jobs already (graphile-worker); the row just goes.
    await this.pool.query("DELETE FROM job_worker_heartbeats WHERE worker_id = $1", [this.workerId]).catch(() => {});
  }

  private async tick(): Promise<void> {
    try {
      await this.pool.query(
        `INSERT INTO job_worker_heartbeats (worker_id, seen_at) VALUES ($1, now())
         ON CONFLICT (worker_id) DO UPDATE SET seen_at = now()`,
        [this.workerId],
      );
      await this.releaseStale();
    } catch (error) {
      this.logger.warn({ err: error }, "job queue heartbeat failed");
    }
  }

  /** Pools holding a job locked longer than staleMs without a heartbeat as recent: dead. */
  private async releaseStale(): Promise<void> {
    const { rows } = await this.pool.query<{ locked_by: string }>(
      `SELECT DISTINCT j.locked_by FROM graphile_worker.jobs j
        WHERE j.locked_by IS NOT NULL AND j.locked_at < now() - make_interval(secs => $1::float8 / 1000)
          AND NOT EXISTS (SELECT 1 FROM job_worker_heartbeats h
                           WHERE h.worker_id = j.locked_by AND h.seen_at > now() - make_interval(secs => $1::float8 / 1000))`,
      [this.staleMs],
    );
    await this.pool.query("DELETE FROM job_worker_heartbeats WHERE seen_at < now() - interval '1 day'");
    if (rows.length === 0) return;
    const dead = rows.map((row) => row.locked_by);
    await this.utils.forceUnlockWorkers(dead);
    await this.pool.query("DELETE FROM job_worker_heartbeats WHERE worker_id = ANY($1)", [dead]);
    this.logger.warn({ workers: dead }, "released jobs locked by job-queue processes that stopped");
  }
}
