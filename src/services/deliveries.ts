import type { Logger } from "pino";
import type { DataSource } from "typeorm";
import { systemContext } from "../auth/request-context.js";
import type { Config } from "../config.js";
import { DeliveryAttempt, DeliveryAttemptStatus } from "../entities/delivery-attempt.js";
import { Environment, NotificationEventName } from "../entities/enums.js";
import { NotificationEvent } from "../entities/notification-event.js";
import { NotificationTarget, NotificationTargetStatus } from "../entities/notification-target.js";
import { TASKS } from "../jobs/task-names.js";
import { decodeId } from "../schema/ids.js";
import type { NotificationTargetService } from "./notification-targets.js";
import type { OutboundHttp, OutboundResponse } from "./outbound-http.js";
import type { SigningKeyService } from "./signing-keys.js";
import type { Transaction, Transactions } from "./transaction.js";
import { signatureHeaders } from "./webhook-signature.js";

/** The attempt job's payload: which delivery, and which scheduled attempt of it. */
export interface AttemptJob {
  deliveryId: string;
  step: number;
}

/** Queues one attempt job per delivery; the job key makes a replay replace a retry still waiting. */
export async function queueAttempts(tx: Pick<Transaction, "em">, deliveries: Array<{ id: string; step: number }>, runAt: Date | null = null): Promise<void> {
  if (deliveries.length === 0) return;
  await tx.em.query(
    `SELECT graphile_worker.add_job($1, json_build_object('deliveryId', d.id, 'step', d.step), job_key => 'delivery:' || d.id, run_at => $4)
       FROM unnest($2::uuid[], $3::int[]) AS d(id, step)`,
    [TASKS.attemptDelivery, deliveries.map((d) => d.id), deliveries.map((d) => d.step), runAt],
  );
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

interface DeliveryRow {
  step: number;
  schedule_index: number;
  event_id: string;
  target_id: string;
  organization_id: string;
  environment: Environment;
}

/**
 * Moves committed events to targets: the fan-out job writes one delivery per
 * subscribed target and queues its first attempt; each attempt job POSTs, records
 * a DeliveryAttempt and, on failure, queues the next attempt on the configured
 * schedule — in one transaction, so a crash repeats at most the POST in flight,
 * always with the same `webhook-id`.
 */
export class DeliveryService {
  constructor(
    private readonly config: Config,
    private readonly dataSource: DataSource,
    private readonly transactions: Transactions,
    private readonly outboundHttp: OutboundHttp,
    private readonly signingKeys: SigningKeyService,
    private readonly targets: NotificationTargetService,
    private readonly logger: Logger,
  ) {}

  /** One delivery per recipient; run twice (a crash before the job completed), it adds nothing. */
  async fanOut(eventId: string): Promise<void> {
    const event = await this.dataSource.manager.findOneBy(NotificationEvent, { id: eventId });
    if (!event) return; // expired and deleted before it was fanned out
    const ctx = systemContext(event.organizationId, event.environment, new Set());
    await this.transactions.run(ctx, async (tx) => {
      const query = tx.scope.query(NotificationTarget, "t").select("t.id", "id").andWhere("t.removedAt IS NULL");
      if (event.name === NotificationEventName.NOTIFICATION_ACTIVATION) {
        query.andWhere("t.id = :id AND t.status = :pending", {
          id: decodeId("WebhookNotificationTarget", String(event.data.id)),
          pending: NotificationTargetStatus.PENDING_VERIFICATION,
        });
      } else {
        query.andWhere("t.status = :active AND t.subscriptions @> ARRAY[:name]::notification_event_name[]", {
          active: NotificationTargetStatus.ACTIVE,
          name: event.name,
        });
      }
      const targetIds = (await query.getRawMany<{ id: string }>()).map((row) => row.id);
      if (targetIds.length === 0) return;
      const created: Array<{ id: string; step: number }> = await tx.em.query(
        `INSERT INTO notification_deliveries (organization_id, environment, event_id, target_id, step, next_attempt_at)
         SELECT $1, $2, $3, t, 1, now() FROM unnest($4::uuid[]) AS t
         ON CONFLICT (event_id, target_id) DO NOTHING RETURNING id, step`,
        [event.organizationId, event.environment, event.id, targetIds],
      );
      await queueAttempts(tx, created);
    });
  }

  /** One POST of a delivery. Stale jobs (superseded by a replay, or re-run after a crash) do nothing. */
  async attempt(job: AttemptJob): Promise<void> {
    const [row]: DeliveryRow[] = await this.dataSource.query(
      `SELECT d.step, d.schedule_index, d.event_id, d.target_id, d.organization_id, d.environment
         FROM notification_deliveries d WHERE d.id = $1`,
      [job.deliveryId],
    );
    if (!row || row.step !== job.step) return;
    const scope = this.transactions.scope({ organizationId: row.organization_id, environment: row.environment });
    const [event, target] = await Promise.all([
      scope.findOne(NotificationEvent, { id: row.event_id }),
      scope.findOne(NotificationTarget, { id: row.target_id }),
    ]);
    if (!event || !target) return;
    const activation = event.name === NotificationEventName.NOTIFICATION_ACTIVATION;
    const wanted = activation ? NotificationTargetStatus.PENDING_VERIFICATION : NotificationTargetStatus.ACTIVE;
    if (target.removedAt || target.status !== wanted) {
      await this.dataSource.query("UPDATE notification_deliveries SET next_attempt_at = NULL WHERE id = $1 AND step = $2", [job.deliveryId, job.step]);
      return;
    }

    const keys = await this.signingKeys.validKeys(scope, target.id);
    const body = deliveryBody(event);
    const response = await this.outboundHttp.postJson(
      target.uri,
      target.environment,
      body,
      signatureHeaders(keys.map((key) => key.secret), event.nodeId, body),
      activation ? this.config.webhooks.activationTimeoutMs : this.config.webhooks.timeoutMs,
    );
    await this.record(job, row, target.id, activation, response);
  }

  private async record(job: AttemptJob, row: DeliveryRow, targetId: string, activation: boolean, response: OutboundResponse): Promise<void> {
    const success = response.httpStatus !== null && response.httpStatus >= 200 && response.httpStatus < 300;
    const ctx = systemContext(row.organization_id, row.environment, new Set());
    await this.transactions.run(ctx, async (tx) => {
      // The row lock orders this against a concurrent replay; attempt numbers stay unique.
      const [[delivery]]: [[{ attempt_count: number; step: number; schedule_index: number }]] = await tx.em.query(
        `UPDATE notification_deliveries SET attempt_count = attempt_count + 1,
           succeeded_at = CASE WHEN $2 THEN coalesce(succeeded_at, now()) ELSE succeeded_at END
         WHERE id = $1 RETURNING attempt_count, step, schedule_index`,
        [job.deliveryId, success],
      );
      await tx.em.insert(
        DeliveryAttempt,
        tx.scope.create(DeliveryAttempt, {
          deliveryId: job.deliveryId,
          eventId: row.event_id,
          targetId,
          attemptNumber: delivery.attempt_count,
          status: success ? DeliveryAttemptStatus.SUCCESS : DeliveryAttemptStatus.FAILURE,
          httpStatus: response.httpStatus,
          durationMs: response.durationMs,
          responseBody: response.responseBody,
          errorMessage: response.errorMessage,
        }),
      );
      if (delivery.step !== job.step) return; // a replay took over; it schedules its own attempts

      const outcome = response.httpStatus !== null ? `HTTP ${response.httpStatus}` : response.errorMessage ?? "no response";
      if (activation) {
        await this.settleActivation(tx, targetId, success, outcome);
        await this.scheduleNext(tx, job, null);
        return;
      }
      if (success) {
        await tx.em.query("UPDATE notification_targets SET failing_since = NULL WHERE id = $1 AND failing_since IS NOT NULL", [targetId]);
        await this.scheduleNext(tx, job, null);
        return;
      }
      if (response.httpStatus === 410) {
        await this.deactivate(tx, targetId, `HTTP 410 Gone answered to event ${row.event_id}: the receiver asked to stop`);
        await this.scheduleNext(tx, job, null);
        return;
      }
      const [[failing]]: [[{ failing_since: Date }]] = await tx.em.query(
        "UPDATE notification_targets SET failing_since = coalesce(failing_since, now()) WHERE id = $1 RETURNING failing_since",
        [targetId],
      );
      const failingForMs = Date.now() - failing.failing_since.getTime();
      if (failingForMs >= this.config.webhooks.failureDeactivationMs) {
        await this.deactivate(tx, targetId, `every delivery failed for ${Math.round(failingForMs / 3_600_000)} h (last: ${outcome})`);
        await this.scheduleNext(tx, job, null);
        return;
      }
      const nextIndex = delivery.schedule_index + 1;
      const schedule = this.config.webhooks.retryScheduleMs;
      await this.scheduleNext(tx, job, nextIndex < schedule.length ? { index: nextIndex, delayMs: schedule[nextIndex] } : null);
    });
  }

  /** Queues the next attempt of the schedule, or records that none is due. */
  private async scheduleNext(tx: Transaction, job: AttemptJob, next: { index: number; delayMs: number } | null): Promise<void> {
    if (!next) {
      await tx.em.query("UPDATE notification_deliveries SET next_attempt_at = NULL WHERE id = $1", [job.deliveryId]);
      return;
    }
    const runAt = new Date(Date.now() + next.delayMs);
    await tx.em.query("UPDATE notification_deliveries SET step = step + 1, schedule_index = $2, next_attempt_at = $3 WHERE id = $1", [
      job.deliveryId,
      next.index,
      runAt,
    ]);
    await queueAttempts(tx, [{ id: job.deliveryId, step: job.step + 1 }], runAt);
  }

  private async settleActivation(tx: Transaction, targetId: string, success: boolean, outcome: string): Promise<void> {
    const target = await tx.scope.findOneForUpdate(NotificationTarget, { id: targetId });
    if (!target || target.status !== NotificationTargetStatus.PENDING_VERIFICATION) return;
    await this.targets.setStatus(
      tx.scope,
      target,
      success ? NotificationTargetStatus.ACTIVE : NotificationTargetStatus.ACTIVATION_FAILED,
      `activation event answered ${outcome}`,
    );
    await tx.scope.save(target);
  }

  private async deactivate(tx: Transaction, targetId: string, reason: string): Promise<void> {
    const target = await tx.scope.findOneForUpdate(NotificationTarget, { id: targetId });
    if (!target || target.status !== NotificationTargetStatus.ACTIVE) return;
    await this.targets.setStatus(tx.scope, target, NotificationTargetStatus.DEACTIVATED, reason);
    await tx.scope.save(target);
    this.logger.info({ targetId: target.nodeId, reason }, "notification target deactivated");
  }
}
