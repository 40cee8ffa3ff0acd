import { Environment, Plan } from "../entities/enums.js";
import { Organization } from "../entities/organization.js";
import { LimitExceeded, UpgradeRequired } from "./domain-errors.js";
import type { Transaction } from "./transaction.js";

/**
 * On the FREE plan, LIVE refuses anything that creates credentials,
 * notification targets or collaborative-authorization endpoints. TEST is always open.
 */
export async function assertPlanAllowsCreation(tx: Transaction): Promise<void> {
  if (tx.ctx.environment !== Environment.LIVE) return;
  const organization = await tx.untenanted.findOneByOrFail(Organization, { id: tx.ctx.organizationId });
  if (organization.plan === Plan.FREE) throw new UpgradeRequired();
}

/** What one environment may hold of a kind of thing: at most `max`, counted under the tenant lock named `lock`. */
export interface CreationLimit {
  lock: string;
  max: number;
  /** The things, plural, as the error names them ("API keys"). */
  what: string;
  /** How many there are now (read under the lock). */
  count: (tx: Transaction) => Promise<number>;
}

/**
 * Before creating one more: the plan allows it, and the environment holds fewer than the limit.
 * The advisory lock makes concurrent creates count one at a time, until commit.
 */
export async function assertMayCreate(tx: Transaction, limit: CreationLimit): Promise<void> {
  await assertPlanAllowsCreation(tx);
  await tx.lockTenant(limit.lock);
  if ((await limit.count(tx)) >= limit.max) throw new LimitExceeded(`At most ${limit.max} ${limit.what} per environment`);
}
