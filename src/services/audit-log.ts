import type { TenantContext } from "../auth/request-context.js";
import { AuditLogEntry } from "../entities/audit-log-entry.js";
import { parseId } from "../db/ids.js";
import { paginate, type PageArgs } from "../db/pagination.js";
import { InvalidInput } from "./domain-errors.js";
import type { Transactions } from "./transaction.js";

export interface AuditLogFilter {
  action?: string | null;
  actorId?: string | null;
}

/** Reads the audit log; rows are written by every mutation's transaction (Transaction.audit). */
export class AuditLogService {
  constructor(private readonly transactions: Transactions) {}

  findById(ctx: TenantContext, id: string): Promise<AuditLogEntry | null> {
    return this.transactions.scope(ctx).findOne(AuditLogEntry, { id });
  }

  async list(ctx: TenantContext, args: PageArgs, filter: AuditLogFilter | null | undefined) {
    const query = this.transactions.scope(ctx).query(AuditLogEntry, "a");
    if (filter?.action) query.andWhere("a.action = :action", { action: filter.action });
    if (filter?.actorId) {
      const actor = parseId(filter.actorId);
      if (!actor || (actor.type !== "User" && actor.type !== "APIKey")) {
        throw new InvalidInput(`filterBy.actorId must be a usr_… or key_… id`, "actorId");
      }
      query.andWhere("a.actorId = :actorId", { actorId: actor.uuid });
    }
    return paginate(query, args);
  }
}
