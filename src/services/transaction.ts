import { DataSource, EntityManager } from "typeorm";
import type { TenantContext } from "../auth/request-context.js";
import type { Config } from "../config.js";
import { NotificationEventName } from "../entities/enums.js";
import { NotificationEvent } from "../entities/notification-event.js";
import { TASKS } from "../jobs/task-names.js";
import { TenantScope } from "./tenant-scope.js";

const DAY_MS = 86_400_000;

const AUDIT_COLUMNS = "(organization_id, environment, action, actor_type, actor_id, actor_display_name, target_id, request_id)";

/** "($from, …, $from+count-1)" */
function placeholders(from: number, count: number): string {
  return `(${Array.from({ length: count }, (_, i) => `$${from + i}`).join(", ")})`;
}

/**
 * One mutation's unit of work: tenant-scoped reads and writes, its audit row and
 * its outbox event all commit together or not at all.
 */
export class Transaction {
  readonly scope: TenantScope;
  private readonly afterCommitCallbacks: Array<() => void> = [];

  constructor(
    readonly em: EntityManager,
    readonly ctx: TenantContext,
    private readonly eventRetentionDays: number,
  ) {
    this.scope = new TenantScope(em, ctx);
  }

  async audit(action: string, targetId: string | null): Promise<void> {
    // Plain SQL: one audit row per mutation is on every write path, and needs nothing back.
    await this.em.query(`INSERT INTO audit_log ${AUDIT_COLUMNS} VALUES ${placeholders(1, 8)}`, this.auditValues(action, targetId));
  }

  /** Writes the event (outbox) and queues its fan-out job on this transaction's connection. */
  async emit(name: NotificationEventName, data: Record<string, unknown>): Promise<NotificationEvent> {
    return this.auditAndEmit(null, null, name, data);
  }

  /**
   * The audit row (when `action` is given), the event, its fan-out job and optionally the
   * change itself (one INSERT/UPDATE) in one statement: a mutation on a hot path pays one
   * round trip for all of them, and a single statement is atomic without BEGIN/COMMIT
   * (see Transactions.runStatement).
   */
  async auditAndEmit(
    action: string | null,
    targetId: string | null,
    name: NotificationEventName,
    data: Record<string, unknown>,
    change?: { sql: string; params: unknown[] },
  ): Promise<NotificationEvent> {
    const expiresAt = new Date(Date.now() + this.eventRetentionDays * DAY_MS);
    const values: unknown[] = [this.ctx.organizationId, this.ctx.environment, name, JSON.stringify(data), expiresAt, TASKS.fanOutEvent];
    let parts = "";
    if (action !== null) {
      parts += `audit AS (INSERT INTO audit_log ${AUDIT_COLUMNS} VALUES ${placeholders(values.length + 1, 8)}),`;
      values.push(...this.auditValues(action, targetId));
    }
    if (change) {
      // The change's own $1… placeholders, moved past the ones above.
      const offset = values.length;
      parts += `change AS (${change.sql.replace(/\$(\d+)/g, (_, n: string) => `$${Number(n) + offset}`)}),`;
      values.push(...change.params);
    }
    const [row]: Array<{ id: string; created_at: Date }> = await this.em.query(
      `WITH ${parts}
       event AS (INSERT INTO notification_events (organization_id, environment, name, data, expires_at)
                 VALUES ($1, $2, $3, $4, $5) RETURNING id, created_at),
       job AS (SELECT graphile_worker.add_job($6, json_build_object('eventId', event.id::text), job_key => event.id::text) FROM event)
       SELECT event.id, event.created_at FROM event, job`,
      values,
    );
    return this.scope.create(NotificationEvent, { id: row.id, createdAt: row.created_at, name, data, expiresAt });
  }

  private auditValues(action: string, targetId: string | null): unknown[] {
    const { actor } = this.ctx;
    return [this.ctx.organizationId, this.ctx.environment, action, actor.type, actor.id, actor.displayName, targetId, this.ctx.requestId];
  }

  /**
   * Serializes, until commit, this tenant's transactions that take the same named lock:
   * limit counts, the one-ACTIVE swap, last-admin checks.
   */
  async lockTenant(name: string): Promise<void> {
    await this.em.query("SELECT pg_advisory_xact_lock(hashtext($1))", [`${name}:${this.ctx.organizationId}:${this.ctx.environment}`]);
  }

  /** Postgres delivers the notification to every listening process when (and only if) this commits. */
  async notify(channel: string, payload: string): Promise<void> {
    await this.em.query("SELECT pg_notify($1, $2)", [channel, payload]);
  }

  /** Runs once the transaction has committed (cache invalidation, wake-ups). */
  afterCommit(callback: () => void): void {
    this.afterCommitCallbacks.push(callback);
  }

  runAfterCommit(): void {
    for (const callback of this.afterCommitCallbacks) callback();
  }
}

export class Transactions {
  constructor(
    readonly dataSource: DataSource,
    private readonly config: Config,
  ) {}

  /** Tenant-scoped reads outside a transaction. */
  scope(ctx: Pick<TenantContext, "organizationId" | "environment">): TenantScope {
    return new TenantScope(this.dataSource.manager, ctx);
  }

  /**
   * For work that issues exactly one statement (auditAndEmit with its change): it runs without
   * BEGIN/COMMIT, since PostgreSQL applies one statement atomically. Saves two round trips.
   */
  runStatement<T>(ctx: TenantContext, work: (tx: Transaction) => Promise<T>): Promise<T> {
    return work(new Transaction(this.dataSource.manager, ctx, this.config.webhooks.eventRetentionDays));
  }

  async run<T>(ctx: TenantContext, work: (tx: Transaction) => Promise<T>): Promise<T> {
    let tx: Transaction | undefined;
    const result = await this.dataSource.transaction(async (em) => {
      tx = new Transaction(em, ctx, this.config.webhooks.eventRetentionDays);
      return work(tx);
    });
    tx?.runAfterCommit();
    return result;
  }
}
