import { EventEmitter } from "node:events";
import { Logger as WorkerLogger, makeWorkerUtils, run, Runner, TaskList, WorkerEvents } from "graphile-worker";
import type { Logger } from "pino";
import { Pool } from "pg";
import { WorkerLiveness } from "./worker-liveness.js";

/**
 * Workers of the paced runner. Each idle worker is woken by every job added anywhere and then reads the queue past
 * the other tasks' jobs, so idle paced workers cost the others; a few workers, each running one of a limited target's
 * queues at a time, keep up with the limits. Measured with one target at 20/s (4 queues) beside four unlimited ones,
 * their deliveries/s with / without the limited target (median of 3 alternating rounds, two sessions each): 8 workers
 * 0.72 and 0.75, 4 workers 0.80 and 0.84, 2 workers 0.73 with the limited target below its limit (13–15/s).
 */
const PACED_CONCURRENCY = 4;

/**
 * The job queue (graphile-worker on the same PostgreSQL). Jobs are added inside
 * the mutation's transaction (see Transaction.emit), so a job exists exactly
 * when its change committed.
 */
export async function startWorker(
  databaseUrl: string,
  taskList: TaskList,
  concurrency: number,
  logger: Logger,
  liveness: { heartbeatMs: number; staleMs: number },
  pacedTaskList: TaskList,
): Promise<{ runner: Runner; stop: () => Promise<void> }> {
  // Our own pool with error listeners on the pool and on every client: a database
  // shutdown (57P01) must not crash the process.
  const pool = new Pool({ connectionString: databaseUrl, max: 2 * concurrency + 4, application_name: "keyway-worker" });
  pool.on("error", (error) => logger.warn({ err: error }, "job queue pool error"));
  pool.on("connect", (client) => client.on("error", (error) => logger.warn({ err: error }, "job queue client error")));

  const workerLogger = new WorkerLogger((scope) => (level, message, meta) => {
    const log = logger.child({ component: "worker", ...scope });
    // LogLevel is a const enum with no runtime object (swc cannot inline it), so compare its string values.
    const severity: string = level;
    if (severity === "error") log.error(meta ?? {}, message);
    else if (severity === "warning") log.warn(meta ?? {}, message);
    else log.debug(meta ?? {}, message);
  });

  // The pool id is what graphile-worker writes into locked_by; the heartbeat vouches for it.
  const poolIds: string[] = [];
  const events: WorkerEvents = new EventEmitter();
  events.on("pool:create", ({ workerPool }) => poolIds.push(workerPool.id));

  const runner = await run({
    pgPool: pool,
    events,
    taskList,
    concurrency,
    noHandleSignals: true,
    // Fetch jobs in batches and mark them done in batches: a few queries per hundred jobs
    // instead of two per job. A job done but not yet marked when the process dies runs
    // again; every task tolerates that (deliveries check their step, fan-out is idempotent).
    preset: { worker: { localQueue: { size: concurrency * 2 }, completeJobBatchDelay: 0, failJobBatchDelay: 0 } },
    pollInterval: 1000,
    logger: workerLogger,
  });
  // Paced deliveries (targets with a rate limit) run in a second runner without a local queue: with one,
  // graphile-worker 0.17 may run several jobs of one named queue at once, and each of a target's queues
  // must hold at most one job running, so that a limited target occupies a few paced workers, never the others'.
  const pacedRunner = await run({
    pgPool: pool,
    events,
    taskList: pacedTaskList,
    concurrency: Math.min(concurrency, PACED_CONCURRENCY),
    noHandleSignals: true,
    pollInterval: 1000,
    logger: workerLogger,
  });
  const utils = await makeWorkerUtils({ pgPool: pool, logger: workerLogger });
  const heartbeats = poolIds.map((id) => new WorkerLiveness(pool, utils, id, liveness.heartbeatMs, liveness.staleMs, logger));
  for (const heartbeat of heartbeats) await heartbeat.start();
  return {
    runner,
    stop: async () => {
      for (const heartbeat of heartbeats) await heartbeat.stop();
      await pacedRunner.stop();
      await runner.stop();
      await utils.release();
      await pool.end();
    },
  };
}
