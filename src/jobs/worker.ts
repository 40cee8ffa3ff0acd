import { Logger as WorkerLogger, run, Runner, TaskList } from "graphile-worker";
import type { Logger } from "pino";
import { Pool } from "pg";

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
): Promise<{ runner: Runner; stop: () => Promise<void> }> {
  // Our own pool with error listeners on the pool and on every client: a database
  // shutdown (57P01) must not crash the process.
  const pool = new Pool({ connectionString: databaseUrl, max: concurrency + 2, application_name: "keyway-worker" });
  pool.on("error", (error) => logger.warn({ err: error }, "job queue pool error"));
  pool.on("connect", (client) => client.on("error", (error) => logger.warn({ err: error }, "job queue client error")));

  const workerLogger = new WorkerLogger((scope) => (level, message, meta) => {
    const log = logger.child({ component: "worker", ...scope });
    if (level === "error") log.error(meta ?? {}, message);
    else if (level === "warning") log.warn(meta ?? {}, message);
    else log.debug(meta ?? {}, message);
  });

  const runner = await run({
    pgPool: pool,
    taskList,
    concurrency,
    noHandleSignals: true,
    pollInterval: 1000,
    logger: workerLogger,
  });
  return {
    runner,
    stop: async () => {
      await runner.stop();
      await pool.end();
    },
  };
}
