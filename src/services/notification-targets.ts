import { IsNull } from "typeorm";
import type { TenantContext } from "../auth/request-context.js";
import type { Config } from "../config.js";
import { DeliveryAttempt } from "../entities/delivery-attempt.js";
import { NotificationEventName } from "../entities/enums.js";
import { NotificationDelivery } from "../entities/notification-delivery.js";
import { NotificationTarget, NotificationTargetStatus } from "../entities/notification-target.js";
import { NotificationTargetStatusChange } from "../entities/notification-target-status-change.js";
import type { EventPartitions } from "../db/event-partitions.js";
import { millisecondWindow, paginate, type PageArgs } from "../db/pagination.js";
import { InvalidInput, InvalidState, NotFound } from "./domain-errors.js";
import { cleanName } from "./names.js";
import { assertMayCreate } from "./plans.js";
import type { OutboundHttp } from "./outbound-http.js";
import type { SigningKeyService } from "./signing-keys.js";
import type { TenantScope } from "./tenant-scope.js";
import type { Transaction, Transactions } from "./transaction.js";

export interface NewNotificationTarget {
  name: string;
  uri: string;
  email?: string | null;
  subscriptions: NotificationEventName[];
  maxDeliveriesPerSecond?: number | null;
}

/** Highnote's timestamp filter: both bounds inclusive. */
export interface TimestampFilter {
  gte?: Date | null;
  lte?: Date | null;
}

export interface TargetEventFilter {
  eventCreatedAt?: TimestampFilter | null;
  name?: NotificationEventName[] | null;
  hasSuccessfulDelivery?: boolean | null;
}

/**
 * Adds `<column> >= :gte` / `<= :lte` for a timestamp filter. Times are stored to the microsecond
 * and shown to the millisecond, so `lte` takes in its whole millisecond: a time read back from the
 * API, passed as both bounds, finds its row.
 */
export function whereTimestamp(
  query: { andWhere(sql: string, params: Record<string, unknown>): unknown },
  column: string,
  filter: TimestampFilter | null | undefined,
  prefix: string,
): void {
  if (filter?.gte) query.andWhere(`${column} >= :${prefix}Gte`, { [`${prefix}Gte`]: filter.gte });
  if (filter?.lte) query.andWhere(`${column} < :${prefix}Before`, { [`${prefix}Before`]: millisecondWindow([filter.lte]).to });
}

/** What the first activation and every re-activation send: the target's own NOTIFICATION_ACTIVATION event. */
export function activationEventData(target: NotificationTarget): Record<string, unknown> {
  return { object: "webhook_notification_target", id: target.nodeId, name: target.name, uri: target.uri };
}

/**
 * Webhook notification targets: the customer's URLs, their subscriptions, status
 * and signing keys. Deliveries themselves live in DeliveryService.
 */
export class NotificationTargetService {
  constructor(
    private readonly config: Config,
    private readonly transactions: Transactions,
    private readonly outboundHttp: OutboundHttp,
    private readonly signingKeys: SigningKeyService,
    private readonly partitions: EventPartitions,
  ) {}

  async add(ctx: TenantContext, input: NewNotificationTarget): Promise<NotificationTarget> {
    const name = cleanName(input.name);
    const subscriptions = this.cleanSubscriptions(input.subscriptions);
    // Checked before the transaction: DNS may take a while and holds no lock.
    const uri = (await this.outboundHttp.assertSafe(input.uri.trim(), ctx.environment)).toString();
    return this.transactions.run(ctx, async (tx) => {
      await this.assertMayCreate(tx);
      const target = await tx.scope.save(
        tx.scope.create(NotificationTarget, {
          name,
          uri,
          email: input.email?.trim() || null,
          subscriptions,
          maxDeliveriesPerSecond: input.maxDeliveriesPerSecond ?? null,
          status: NotificationTargetStatus.PENDING_VERIFICATION,
          deactivatedAt: null,
          failingSince: null,
          removedAt: null,
        }),
      );
      await this.signingKeys.create(tx, target.id);
      await this.recordStatus(tx.scope, target, NotificationTargetStatus.PENDING_VERIFICATION, "added; activation event queued");
      await tx.audit("notification_target.add", target.nodeId);
      await tx.emit(NotificationEventName.NOTIFICATION_ACTIVATION, activationEventData(target));
      return target;
    });
  }

  /** Sends a fresh NOTIFICATION_ACTIVATION event; its answer decides ACTIVE or ACTIVATION_FAILED. */
  activate(ctx: TenantContext, targetId: string): Promise<NotificationTarget> {
    return this.change(ctx, targetId, "notification_target.activate", async (target, tx) => {
      if (target.status === NotificationTargetStatus.ACTIVE) throw new InvalidState("The target is already active", "targetId");
      await this.setStatus(
        tx,
        target,
        NotificationTargetStatus.PENDING_VERIFICATION,
        `activation requested by ${tx.ctx.actor.displayName}`,
      );
      await tx.emit(NotificationEventName.NOTIFICATION_ACTIVATION, activationEventData(target));
    });
  }

  deactivate(ctx: TenantContext, targetId: string): Promise<NotificationTarget> {
    return this.change(ctx, targetId, "notification_target.deactivate", async (target, tx) => {
      if (target.status === NotificationTargetStatus.DEACTIVATED) throw new InvalidState("The target is already deactivated", "targetId");
      await this.setStatus(tx, target, NotificationTargetStatus.DEACTIVATED, `deactivated by ${tx.ctx.actor.displayName}`);
    });
  }

  /** Gone from lists and deliveries at once; its attempts stay readable on their events. */
  remove(ctx: TenantContext, targetId: string): Promise<NotificationTarget> {
    return this.change(ctx, targetId, "notification_target.remove", async (target) => {
      target.removedAt = new Date();
    });
  }

  rename(ctx: TenantContext, targetId: string, rawName: string): Promise<NotificationTarget> {
    const name = cleanName(rawName);
    return this.change(ctx, targetId, "notification_target.rename", async (target) => {
      target.name = name;
    });
  }

  setEmail(ctx: TenantContext, targetId: string, email: string | null): Promise<NotificationTarget> {
    return this.change(ctx, targetId, email ? "notification_target.set_email" : "notification_target.remove_email", async (target) => {
      target.email = email?.trim() || null;
    });
  }

  addSubscriptions(ctx: TenantContext, targetId: string, names: NotificationEventName[]): Promise<NotificationTarget> {
    const added = this.cleanSubscriptions(names);
    return this.change(ctx, targetId, "notification_target.add_subscriptions", async (target) => {
      target.subscriptions = [...new Set([...target.subscriptions, ...added])];
    });
  }

  removeSubscriptions(ctx: TenantContext, targetId: string, names: NotificationEventName[]): Promise<NotificationTarget> {
    const removed = new Set(this.cleanSubscriptions(names));
    return this.change(ctx, targetId, "notification_target.remove_subscriptions", async (target) => {
      target.subscriptions = target.subscriptions.filter((name) => !removed.has(name));
    });
  }

  /** null lifts the limit. Deliveries already queued follow the new setting when they run. */
  setRateLimit(ctx: TenantContext, targetId: string, maxDeliveriesPerSecond: number | null): Promise<NotificationTarget> {
    return this.change(ctx, targetId, "notification_target.set_rate_limit", async (target) => {
      target.maxDeliveriesPerSecond = maxDeliveriesPerSecond;
    });
  }

  /** A new signing key; the others keep signing for 24 h (at most 5 → LIMIT_EXCEEDED). */
  rotateSigningKey(ctx: TenantContext, targetId: string): Promise<NotificationTarget> {
    return this.change(ctx, targetId, "notification_target.rotate_signing_key", async (target, tx) => {
      await this.signingKeys.rotate(tx, target.id);
      // The keys are part of the target: deliveries' key caches key on updatedAt.
      target.updatedAt = new Date();
    });
  }

  findById(ctx: TenantContext, id: string): Promise<NotificationTarget | null> {
    return this.transactions.scope(ctx).findOne(NotificationTarget, { id, removedAt: IsNull() });
  }

  /** Targets by id, removed ones included: attempts keep pointing at them. */
  findManyById(ctx: TenantContext, ids: readonly string[]): Promise<Map<string, NotificationTarget>> {
    return this.transactions.scope(ctx).findManyById(NotificationTarget, ids);
  }

  list(ctx: TenantContext, args: PageArgs) {
    return paginate(this.transactions.scope(ctx).query(NotificationTarget, "t").andWhere("t.removedAt IS NULL"), args);
  }

  statusHistory(ctx: TenantContext, targetId: string, args: PageArgs) {
    return paginate(
      this.transactions.scope(ctx).query(NotificationTargetStatusChange, "s").andWhere("s.targetId = :targetId", { targetId }),
      args,
    );
  }

  /**
   * The events sent to a target (one edge per event, however many attempts), newest event first.
   * Ordered by the event's creation, the key the deliveries are partitioned by, so that a page reads
   * the newest days first and stops (PartitionSpan); the filters stay on the deliveries' table.
   */
  async targetEvents(ctx: TenantContext, targetId: string, args: PageArgs, filter: TargetEventFilter | null | undefined) {
    const query = this.transactions.scope(ctx).query(NotificationDelivery, "d").andWhere("d.targetId = :targetId", { targetId });
    whereTimestamp(query, "d.eventCreatedAt", filter?.eventCreatedAt, "eventCreatedAt");
    if (filter?.name?.length) {
      query.andWhere(
        `EXISTS (SELECT 1 FROM notification_events e
          WHERE e.id = d.event_id AND e.created_at = d.event_created_at AND e.name IN (:...names))`,
        { names: filter.name },
      );
    }
    if (filter?.hasSuccessfulDelivery != null) {
      query.andWhere(filter.hasSuccessfulDelivery ? "d.succeededAt IS NOT NULL" : "d.succeededAt IS NULL");
    }
    return paginate(query, args, { property: "eventCreatedAt", span: await this.partitions.span() });
  }

  /** One attempt, whether or not its target has been removed since. */
  findAttempt(ctx: TenantContext, id: string): Promise<DeliveryAttempt | null> {
    return this.transactions.scope(ctx).findOne(DeliveryAttempt, { id });
  }

  /**
   * The attempts of a target, an event or a delivery, newest first. An event's or a delivery's pass
   * the event's creation as read (`eventCreatedAt`), which keeps the read to that day's partition.
   */
  attempts(ctx: TenantContext, column: "targetId" | "eventId" | "deliveryId", id: string, args: PageArgs, eventCreatedAt?: Date) {
    const query = this.transactions.scope(ctx).query(DeliveryAttempt, "a").andWhere(`a.${column} = :ownerId`, { ownerId: id });
    if (eventCreatedAt) {
      const { from, to } = millisecondWindow([eventCreatedAt]);
      query.andWhere("a.eventCreatedAt >= :eventFrom AND a.eventCreatedAt < :eventTo", { eventFrom: from, eventTo: to });
    }
    return paginate(query, args);
  }

  /** Changes the status and writes why into statusHistory; the caller saves the target. */
  async setStatus(tx: Transaction, target: NotificationTarget, status: NotificationTargetStatus, reason: string): Promise<void> {
    target.status = status;
    target.deactivatedAt = status === NotificationTargetStatus.DEACTIVATED ? new Date() : null;
    if (status === NotificationTargetStatus.ACTIVE) target.failingSince = null;
    await this.recordStatus(tx.scope, target, status, reason);
  }

  private async recordStatus(
    scope: TenantScope,
    target: NotificationTarget,
    status: NotificationTargetStatus,
    reason: string,
  ): Promise<void> {
    await scope.insert(
      NotificationTargetStatusChange,
      scope.create(NotificationTargetStatusChange, { targetId: target.id, status, reason }),
    );
  }

  private change(
    ctx: TenantContext,
    targetId: string,
    action: string,
    apply: (target: NotificationTarget, tx: Transaction) => Promise<void>,
  ): Promise<NotificationTarget> {
    return this.transactions.run(ctx, async (tx) => {
      const target = await tx.scope.findOneForUpdate(NotificationTarget, { id: targetId, removedAt: IsNull() });
      if (!target) throw new NotFound("Notification target", "targetId");
      await apply(target, tx);
      await tx.scope.save(target);
      await tx.audit(action, target.nodeId);
      return target;
    });
  }

  private assertMayCreate(tx: Transaction): Promise<void> {
    return assertMayCreate(tx, {
      lock: "notification_targets",
      max: this.config.webhooks.maxTargetsPerEnvironment,
      what: "notification targets",
      count: (tx) => tx.scope.count(NotificationTarget, { removedAt: IsNull() }),
    });
  }

  private cleanSubscriptions(names: NotificationEventName[]): NotificationEventName[] {
    if (names.length === 0) throw new InvalidInput("Give at least one event name", "subscriptions");
    const activation = names.indexOf(NotificationEventName.NOTIFICATION_ACTIVATION);
    // Activation events go to the one target being activated, never to subscribers.
    if (activation >= 0)
      throw new InvalidInput(
        "NOTIFICATION_ACTIVATION is sent to every target being activated; it cannot be subscribed to",
        `subscriptions.${activation}`,
      );
    return [...new Set(names)];
  }
}
