import type { Logger } from "pino";
import { systemContext, type RequestContext } from "../auth/request-context.js";
import type { Config } from "../config.js";
import { millisecondWindow } from "../db/pagination.js";
import { ENVIRONMENT, ORGANIZATION, Sql, sql, tenantMatch } from "../db/sql.js";
import { DeliveryAttemptStatus } from "../entities/delivery-attempt.js";
import { Environment, NotificationEventName } from "../entities/enums.js";
import { NotificationEvent } from "../entities/notification-event.js";
import { NotificationTarget, NotificationTargetStatus } from "../entities/notification-target.js";
import type { Metrics } from "../metrics.js";
import { decodeId } from "../db/ids.js";
import type { NotificationTargetService } from "./notification-targets.js";
import { answeredWith2xx, type OutboundHttp, type OutboundResponse } from "./outbound-http.js";
import type { SigningKeyService } from "./signing-keys.js";
import { tenantKey, type TenantScope } from "./tenant-scope.js";
import type { Transaction, Transactions } from "./transaction.js";
import { addAttemptJobs, type AttemptJob } from "./attempt-jobs.js";
import type { PacedQueue } from "./paced-queue.js";
import { RETRY_AFTER_STATUSES, retryAfterMs } from "./retry-after.js";
import { signatureHeaders } from "./webhook-signature.js";

/**
 * Reserves the next send slot of a paced target: the slot is the later of now and the target's
 * next_send_at, which moves on by 1.1 / limit seconds. Atomic, so processes never share a slot.
 * The 10 % keeps the limit at the receiver too, where scheduling and the network may bring requests closer together.
 */
const reserveSendSlot = (targetId: string) => sql`
  WITH old AS (
    SELECT id, max_deliveries_per_second AS per_second, greatest(coalesce(next_send_at, clock_timestamp()), clock_timestamp()) AS slot
      FROM notification_targets WHERE id = ${targetId} AND ${tenantMatch("notification_targets")} FOR NO KEY UPDATE)
  UPDATE notification_targets t SET next_send_at = old.slot + make_interval(secs => 1.1 / old.per_second)
    FROM old WHERE t.id = old.id AND ${tenantMatch("t")} AND old.per_second IS NOT NULL
  RETURNING greatest(0, extract(epoch FROM old.slot - clock_timestamp()) * 1000)::float8 AS wait_ms`;

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

/** One attempt to record: which delivery and step, how it ended, the error to show, and its event's creation. */
interface AttemptOutcome {
  job: AttemptJob;
  success: boolean;
  response: OutboundResponse;
  errorMessage: string | null;
  /** As read back (to the millisecond): the deliveries are looked up within these times' days only. */
  eventCreatedAt: Date;
}

/**
 * Records attempts and, for each whose job is still the delivery's current one, moves the
 * delivery to the next step: a re-run of a job (after a crash before graphile-worker
 * marked it done) finds itself stale and sends nothing. One statement, so it is atomic
 * even outside a transaction, and the same text for one attempt or many (the fan-out records
 * an event's successes together). Rows are reached by `id = ANY`, a key lookup in every plan
 * a connection keeps, within their events' times (`millisecondWindow`), so that only those days'
 * partitions are opened: by id alone, every day's index was probed for every id, twice.
 * Returns, per delivery, `current` = its job was still the current one.
 */
const recordAttemptsStatement = (attempts: AttemptOutcome[]) => {
  const ids = sql`${attempts.map(({ job }) => job.deliveryId)}::uuid[]`;
  const { from, to } = millisecondWindow(attempts.map(({ eventCreatedAt }) => eventCreatedAt));
  const inTheirDays = (alias: string) => sql`${Sql.raw(alias)}.event_created_at >= ${from} AND ${Sql.raw(alias)}.event_created_at < ${to}`;
  const steps = attempts.map(({ job }) => job.step);
  const successes = attempts.map(({ success }) => success);
  const statuses = attempts.map(({ response }) => response.httpStatus);
  const durations = attempts.map(({ response }) => response.durationMs);
  const bodies = attempts.map(({ response }) => response.responseBody);
  const errors = attempts.map(({ errorMessage }) => errorMessage);
  return sql`
  WITH input AS (
    SELECT * FROM unnest(${ids}, ${steps}::int[], ${successes}::boolean[], ${statuses}::int[], ${durations}::int[],
                         ${bodies}::text[], ${errors}::text[])
           AS i(id, step, success, http_status, duration_ms, response_body, error_message)),
  old AS (SELECT id, step FROM notification_deliveries
           WHERE id = ANY(${ids}) AND ${inTheirDays("notification_deliveries")} AND ${tenantMatch("notification_deliveries")} FOR UPDATE),
  d AS (
    UPDATE notification_deliveries d SET
      attempt_count = d.attempt_count + 1,
      succeeded_at = CASE WHEN i.success THEN coalesce(d.succeeded_at, now()) ELSE d.succeeded_at END,
      step = CASE WHEN old.step = i.step THEN old.step + 1 ELSE d.step END,
      next_attempt_at = CASE WHEN old.step = i.step THEN NULL ELSE d.next_attempt_at END
    FROM old JOIN input i ON i.id = old.id
    WHERE d.id = ANY(${ids}) AND ${inTheirDays("d")} AND d.id = old.id AND ${tenantMatch("d")}
    RETURNING d.id, d.event_id, d.event_created_at, d.target_id, d.attempt_count, d.step, d.schedule_index,
              i.success, old.step = i.step AS current),
  a AS (
    INSERT INTO delivery_attempts (organization_id, environment, delivery_id, event_id, event_created_at, target_id, attempt_number,
                                   status, http_status, duration_ms, response_body, error_message)
    SELECT ${ORGANIZATION}, ${ENVIRONMENT}, d.id, d.event_id, d.event_created_at, d.target_id, d.attempt_count,
           CASE WHEN i.success THEN ${DeliveryAttemptStatus.SUCCESS} ELSE ${DeliveryAttemptStatus.FAILURE} END::delivery_attempt_status,
           i.http_status, i.duration_ms, i.response_body, i.error_message
      FROM d JOIN input i ON i.id = d.id),
  t AS (
    UPDATE notification_targets t SET failing_since = NULL FROM d
     WHERE d.success AND d.current AND t.id = d.target_id AND ${tenantMatch("t")} AND t.failing_since IS NOT NULL)
  SELECT id, step, schedule_index, current FROM d`;
};

/**
 * Gathers the successful first attempts of a tenant's fan-outs that answer within the same millisecond and records
 * them together: one statement for an event's targets, and for the events of the same tenant sent at the same time,
 * instead of one each. `taken` runs when a batch is taken, before it is written (the service then starts a new one).
 */
class SuccessRecorder {
  private waiting: Array<AttemptOutcome & { done: (error?: Error) => void }> = [];
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly write: (attempts: AttemptOutcome[]) => Promise<unknown>,
    private readonly taken: () => void = () => {},
  ) {}

  record(attempt: AttemptOutcome): Promise<void> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ ...attempt, done: (error) => (error ? reject(error) : resolve()) });
      this.timer ??= setTimeout(() => void this.flush(), 1);
    });
  }

  private async flush(): Promise<void> {
    const batch = this.waiting;
    this.waiting = [];
    this.timer = null;
    this.taken();
    try {
      await this.write(batch);
      for (const attempt of batch) attempt.done();
    } catch (error) {
      const failure = error instanceof Error ? error : new Error("recording the attempts failed");
      for (const attempt of batch) attempt.done(failure);
    }
  }
}

interface DeliveryRow {
  step: number;
  organization_id: string;
  environment: Environment;
  event_id: string;
  target_id: string;
  name: NotificationEventName;
  data: Record<string, unknown>;
  created_at: Date;
  /** The delivery's event_created_at as PostgreSQL writes it (a Date would drop the microseconds): its partition's key. */
  event_created_at_text: string;
  uri: string;
  status: NotificationTargetStatus;
  removed_at: Date | null;
  updated_at: Date;
  max_deliveries_per_second: number | null;
}

/**
 * Signing keys are cached per target version (updated_at changes on rotation, in any
 * process) for at most this long, so a key that expired meanwhile signs for at most
 * that much longer — harmless, receivers ignore signatures they cannot match.
 */
const KEY_CACHE_MS = 10_000;

/**
 * A job's read of its row by id: when the job carries its event's time (as PostgreSQL writes it), the row's partition
 * key is matched too, so that only that day's partition is opened; a job queued before it carried the time is read by
 * id alone. The two are different texts, so each is its own named statement: the name follows the condition.
 */
function inItsDay(column: string, time: string | undefined, name: string): { condition: Sql; name: string } {
  return time === undefined
    ? { condition: Sql.raw(""), name }
    : { condition: sql` AND ${Sql.raw(column)} = ${time}::timestamptz`, name: `${name}_in_its_day` };
}

/**
 * A fan-out job's payload. `createdAt` (the event's, as PostgreSQL writes it, to the microsecond) reaches the event
 * in its own day's partition: by id alone, every day's index is probed. Jobs queued before it was written carry only
 * the id, and are read that way.
 */
export interface FanOutJob {
  eventId: string;
  createdAt?: string;
}

/** The row the attempt statement returns, with the wait the receiver asked for (recordAttempt adds it). */
type RecordedAttempt = { step: number; schedule_index: number; current: boolean; retry_after_ms?: number | null };

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
  /** Per tenant, the batch of successes waiting for its millisecond (see successRecorder). */
  private readonly successRecorders = new Map<string, SuccessRecorder>();

  constructor(
    private readonly config: Config,
    private readonly transactions: Transactions,
    private readonly outboundHttp: OutboundHttp,
    private readonly signingKeys: SigningKeyService,
    private readonly targets: NotificationTargetService,
    private readonly logger: Logger,
    private readonly metrics: Metrics,
    private readonly pacedQueue: PacedQueue,
  ) {}

  /**
   * One delivery per recipient; run twice (a crash before the job completed), it adds nothing. The first attempts
   * to unlimited targets that are not failing are sent here, concurrently (`webhooks.inlineFirstAttempts`): that
   * spares a queued job, its claim and completion, and the delivery's read, per delivery. Every other first attempt
   * is queued (failing targets, activations) or waits for the paced queue (rate-limited targets), so a slow target
   * does not hold the event's other targets.
   * A re-run sends the first attempts that were never recorded, with the same webhook-id.
   */
  async fanOut(_ctx: RequestContext, { eventId, createdAt }: FanOutJob): Promise<void> {
    // The hot statements run as named (prepared) statements, planned once per connection.
    const read = inItsDay("created_at", createdAt, "keyway_fan_out_event");
    const [row] = await this.transactions.crossTenant.rows<{
      organization_id: string;
      environment: Environment;
      name: NotificationEventName;
      data: Record<string, unknown>;
      target: string | null;
      created_at: Date;
      /** As text: a Date would drop the microseconds, and event_created_at must equal it. */
      created_at_text: string;
    }>(
      "job worker: the event to fan out",
      sql`SELECT organization_id, environment, name, data, data->>'id' AS target, created_at, created_at::text AS created_at_text
            FROM notification_events WHERE id = ${eventId}${read.condition}`,
      read.name,
    );
    if (!row) return; // expired and deleted before it was fanned out
    // An activation event goes to the one target being activated; any other to the ACTIVE subscribers.
    const activationTarget =
      row.name === NotificationEventName.NOTIFICATION_ACTIVATION ? decodeId("WebhookNotificationTarget", String(row.target)) : null;
    const target = sql`${activationTarget}::uuid`;
    const inline = sql`${this.config.webhooks.inlineFirstAttempts && activationTarget === null}::boolean`;
    const scope = this.transactions.scope({ organizationId: row.organization_id, environment: row.environment });
    type Send = Omit<
      DeliveryRow,
      "organization_id" | "environment" | "event_id" | "name" | "data" | "created_at" | "event_created_at_text"
    > & {
      id: string;
      awaiting_queue: boolean;
    };
    // One row of nulls when nothing is sent here (the LEFT JOIN below).
    const rows = await scope.rows<Send | { [column in keyof Send]: null }>(
      sql`WITH recipients AS (
         SELECT t.id, t.max_deliveries_per_second AS per_second, t.uri, t.status, t.removed_at, t.updated_at,
                ${inline} AND t.max_deliveries_per_second IS NULL AND t.failing_since IS NULL AS inline
           FROM notification_targets t
          WHERE t.organization_id = ${ORGANIZATION}::uuid AND t.environment = ${ENVIRONMENT}::environment AND t.removed_at IS NULL
            AND CASE WHEN ${target} IS NULL THEN t.status = 'ACTIVE' AND t.subscriptions @> ARRAY[${row.name}::notification_event_name]
                     ELSE t.id = ${target} AND t.status = 'PENDING_VERIFICATION' END),
       created AS (
         INSERT INTO notification_deliveries (organization_id, environment, event_id, event_created_at, target_id, step, next_attempt_at,
                                              awaiting_queue)
         SELECT ${ORGANIZATION}::uuid, ${ENVIRONMENT}::environment, ${eventId}::uuid, ${row.created_at_text}::timestamptz, id, 1, now(),
                ${target} IS NULL AND per_second IS NOT NULL
           FROM recipients
         ON CONFLICT (event_id, target_id, event_created_at) DO NOTHING RETURNING id, step, target_id, awaiting_queue),
       unattempted AS (
         SELECT d.id, d.step, d.target_id, d.awaiting_queue FROM notification_deliveries d
          WHERE d.event_id = ${eventId}::uuid AND d.event_created_at = ${row.created_at_text}::timestamptz AND ${tenantMatch("d")}
            AND d.step = 1 AND d.attempt_count = 0),
       pending AS (
         SELECT p.id, p.step, p.target_id, p.awaiting_queue, r.per_second, r.inline, r.uri, r.status, r.removed_at, r.updated_at
           FROM (SELECT * FROM created UNION ALL SELECT * FROM unattempted) p JOIN recipients r ON r.id = p.target_id),
       queued AS (SELECT id, step, ${row.created_at_text}::timestamptz AS event_created_at, target_id, per_second
                    FROM pending WHERE NOT inline AND NOT awaiting_queue),
       jobs AS (${addAttemptJobs("queued", sql`now()`)})
       -- The jobs' count on the left: read whether or not any delivery is sent here, so the jobs are always added.
       SELECT p.id, p.step, p.target_id, p.uri, p.status, p.removed_at, p.updated_at, p.per_second AS max_deliveries_per_second,
              p.awaiting_queue
         FROM (SELECT count(*) FROM jobs) AS queued_jobs LEFT JOIN pending p ON p.inline OR p.awaiting_queue`,
      "keyway_fan_out",
    );
    // A limited target's first attempts wait for the paced queue, which this process now feeds.
    for (const waiting of rows) if (waiting.awaiting_queue) this.pacedQueue.wake(scope.ctx, waiting.target_id);
    const sends = rows.filter((send): send is Send => send.id !== null && !send.awaiting_queue);
    if (sends.length === 0) return;
    const event = {
      organization_id: row.organization_id,
      environment: row.environment,
      event_id: eventId,
      name: row.name,
      data: row.data,
      created_at: row.created_at,
      event_created_at_text: row.created_at_text,
    };
    const successes = this.successRecorder(scope);
    await Promise.all(
      sends.map(({ id, awaiting_queue: _waiting, ...send }) =>
        this.send(scope, { deliveryId: id, step: send.step }, { ...event, ...send }, successes),
      ),
    );
  }

  /**
   * The tenant's open batch of successes (seam: one record statement per tenant and millisecond instead of one per
   * event; 10,000 events × 5 receivers, alternating builds: 1,750–1,984 → 2,009–2,446 deliveries/s). A batch holds
   * one tenant's rows only, so its statement stays tenant-scoped.
   */
  private successRecorder(scope: TenantScope): SuccessRecorder {
    const key = tenantKey(scope.ctx);
    let recorder = this.successRecorders.get(key);
    if (!recorder) {
      const created = new SuccessRecorder(
        (attempts) => scope.rows(recordAttemptsStatement(attempts), "keyway_record_attempts"),
        () => {
          if (this.successRecorders.get(key) === created) this.successRecorders.delete(key);
        },
      );
      this.successRecorders.set(key, created);
      recorder = created;
    }
    return recorder;
  }

  /**
   * One POST of a delivery. Stale jobs (superseded by a replay, or re-run after a crash) do nothing.
   * `paced`: the job runs in its target's queue and may reserve a send slot.
   */
  async attempt(_ctx: RequestContext, job: AttemptJob, paced: boolean): Promise<void> {
    const read = inItsDay("d.event_created_at", job.eventCreatedAt, "keyway_delivery");
    const [row] = await this.transactions.crossTenant.rows<DeliveryRow>(
      "job worker: the delivery to attempt",
      sql`SELECT d.step, d.organization_id, d.environment, d.event_id, d.target_id, d.event_created_at::text AS event_created_at_text,
              e.name, e.data, e.created_at, t.uri, t.status, t.removed_at, t.updated_at,
              t.max_deliveries_per_second
         FROM notification_deliveries d
        CROSS JOIN LATERAL (
              SELECT e.name, e.data, e.created_at FROM notification_events e
               WHERE e.id = d.event_id AND e.created_at = d.event_created_at AND e.organization_id = d.organization_id AND e.environment = d.environment
              OFFSET 0) e
         JOIN notification_targets t ON t.id = d.target_id AND t.organization_id = d.organization_id AND t.environment = d.environment
        WHERE d.id = ${job.deliveryId}${read.condition}`,
      read.name,
    );
    if (!row || row.step !== job.step) return;
    const scope = this.transactions.scope({ organizationId: row.organization_id, environment: row.environment });
    const activation = row.name === NotificationEventName.NOTIFICATION_ACTIVATION;
    const wanted = activation ? NotificationTargetStatus.PENDING_VERIFICATION : NotificationTargetStatus.ACTIVE;
    if (row.removed_at || row.status !== wanted) {
      await scope.rows(
        sql`UPDATE notification_deliveries SET next_attempt_at = NULL, step = step + 1
             WHERE id = ${job.deliveryId} AND event_created_at = ${row.event_created_at_text}::timestamptz
               AND ${tenantMatch("notification_deliveries")} AND step = ${job.step}`,
      );
      return;
    }
    if (row.max_deliveries_per_second !== null) {
      // Queued before the target got its limit: move to the target's queue, where sends are paced.
      if (!paced)
        return this.transactions.run(this.systemContextOf(row), (tx) =>
          this.pacedQueue.queueAttempts(tx, [{ id: job.deliveryId, step: job.step, eventCreatedAt: row.event_created_at_text }]),
        );
    }

    return this.send(scope, job, row);
  }

  /** Signs and POSTs one attempt, records it and, on failure, schedules the next. */
  private async send(scope: TenantScope, job: AttemptJob, row: DeliveryRow, successes?: SuccessRecorder): Promise<void> {
    const activation = row.name === NotificationEventName.NOTIFICATION_ACTIVATION;
    const event = Object.assign(new NotificationEvent(), {
      id: row.event_id,
      name: row.name,
      data: row.data,
      createdAt: row.created_at,
      environment: row.environment,
    });
    const body = deliveryBody(event);
    const secrets = await this.secrets(scope, row);
    const headers = signatureHeaders(secrets, event.nodeId, body);
    // The slot is reserved last, with everything else ready: nothing but the POST stands between a
    // slot and its send, so the spacing of the slots is the spacing the receiver sees.
    if (row.max_deliveries_per_second !== null) await this.waitForSendSlot(scope, row.target_id);
    const response = await this.outboundHttp.postJson(
      row.uri,
      row.environment,
      body,
      headers,
      activation ? this.config.webhooks.activationTimeoutMs : this.config.webhooks.timeoutMs,
    );
    const success = answeredWith2xx(response);
    this.metrics.deliveryOutcomes.inc({ outcome: success ? "success" : "failure" });
    if (success && !activation) {
      if (successes)
        await successes.record({ job, success, response, errorMessage: response.errorMessage, eventCreatedAt: row.created_at });
      else await this.recordAttempt(scope, job, success, response, row.created_at);
      return;
    }
    // Failures and activations change more than the delivery: the attempt and its consequences commit together.
    await this.transactions.run(this.systemContextOf(row), async (tx) => {
      const recorded = await this.recordAttempt(tx.scope, job, success, response, row.created_at);
      if (!recorded.current) return; // a replay took over; it schedules its own attempts
      const outcome = response.httpStatus !== null ? `HTTP ${response.httpStatus}` : (response.errorMessage ?? "no response");
      if (activation) return this.settleActivation(tx, row.target_id, success, outcome);
      if (response.httpStatus === 410) {
        return this.deactivate(tx, row.target_id, `HTTP 410 Gone answered to event ${event.nodeId}: the receiver asked to stop`);
      }
      const [failing] = await tx.scope.rows<{ failing_since: Date }>(
        sql`UPDATE notification_targets SET failing_since = coalesce(failing_since, now())
             WHERE id = ${row.target_id} AND ${tenantMatch("notification_targets")} RETURNING failing_since`,
      );
      const failingForMs = Date.now() - failing.failing_since.getTime();
      if (failingForMs >= this.config.webhooks.failureDeactivationMs) {
        return this.deactivate(tx, row.target_id, `every delivery failed for ${Math.round(failingForMs / 3_600_000)} h (last: ${outcome})`);
      }
      const nextIndex = recorded.schedule_index + 1;
      const schedule = this.config.webhooks.retryScheduleMs;
      if (nextIndex >= schedule.length) return; // the schedule is spent
      const runAt = new Date(Date.now() + Math.max(schedule[nextIndex], recorded.retry_after_ms ?? 0));
      await tx.scope.rows(
        sql`UPDATE notification_deliveries SET schedule_index = ${nextIndex}, next_attempt_at = ${runAt}
             WHERE id = ${job.deliveryId} AND event_created_at = ${row.event_created_at_text}::timestamptz
               AND ${tenantMatch("notification_deliveries")}`,
      );
      await this.pacedQueue.queueAttempts(
        tx,
        [{ id: job.deliveryId, step: recorded.step, eventCreatedAt: row.event_created_at_text }],
        runAt,
      );
    });
  }

  /** In the scope's transaction, or on its own as a prepared statement (a single statement is atomic). */
  private async recordAttempt(
    scope: TenantScope,
    job: AttemptJob,
    success: boolean,
    response: OutboundResponse,
    eventCreatedAt: Date,
  ): Promise<RecordedAttempt> {
    const retryAfter = this.retryAfter(response);
    const errorMessage = retryAfter ? [response.errorMessage, retryAfter.note].filter(Boolean).join("; ") : response.errorMessage;
    const [recorded] = await scope.rows<RecordedAttempt>(
      recordAttemptsStatement([{ job, success, response, errorMessage, eventCreatedAt }]),
      "keyway_record_attempts",
    );
    return { ...recorded, retry_after_ms: retryAfter?.ms ?? null };
  }

  /**
   * A 429 or 503 with Retry-After: the next attempt waits at least that long, but never longer than
   * the schedule's longest delay (a receiver cannot park its deliveries for days). Recorded on the
   * attempt's errorMessage, so the wait is visible where the answer is.
   */
  private retryAfter(response: OutboundResponse): { ms: number; note: string } | null {
    if (response.httpStatus === null || !RETRY_AFTER_STATUSES.has(response.httpStatus)) return null;
    const asked = retryAfterMs(response.retryAfter, Date.now());
    if (asked === null) return null;
    const longest = Math.max(...this.config.webhooks.retryScheduleMs);
    const ms = Math.min(asked, longest);
    const seconds = (value: number) => `${Math.round(value / 100) / 10} s`;
    const note =
      ms < asked
        ? `Retry-After asked for ${seconds(asked)}; the next attempt waits the longest retry delay, ${seconds(ms)}`
        : `Retry-After: the next attempt waits at least ${seconds(ms)}`;
    return { ms, note };
  }

  /** Waits for this delivery's send slot of a rate-limited target (a few slots away at most: one per queue of the target). */
  private async waitForSendSlot(scope: TenantScope, targetId: string): Promise<void> {
    const [slot] = await scope.rows<{ wait_ms: number }>(reserveSendSlot(targetId), "keyway_reserve_send_slot");
    if (slot && slot.wait_ms > 0) await new Promise((resolve) => setTimeout(resolve, Math.ceil(slot.wait_ms)));
  }

  /** Keyway's own context in the delivery's tenant, built only where a step needs one (not on the plain success path). */
  private systemContextOf(row: DeliveryRow) {
    return systemContext(row.organization_id, row.environment, new Set());
  }

  private async secrets(scope: TenantScope, row: DeliveryRow): Promise<string[]> {
    const version = row.updated_at.getTime();
    const cached = this.keyCache.get(row.target_id);
    if (cached && cached.version === version && Date.now() - cached.at < KEY_CACHE_MS) return cached.secrets;
    const ctx = this.systemContextOf(row);
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
