import { DataSource, EntityManager } from "typeorm";
import type { TenantContext } from "../auth/request-context.js";
import type { Config } from "../config.js";
import { ENVIRONMENT, ORGANIZATION, Sql, sql, tenantMatch } from "../db/sql.js";
import { NotificationEventName } from "../entities/enums.js";
import { NotificationEvent } from "../entities/notification-event.js";
import { TASKS } from "../jobs/task-names.js";
import { UntenantedRows } from "./untenanted-rows.js";
import { CrossTenant, type CrossTenantReason } from "./cross-tenant.js";
import { TenantScope } from "./tenant-scope.js";

const DAY_MS = 86_400_000;

const AUDIT_COLUMNS = Sql.raw("(organization_id, environment, action, actor_type, actor_id, actor_display_name, target_id, request_id)");

function auditValues(ctx: TenantContext, action: string, targetId: string | null): Sql {
  const { actor } = ctx;
  return sql`(${ORGANIZATION}, ${ENVIRONMENT}, ${action}, ${actor.type}, ${actor.id}, ${actor.displayName}, ${targetId}, ${ctx.requestId})`;
}

/**
 * Whether the event has a recipient when it commits: an ACTIVE target of the tenant subscribed to it (an
 * activation event always has one, the target it activates). An event without one is kept (the events list,
 * replays, recoveries) but queues no fan-out job: that spares the job's insert, its NOTIFY to every worker, a
 * claim, the fan-out's two statements and the job's completion on every mutation nobody listens to (a simulated
 * collaborative authorization spent more PostgreSQL time on its fan-out job than on its own rows). A target
 * therefore receives the events committed after it was ACTIVE and subscribed, as before, but no longer those
 * committed a moment before, whose fan-out used to run late enough to find it.
 */
const recipientsExist = (name: NotificationEventName) =>
  name === NotificationEventName.NOTIFICATION_ACTIVATION
    ? sql`true`
    : sql`EXISTS (SELECT 1 FROM notification_targets t
                   WHERE ${tenantMatch("t")} AND t.removed_at IS NULL
                     AND t.status = 'ACTIVE' AND t.subscriptions @> ARRAY[${name}::notification_event_name])`;

/**
 * The audit row (when `action` is given), the event, its fan-out job and optionally the change
 * itself (one INSERT/UPDATE) in one statement: a mutation on a hot path pays one round trip for
 * all of them, and a single statement is atomic without BEGIN/COMMIT (see SingleStatementChange).
 */
async function auditAndEmitOn(
  scope: TenantScope,
  ctx: TenantContext,
  eventRetentionDays: number,
  action: string | null,
  targetId: string | null,
  name: NotificationEventName,
  data: Record<string, unknown>,
  change?: Sql,
  statementName?: string,
): Promise<NotificationEvent> {
  const expiresAt = new Date(Date.now() + eventRetentionDays * DAY_MS);
  const parts: Sql[] = [];
  if (action !== null) parts.push(sql`audit AS (INSERT INTO audit_log ${AUDIT_COLUMNS} VALUES ${auditValues(ctx, action, targetId)}),`);
  if (change) parts.push(sql`change AS (${change}),`);
  const [row] = await scope.rows<{ id: string; created_at: Date }>(
    sql`WITH ${Sql.join(parts, "\n")}
       event AS (INSERT INTO notification_events (organization_id, environment, name, data, expires_at)
                 VALUES (${ORGANIZATION}, ${ENVIRONMENT}, ${name}, ${JSON.stringify(data)}, ${expiresAt}) RETURNING id, created_at),
       job AS (SELECT graphile_worker.add_job(${TASKS.fanOutEvent}, json_build_object('eventId', event.id::text, 'createdAt', event.created_at::text),
                                              job_key => event.id::text)
                 FROM event WHERE ${recipientsExist(name)})
       -- The job's count is read so that the job is queued: a SELECT in WITH runs only when referenced.
       SELECT event.id, event.created_at FROM event, (SELECT count(*) FROM job) AS queued`,
    statementName,
  );
  return scope.create(NotificationEvent, { id: row.id, createdAt: row.created_at, name, data, expiresAt });
}

/**
 * One mutation's unit of work: tenant-scoped reads and writes, its audit row and
 * its outbox event all commit together or not at all. Rows are reached through
 * `scope` (this tenant's), `untenanted` (organizations, users, sessions…) or, where
 * a change must cross tenants and says why, `crossTenant`.
 */
export class Transaction {
  readonly scope: TenantScope;
  readonly untenanted: UntenantedRows;
  readonly crossTenant: CrossTenant;
  private readonly afterCommitCallbacks: Array<() => void> = [];

  constructor(
    em: EntityManager,
    readonly ctx: TenantContext,
    private readonly eventRetentionDays: number,
  ) {
    this.scope = new TenantScope(em, ctx);
    this.untenanted = new UntenantedRows(em);
    this.crossTenant = new CrossTenant(em);
  }

  async audit(action: string, targetId: string | null): Promise<void> {
    // Plain SQL: one audit row per mutation is on every write path, and needs nothing back.
    await this.scope.rows(sql`INSERT INTO audit_log ${AUDIT_COLUMNS} VALUES ${auditValues(this.ctx, action, targetId)}`);
  }

  /** Writes the event (outbox) and queues its fan-out job on this transaction's connection. */
  async emit(name: NotificationEventName, data: Record<string, unknown>): Promise<NotificationEvent> {
    return this.auditAndEmit(null, null, name, data);
  }

  /** The audit row, the event and its fan-out job in one statement. */
  auditAndEmit(action: string | null, targetId: string | null, name: NotificationEventName, data: Record<string, unknown>) {
    return auditAndEmitOn(this.scope, this.ctx, this.eventRetentionDays, action, targetId, name, data);
  }

  /**
   * Serializes, until commit, this tenant's transactions that take the same named lock:
   * limit counts, the one-ACTIVE swap, last-admin checks.
   */
  async lockTenant(name: string): Promise<void> {
    await this.scope.rows(sql`SELECT pg_advisory_xact_lock(hashtext(${`${name}:${this.ctx.organizationId}:${this.ctx.environment}`}))`);
  }

  /** Postgres delivers the notification to every listening process when (and only if) this commits. */
  async notify(channel: string, payload: string): Promise<void> {
    await this.scope.rows(sql`SELECT pg_notify(${channel}, ${payload})`);
  }

  /** Runs once the transaction has committed (cache invalidation, wake-ups). */
  afterCommit(callback: () => void): void {
    this.afterCommitCallbacks.push(callback);
  }

  runAfterCommit(): void {
    for (const callback of this.afterCommitCallbacks) callback();
  }
}

/**
 * A change that is one statement, not a transaction: its row, its audit row, its event and the
 * event's fan-out job in a single INSERT … WITH, which PostgreSQL applies atomically without
 * BEGIN/COMMIT. Saves two round trips on hot paths; it offers nothing that would need a second statement.
 */
export class SingleStatementChange {
  private readonly scope: TenantScope;

  constructor(
    em: EntityManager,
    private readonly ctx: TenantContext,
    private readonly eventRetentionDays: number,
  ) {
    this.scope = new TenantScope(em, ctx);
  }

  /**
   * `change` is one INSERT or UPDATE of this tenant (it may use ORGANIZATION/ENVIRONMENT). A hot path names its
   * statement (`statementName`, the same text on every call): it is then parsed and planned once per connection.
   */
  auditAndEmit(
    action: string,
    targetId: string | null,
    name: NotificationEventName,
    data: Record<string, unknown>,
    change: Sql,
    statementName?: string,
  ) {
    return auditAndEmitOn(this.scope, this.ctx, this.eventRetentionDays, action, targetId, name, data, change, statementName);
  }
}

export class Transactions {
  /** Rows outside the tenant tables, outside a transaction. */
  readonly untenanted: UntenantedRows;
  /** Cross-tenant reads outside a transaction; each names its reason. */
  readonly crossTenant: CrossTenant;

  constructor(
    private readonly dataSource: DataSource,
    private readonly config: Config,
  ) {
    this.untenanted = new UntenantedRows(dataSource.manager);
    this.crossTenant = new CrossTenant(dataSource.manager);
  }

  /** Tenant-scoped reads outside a transaction. */
  scope(ctx: Pick<TenantContext, "organizationId" | "environment">): TenantScope {
    return new TenantScope(this.dataSource.manager, ctx);
  }

  /** For a change that is exactly one statement: no BEGIN/COMMIT (see SingleStatementChange). */
  singleStatement(ctx: TenantContext): SingleStatementChange {
    return new SingleStatementChange(this.dataSource.manager, ctx, this.config.webhooks.eventRetentionDays);
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

  /** A transaction on rows outside the tenant tables only. */
  async runUntenanted<T>(work: (rows: UntenantedRows) => Promise<T>): Promise<T> {
    return this.dataSource.transaction((em) => work(new UntenantedRows(em)));
  }

  /** A transaction before any tenant exists (bootstrap): untenanted rows and cross-tenant statements on one connection. */
  async runCrossTenant<T>(
    reason: CrossTenantReason,
    work: (doors: { untenanted: UntenantedRows; crossTenant: CrossTenant }) => Promise<T>,
  ): Promise<T> {
    return this.dataSource.transaction((em) => work({ untenanted: new UntenantedRows(em), crossTenant: new CrossTenant(em) }));
  }
}
