import { IsNull } from "typeorm";
import type { TenantContext } from "../auth/request-context.js";
import { ENVIRONMENT, ORGANIZATION, sql, tenantMatch } from "../db/sql.js";
import { NotificationEventRecovery } from "../entities/notification-event-recovery.js";
import { NotificationTarget, NotificationTargetStatus } from "../entities/notification-target.js";
import type { QueuedAttempt } from "./attempt-jobs.js";
import type { PacedQueue } from "./paced-queue.js";
import { InvalidInput, InvalidState, LimitExceeded, NotFound } from "./domain-errors.js";
import type { TenantScope } from "./tenant-scope.js";
import type { Transactions } from "./transaction.js";

/** At most this many events per recovery: a larger range is refused, naming its count, so nothing is half done. */
export const RECOVERY_MAX_EVENTS = 10_000;
/** Events are kept 30 days; a recovery reaches no further back. */
export const RECOVERY_MAX_AGE_DAYS = 30;

const DAY_MS = 86_400_000;

interface Range {
  since: Date;
  until: Date;
}

/** The events of a target's subscriptions created in [since, until) that it has not received successfully. */
const undelivered = (targetId: string, range: Range) => sql`
  FROM notification_events e
  JOIN notification_targets t ON t.id = ${targetId}::uuid AND t.organization_id = e.organization_id AND t.environment = e.environment
 WHERE ${tenantMatch("e")} AND e.name = ANY(t.subscriptions)
   AND e.created_at >= ${range.since} AND e.created_at < ${range.until}
   AND NOT EXISTS (SELECT 1 FROM notification_deliveries d
                    WHERE d.event_id = e.id AND d.event_created_at = e.created_at AND d.target_id = t.id AND ${tenantMatch("d")} AND d.succeeded_at IS NOT NULL)`;

/**
 * After an outage: every event a target missed in a time range, delivered again through the queue
 * (same event ids, so the same webhook-id; the target's rate limit applies), as one audited action.
 */
export class NotificationEventRecoveryService {
  constructor(
    private readonly transactions: Transactions,
    private readonly pacedQueue: PacedQueue,
  ) {}

  /** How many events a recovery of this range would send now. */
  async count(ctx: TenantContext, targetId: string, since: Date, until: Date | null | undefined): Promise<number> {
    return this.countIn(this.transactions.scope(ctx), targetId, this.range(since, until));
  }

  async recover(ctx: TenantContext, targetId: string, since: Date, until: Date | null | undefined): Promise<NotificationEventRecovery> {
    const range = this.range(since, until);
    return this.transactions.run(ctx, async (tx) => {
      // Not locked: deliveries in flight take a key-share lock on their target, and this transaction waits on their rows.
      const target = await tx.scope.findOne(NotificationTarget, { id: targetId, removedAt: IsNull() });
      if (!target) throw new NotFound("Notification target", "targetId");
      if (target.status !== NotificationTargetStatus.ACTIVE) {
        throw new InvalidState(`The target is ${target.status}; only ACTIVE targets receive events`, "targetId");
      }
      const count = await this.countIn(tx.scope, targetId, range);
      if (count > RECOVERY_MAX_EVENTS) {
        throw new LimitExceeded(
          `${count} events match; a recovery sends at most ${RECOVERY_MAX_EVENTS}: split the range (since/until) into smaller ones`,
          "until",
        );
      }
      const rows = await tx.scope.rows<QueuedAttempt & { ord: string }>(
        sql`WITH events AS (SELECT e.id, e.created_at, row_number() OVER (ORDER BY e.created_at, e.id) AS ord ${undelivered(targetId, range)}),
         upserted AS (
           INSERT INTO notification_deliveries (organization_id, environment, event_id, event_created_at, target_id, step, next_attempt_at)
           SELECT ${ORGANIZATION}, ${ENVIRONMENT}, id, created_at, ${targetId}::uuid, 1, now() FROM events
           ON CONFLICT (event_id, target_id, event_created_at) DO UPDATE
             SET step = notification_deliveries.step + 1, schedule_index = 0, next_attempt_at = now()
             WHERE notification_deliveries.succeeded_at IS NULL
           RETURNING id, step, event_id, event_created_at)
         SELECT u.id, u.step, u.event_created_at::text AS "eventCreatedAt", e.ord FROM upserted u JOIN events e ON e.id = u.event_id ORDER BY e.ord`,
      );
      await this.pacedQueue.queueAttempts(tx, rows);
      const recovery = await tx.scope.save(
        tx.scope.create(NotificationEventRecovery, { targetId, since: range.since, until: range.until, eventCount: rows.length }),
      );
      await tx.audit("notification_target.recover_events", recovery.nodeId);
      recovery.target = target;
      return recovery;
    });
  }

  private async countIn(scope: TenantScope, targetId: string, range: Range): Promise<number> {
    const [{ count }] = await scope.rows<{ count: number }>(sql`SELECT count(*)::int AS count ${undelivered(targetId, range)}`);
    return count;
  }

  private range(since: Date, until: Date | null | undefined): Range {
    const now = Date.now();
    const end = until ?? new Date(now);
    if (since.getTime() < now - RECOVERY_MAX_AGE_DAYS * DAY_MS) {
      throw new InvalidInput(`since must be within the last ${RECOVERY_MAX_AGE_DAYS} days (events are kept that long)`, "since");
    }
    if (since.getTime() >= end.getTime()) throw new InvalidInput("until must be later than since", "until");
    return { since, until: end };
  }
}
