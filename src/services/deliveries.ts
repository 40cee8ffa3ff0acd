import type { Logger } from "pino";
import type { Pool } from "pg";
import type { DataSource, EntityManager } from "typeorm";
import type { PostgresDriver } from "typeorm/driver/postgres/PostgresDriver.js";
import { systemContext, type RequestContext } from "../auth/request-context.js";
import type { Config } from "../config.js";
import { DeliveryAttemptStatus } from "../entities/delivery-attempt.js";
import { Environment, NotificationEventName } from "../entities/enums.js";
import { NotificationEvent } from "../entities/notification-event.js";
import { NotificationTarget, NotificationTargetStatus } from "../entities/notification-target.js";
import { TASKS } from "../jobs/task-names.js";
import type { Metrics } from "../metrics.js";
import { decodeId } from "../db/ids.js";
import type { NotificationTargetService } from "./notification-targets.js";
import { answeredWith2xx, type OutboundHttp, type OutboundResponse } from "./outbound-http.js";
import type { SigningKeyService } from "./signing-keys.js";
import type { Transaction, Transactions } from "./transaction.js";
import { signatureHeaders } from "./webhook-signature.js";

/** The attempt job's payload: which delivery, and which scheduled attempt of it. */
export interface AttemptJob {
  deliveryId: string;
  step: number;
}

/**
 * SQL queuing attempt jobs for the rows of `source` (columns id, step) in one add_jobs
 * call: one NOTIFY to the workers instead of one per job. No job key: a job that is
 * no longer the delivery's current step finds out itself and does nothing.
 */
const addAttemptJobs = (source: string, runAt: string) =>
  `SELECT graphile_worker.add_jobs(array_agg(ROW('${TASKS.attemptDelivery}', json_build_object('deliveryId', id, 'step', step),
     NULL, ${runAt}, NULL, NULL, NULL, NULL)::graphile_worker.job_spec)) FROM ${source} HAVING count(*) > 0`;

/** Queues one attempt job per delivery, in the caller's transaction. */
export async function queueAttempts(
  tx: Transaction,
  deliveries: Array<{ id: string; step: number }>,
  runAt: Date | null = null,
): Promise<void> {
  if (deliveries.length === 0) return;
  await tx.em.query(`WITH d AS (SELECT * FROM unnest($1::uuid[], $2::int[]) AS d(id, step)) ${addAttemptJobs("d", "$3::timestamptz")}`, [
    deliveries.map((d) => d.id),
    deliveries.map((d) => d.step),
    runAt,
  ]);
}

/** The body every receiver gets (Standard Webhooks with Keyway's `environment`). */
export function deliveryBody(event: NotificationEvent): string {
  return JSON.stringify({
    id: event.nodeId,
    type: event.name,
    timestamp: event.createdAt.toISOString(),
    environment: event.environment,
    data: event.data,
  });
}

/**
 * Records one attempt and, when the job is still the delivery's current one, moves the
 * delivery to the next step: a re-run of this job (after a crash before graphile-worker
 * marked it done) finds itself stale and sends nothing. One statement, so it is atomic
 * even outside a transaction. Returns `current` = the job was still the current one.
 */
const RECORD_ATTEMPT = `
  WITH old AS (SELECT id, step FROM notification_deliveries WHERE id = $1 FOR UPDATE),
  d AS (
    UPDATE notification_deliveries d SET
      attempt_count = d.attempt_count + 1,
      succeeded_at = CASE WHEN $3::boolean THEN coalesce(d.succeeded_at, now()) ELSE d.succeeded_at END,
      step = CASE WHEN old.step = $2::int THEN old.step + 1 ELSE d.step END,
      next_attempt_at = CASE WHEN old.step = $2 THEN NULL ELSE d.next_attempt_at END
    FROM old WHERE d.id = old.id
    RETURNING d.organization_id, d.environment, d.event_id, d.event_created_at, d.target_id, d.attempt_count, d.step, d.schedule_index, old.step = $2 AS current),
  a AS (
    INSERT INTO delivery_attempts (organization_id, environment, delivery_id, event_id, event_created_at, target_id, attempt_number,
                                   status, http_status, duration_ms, response_body, error_message)
    SELECT organization_id, environment, $1, event_id, event_created_at, target_id, attempt_count,
           $4::delivery_attempt_status, $5::int, $6::int, $7::text, $8::text FROM d),
  t AS (
    UPDATE notification_targets t SET failing_since = NULL FROM d
     WHERE $3 AND d.current AND t.id = d.target_id AND t.failing_since IS NOT NULL)
  SELECT step, schedule_index, current FROM d`;

interface DeliveryRow {
  step: number;
  organization_id: string;
  environment: Environment;
  event_id: string;
  target_id: string;
  name: NotificationEventName;
  data: Record<string, unknown>;
  created_at: Date;
  uri: string;
  status: NotificationTargetStatus;
  removed_at: Date | null;
  updated_at: Date;
}

/**
 * Signing keys are cached per target version (updated_at changes on rotation, in any
 * process) for at most this long, so a key that expired meanwhile signs for at most
 * that much longer — harmless, receivers ignore signatures they cannot match.
 */
const KEY_CACHE_MS = 10_000;

/** The row RECORD_ATTEMPT returns. */
type RecordedAttempt = { step: number; schedule_index: number; current: boolean };

/**
 * Moves committed events to targets: the fan-out job writes one delivery per
 * subscribed target and queues its first attempt; each attempt job POSTs, records
 * a DeliveryAttempt and, on failure, queues the next attempt on the configured
 * schedule — atomically, so a crash repeats at most the POST in flight, always with
 * the same `webhook-id`. This is the hot path of the benchmark: reads and writes are
 * single SQL statements, each matching every row to the delivery's organization and
 * environment.
 */
export class DeliveryService {
  private keyCache = new Map<string, { at: number; version: number; secrets: string[] }>();
  /** The pool under TypeORM: the hot statements run as named (prepared) statements, planned once per connection. */
  private readonly pool: Pool;

  constructor(
    private readonly config: Config,
    private readonly dataSource: DataSource,
    private readonly transactions: Transactions,
    private readonly outboundHttp: OutboundHttp,
    private readonly signingKeys: SigningKeyService,
    private readonly targets: NotificationTargetService,
    private readonly logger: Logger,
    private readonly metrics: Metrics,
  ) {
    this.pool = (dataSource.driver as PostgresDriver).master as Pool;
  }

  private async prepared<T>(name: string, text: string, values: unknown[]): Promise<T[]> {
    return (await this.pool.query({ name, text, values })).rows as T[];
  }

  /** One delivery per recipient, with its first attempt queued; run twice (a crash before the job completed), it adds nothing. */
  async fanOut(ctx: RequestContext, eventId: string): Promise<void> {
    const [row] = await this.prepared<{
      organization_id: string;
      environment: Environment;
      name: NotificationEventName;
      target: string | null;
      /** As text: a Date would drop the microseconds, and event_created_at must equal it. */
      created_at: string;
    }>(
      "keyway_fan_out_event",
      "SELECT organization_id, environment, name, data->>'id' AS target, created_at::text FROM notification_events WHERE id = $1",
      [eventId],
    );
    if (!row) return; // expired and deleted before it was fanned out
    // An activation event goes to the one target being activated; any other to the ACTIVE subscribers.
    const activationTarget =
      row.name === NotificationEventName.NOTIFICATION_ACTIVATION ? decodeId("WebhookNotificationTarget", String(row.target)) : null;
    await this.prepared(
      "keyway_fan_out",
      `WITH recipients AS (
         SELECT t.id FROM notification_targets t
          WHERE t.organization_id = $1::uuid AND t.environment = $2::environment AND t.removed_at IS NULL
            AND CASE WHEN $5::uuid IS NULL THEN t.status = 'ACTIVE' AND t.subscriptions @> ARRAY[$4::notification_event_name]
                     ELSE t.id = $5::uuid AND t.status = 'PENDING_VERIFICATION' END),
       created AS (
         INSERT INTO notification_deliveries (organization_id, environment, event_id, event_created_at, target_id, step, next_attempt_at)
         SELECT $1::uuid, $2::environment, $3::uuid, $6::timestamptz, id, 1, now() FROM recipients
         ON CONFLICT (event_id, target_id, event_created_at) DO NOTHING RETURNING id, step)
       ${addAttemptJobs("created", "now()")}`,
      [row.organization_id, row.environment, eventId, row.name, activationTarget, row.created_at],
    );
  }

  /** One POST of a delivery. Stale jobs (superseded by a replay, or re-run after a crash) do nothing. */
  async attempt(ctx: RequestContext, job: AttemptJob): Promise<void> {
    const [row] = await this.prepared<DeliveryRow>(
      "keyway_delivery",
      `SELECT d.step, d.organization_id, d.environment, d.event_id, d.target_id,
              e.name, e.data, e.created_at, t.uri, t.status, t.removed_at, t.updated_at
         FROM notification_deliveries d
         JOIN notification_events e ON e.id = d.event_id AND e.created_at = d.event_created_at AND e.organization_id = d.organization_id AND e.environment = d.environment
         JOIN notification_targets t ON t.id = d.target_id AND t.organization_id = d.organization_id AND t.environment = d.environment
        WHERE d.id = $1`,
      [job.deliveryId],
    );
    if (!row || row.step !== job.step) return;
    const activation = row.name === NotificationEventName.NOTIFICATION_ACTIVATION;
    const wanted = activation ? NotificationTargetStatus.PENDING_VERIFICATION : NotificationTargetStatus.ACTIVE;
    if (row.removed_at || row.status !== wanted) {
      await this.dataSource.query(
        "UPDATE notification_deliveries SET next_attempt_at = NULL, step = step + 1 WHERE id = $1 AND step = $2",
        [job.deliveryId, job.step],
      );
      return;
    }

    const event = Object.assign(new NotificationEvent(), {
      id: row.event_id,
      name: row.name,
      data: row.data,
      createdAt: row.created_at,
      environment: row.environment,
    });
    const body = deliveryBody(event);
    const secrets = await this.secrets(row);
    const response = await this.outboundHttp.postJson(
      row.uri,
      row.environment,
      body,
      signatureHeaders(secrets, event.nodeId, body),
      activation ? this.config.webhooks.activationTimeoutMs : this.config.webhooks.timeoutMs,
    );
    const success = answeredWith2xx(response);
    this.metrics.deliveryOutcomes.inc({ outcome: success ? "success" : "failure" });
    if (success && !activation) {
      await this.recordAttempt(null, job, success, response);
      return;
    }
    // Failures and activations change more than the delivery: the attempt and its consequences commit together.
    const tenant = systemContext(row.organization_id, row.environment, new Set());
    await this.transactions.run(tenant, async (tx) => {
      const recorded = await this.recordAttempt(tx.em, job, success, response);
      if (!recorded.current) return; // a replay took over; it schedules its own attempts
      const outcome = response.httpStatus !== null ? `HTTP ${response.httpStatus}` : (response.errorMessage ?? "no response");
      if (activation) return this.settleActivation(tx, row.target_id, success, outcome);
      if (response.httpStatus === 410) {
        return this.deactivate(tx, row.target_id, `HTTP 410 Gone answered to event ${event.nodeId}: the receiver asked to stop`);
      }
      const [[failing]]: [[{ failing_since: Date }]] = await tx.em.query(
        "UPDATE notification_targets SET failing_since = coalesce(failing_since, now()) WHERE id = $1 RETURNING failing_since",
        [row.target_id],
      );
      const failingForMs = Date.now() - failing.failing_since.getTime();
      if (failingForMs >= this.config.webhooks.failureDeactivationMs) {
        return this.deactivate(tx, row.target_id, `every delivery failed for ${Math.round(failingForMs / 3_600_000)} h (last: ${outcome})`);
      }
      const nextIndex = recorded.schedule_index + 1;
      const schedule = this.config.webhooks.retryScheduleMs;
      if (nextIndex >= schedule.length) return; // the schedule is spent
      const runAt = new Date(Date.now() + schedule[nextIndex]);
      await tx.em.query("UPDATE notification_deliveries SET schedule_index = $2, next_attempt_at = $3 WHERE id = $1", [
        job.deliveryId,
        nextIndex,
        runAt,
      ]);
      await queueAttempts(tx, [{ id: job.deliveryId, step: recorded.step }], runAt);
    });
  }

  /** In `em`'s transaction, or on its own (a single statement is atomic). */
  private async recordAttempt(
    em: EntityManager | null,
    job: AttemptJob,
    success: boolean,
    response: OutboundResponse,
  ): Promise<RecordedAttempt> {
    const values = [
      job.deliveryId,
      job.step,
      success,
      success ? DeliveryAttemptStatus.SUCCESS : DeliveryAttemptStatus.FAILURE,
      response.httpStatus,
      response.durationMs,
      response.responseBody,
      response.errorMessage,
    ];
    const [recorded] = em
      ? await em.query<RecordedAttempt[]>(RECORD_ATTEMPT, values)
      : await this.prepared<RecordedAttempt>("keyway_record_attempt", RECORD_ATTEMPT, values);
    return recorded;
  }

  private async secrets(row: DeliveryRow): Promise<string[]> {
    const version = row.updated_at.getTime();
    const cached = this.keyCache.get(row.target_id);
    if (cached && cached.version === version && Date.now() - cached.at < KEY_CACHE_MS) return cached.secrets;
    const ctx = systemContext(row.organization_id, row.environment, new Set());
    const secrets = (await this.signingKeys.validKeys(ctx, row.target_id)).map((key) => key.secret);
    if (this.keyCache.size > 10_000) this.keyCache.clear();
    this.keyCache.set(row.target_id, { at: Date.now(), version, secrets });
    return secrets;
  }

  private async settleActivation(tx: Transaction, targetId: string, success: boolean, outcome: string): Promise<void> {
    const target = await tx.scope.findOneForUpdate(NotificationTarget, { id: targetId });
    if (!target || target.status !== NotificationTargetStatus.PENDING_VERIFICATION) return;
    await this.targets.setStatus(
      tx,
      target,
      success ? NotificationTargetStatus.ACTIVE : NotificationTargetStatus.ACTIVATION_FAILED,
      `activation event answered ${outcome}`,
    );
    await tx.scope.save(target);
  }

  private async deactivate(tx: Transaction, targetId: string, reason: string): Promise<void> {
    const target = await tx.scope.findOneForUpdate(NotificationTarget, { id: targetId });
    if (!target || target.status !== NotificationTargetStatus.ACTIVE) return;
    await this.targets.setStatus(tx, target, NotificationTargetStatus.DEACTIVATED, reason);
    await tx.scope.save(target);
    this.logger.info({ targetId: target.nodeId, reason }, "notification target deactivated");
  }
}
