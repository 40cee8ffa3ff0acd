import { In } from "typeorm";
import type { RequestContext, TenantContext } from "../auth/request-context.js";
import type { Config } from "../config.js";
import { ENVIRONMENT, ORGANIZATION, sql, tenantMatch } from "../db/sql.js";
import { NotificationEventName } from "../entities/enums.js";
import { NotificationEvent } from "../entities/notification-event.js";
import { NotificationTarget, NotificationTargetStatus } from "../entities/notification-target.js";
import { TASKS } from "../jobs/task-names.js";
import type { EventPartitions } from "../db/event-partitions.js";
import { millisecondWindow, paginate, type PageArgs } from "../db/pagination.js";
import type { QueuedAttempt } from "./attempt-jobs.js";
import type { PacedQueue } from "./paced-queue.js";
import { InvalidState, NotFound } from "./domain-errors.js";
import { TimestampFilter, whereTimestamp } from "./notification-targets.js";
import type { Transactions } from "./transaction.js";

export interface NotificationEventFilter {
  name?: NotificationEventName[] | null;
  createdAt?: TimestampFilter | null;
}

/** An event's id and its creation as read from a row that points at it. */
export interface EventKey {
  id: string;
  createdAt: Date;
}

/** The outbox read back: event lists, replay, and the retention sweep. */
export class NotificationEventService {
  constructor(
    private readonly config: Config,
    private readonly transactions: Transactions,
    private readonly partitions: EventPartitions,
    private readonly pacedQueue: PacedQueue,
  ) {}

  findById(ctx: TenantContext, id: string): Promise<NotificationEvent | null> {
    return this.transactions.scope(ctx).findOne(NotificationEvent, { id });
  }

  /**
   * Events by id, each with its creation as another row read it (a delivery's or an attempt's
   * `eventCreatedAt`): the read opens only the partitions of those days (millisecondWindow).
   */
  async findManyByKey(ctx: TenantContext, keys: ReadonlyArray<EventKey>): Promise<Map<string, NotificationEvent>> {
    const { from, to } = millisecondWindow(keys.map((key) => key.createdAt));
    const rows = await this.transactions
      .scope(ctx)
      .query(NotificationEvent, "e")
      .andWhere("e.id IN (:...ids)", { ids: keys.map((key) => key.id) })
      .andWhere("e.createdAt >= :from AND e.createdAt < :to", { from, to })
      .getMany();
    return new Map(rows.map((row) => [row.id, row]));
  }

  async list(ctx: TenantContext, args: PageArgs, filter: NotificationEventFilter | null | undefined) {
    const query = this.transactions.scope(ctx).query(NotificationEvent, "e");
    if (filter?.name?.length) query.andWhere("e.name IN (:...names)", { names: filter.name });
    whereTimestamp(query, "e.createdAt", filter?.createdAt, "createdAt");
    // The daily partitions read newest first, so a page stops at the newest days (PartitionSpan).
    return paginate(query, args, { property: "createdAt", span: await this.partitions.span() });
  }

  /**
   * Sends the event again — same event id, so same `webhook-id` — to the given
   * targets, or to every ACTIVE target subscribed to it; a new run of the retry
   * schedule starts and any retry still waiting is superseded.
   */
  async replay(ctx: TenantContext, eventId: string, targetIds: string[] | null | undefined): Promise<NotificationEvent> {
    return this.transactions.run(ctx, async (tx) => {
      const event = await tx.scope.findOne(NotificationEvent, { id: eventId });
      if (!event) throw new NotFound("Notification event", "notificationEventId");
      if (event.name === NotificationEventName.NOTIFICATION_ACTIVATION) {
        throw new InvalidState("Activation events are sent again by activateNotificationTarget", "notificationEventId");
      }
      let targets: NotificationTarget[];
      if (targetIds?.length) {
        const found = await tx.scope.find(NotificationTarget, { id: In(targetIds) });
        targets = targetIds.map((id, index) => {
          const target = found.find((candidate) => candidate.id === id && candidate.removedAt === null);
          if (!target) throw new NotFound("Notification target", `targetIds.${index}`);
          if (target.status !== NotificationTargetStatus.ACTIVE) {
            throw new InvalidState(`The target is ${target.status}; only ACTIVE targets receive events`, `targetIds.${index}`);
          }
          return target;
        });
      } else {
        targets = await tx.scope
          .query(NotificationTarget, "t")
          .andWhere("t.removedAt IS NULL AND t.status = :active AND t.subscriptions @> ARRAY[:name]::notification_event_name[]", {
            active: NotificationTargetStatus.ACTIVE,
            name: event.name,
          })
          .getMany();
        if (targets.length === 0) throw new InvalidState(`No ACTIVE target subscribes to ${event.name}`, "notificationEventId");
      }
      const deliveries = await tx.scope.rows<QueuedAttempt>(
        sql`INSERT INTO notification_deliveries (organization_id, environment, event_id, event_created_at, target_id, step, next_attempt_at)
            SELECT ${ORGANIZATION}, ${ENVIRONMENT}, e.id, e.created_at, t, 1, now()
              FROM notification_events e CROSS JOIN unnest(${[...new Set(targets.map((target) => target.id))]}::uuid[]) AS t
             WHERE e.id = ${event.id} AND ${tenantMatch("e")}
            ON CONFLICT (event_id, target_id, event_created_at) DO UPDATE
              SET step = notification_deliveries.step + 1, schedule_index = 0, next_attempt_at = now()
            RETURNING id, step, event_created_at::text AS "eventCreatedAt"`,
      );
      await this.pacedQueue.queueAttempts(tx, deliveries);
      await tx.audit("notification_event.replay", event.nodeId);
      return event;
    });
  }

  /** Queues the retention sweep unless one is already waiting (every process calls this at start). */
  async scheduleRetentionSweep(_ctx: RequestContext, runAt = new Date()): Promise<void> {
    await this.transactions.untenanted.rows(
      sql`SELECT graphile_worker.add_job(${TASKS.expireEvents}, '{}'::json, job_key => ${TASKS.expireEvents}, run_at => ${runAt},
                                         job_key_mode => 'preserve_run_at')`,
    );
  }

  /**
   * The retention sweep: creates the coming days' partitions, drops the days whose events have all
   * expired (with their deliveries and attempts: three tables dropped, no row deleted), deletes one by
   * one the events that expired before their day, then queues the next sweep.
   */
  async deleteExpired(ctx: RequestContext): Promise<{ droppedDays: string[]; deletedEvents: number }> {
    await this.partitions.createAhead();
    const droppedDays = await this.partitions.dropExpiredDays();
    const deletedEvents = await this.partitions.deleteExpiredRows(this.config.webhooks.eventRetentionDays);
    await this.scheduleRetentionSweep(ctx, new Date(Date.now() + this.config.webhooks.retentionSweepIntervalMs));
    return { droppedDays, deletedEvents };
  }
}
