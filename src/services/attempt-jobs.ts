import { Sql, sql, tenantMatch } from "../db/sql.js";
import { TASKS } from "../jobs/task-names.js";
import type { Transaction } from "./transaction.js";

/**
 * The attempt job's payload: which delivery, and which scheduled attempt of it. `eventCreatedAt` (the delivery's
 * event_created_at, as PostgreSQL writes it, to the microsecond) reaches the delivery in its own day's partition: by
 * id alone, every day's index is probed. Jobs queued before it was written carry only the id, and are read that way.
 */
export interface AttemptJob {
  deliveryId: string;
  step: number;
  eventCreatedAt?: string;
}

/** A delivery to queue an attempt of: its id, the step to attempt, and its event's creation (event_created_at as text). */
export interface QueuedAttempt {
  id: string;
  step: number;
  eventCreatedAt: string;
}

/**
 * SQL queuing attempt jobs for the rows of `source` (columns id, step, event_created_at, target_id, per_second) in one
 * add_jobs call: one NOTIFY to the workers instead of one per job. No job key: a job that is no
 * longer the delivery's current step finds out itself and does nothing. Deliveries to a target with
 * a rate limit go to the paced task, in one of the target's named queues: one per 5 deliveries/s of
 * its limit (at most 32), so a limited target keeps up with its limit even when each job is slow,
 * while holding only that many workers. Paced jobs have priority -1, first in the order the workers read the queue:
 * a paced worker finds them without reading past the other tasks' backlog, and the main workers' batched claims
 * read past at most the few paced jobs queued (a limited target's backlog waits in the paced queue, paced-queue.ts).
 */
export const addAttemptJobs = (source: string, runAt: Sql) =>
  sql`SELECT graphile_worker.add_jobs(array_agg(ROW(
     CASE WHEN per_second IS NOT NULL THEN ${Sql.raw(`'${TASKS.attemptPacedDelivery}'`)} ELSE ${Sql.raw(`'${TASKS.attemptDelivery}'`)} END,
     json_build_object('deliveryId', id, 'step', step, 'eventCreatedAt', event_created_at::text),
     CASE WHEN per_second IS NOT NULL
          THEN 'keyway-target:' || target_id || ':' || floor(random() * least(32, ceil(per_second / 5.0)))::int END,
     ${runAt}, NULL, NULL, CASE WHEN per_second IS NOT NULL THEN -1 END, NULL)::graphile_worker.job_spec))
   FROM ${Sql.raw(source)} HAVING count(*) > 0`;

/**
 * Queues one attempt job per delivery, in the caller's transaction, in the order given: each job
 * runs a microsecond after the one before, so they start in that order (strictly so for a target
 * limited to at most 5/s, which has one queue). Deliveries to rate-limited targets due now (replays,
 * recoveries) wait for the paced queue instead; the caller wakes it for the targets returned, once committed.
 */
export async function queueAttempts(tx: Transaction, deliveries: QueuedAttempt[], runAt: Date | null = null): Promise<string[]> {
  if (deliveries.length === 0) return [];
  const ids = deliveries.map((d) => d.id);
  const steps = deliveries.map((d) => d.step);
  const times = deliveries.map((d) => d.eventCreatedAt);
  const rows = await tx.scope.rows<{ target_id: string | null }>(
    sql`WITH d AS (
       SELECT u.id, u.step, u.ord, u.event_created_at, nd.target_id, t.max_deliveries_per_second AS per_second,
              t.max_deliveries_per_second IS NOT NULL AND ${runAt}::timestamptz IS NULL AS paced_now
         FROM unnest(${ids}::uuid[], ${steps}::int[], ${times}::timestamptz[]) WITH ORDINALITY AS u(id, step, event_created_at, ord)
         JOIN notification_deliveries nd ON nd.id = u.id AND nd.event_created_at = u.event_created_at AND ${tenantMatch("nd")}
         JOIN notification_targets t ON t.id = nd.target_id AND t.organization_id = nd.organization_id AND t.environment = nd.environment
        ORDER BY u.ord),
     waiting AS (
       UPDATE notification_deliveries w SET awaiting_queue = true FROM d
        WHERE w.id = d.id AND w.event_created_at = d.event_created_at AND ${tenantMatch("w")} AND d.paced_now RETURNING w.target_id),
     queued AS (SELECT * FROM d WHERE NOT d.paced_now),
     jobs AS (${addAttemptJobs("queued", sql`coalesce(${runAt}::timestamptz, now()) + (queued.ord - 1) * interval '1 microsecond'`)})
     -- The jobs' count on the left, so that they are added whether or not any delivery waits.
     SELECT DISTINCT waiting.target_id FROM (SELECT count(*) FROM jobs) AS queued_jobs LEFT JOIN waiting ON true`,
  );
  return rows.flatMap((row) => (row.target_id === null ? [] : [row.target_id]));
}
