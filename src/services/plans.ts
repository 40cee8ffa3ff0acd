import { Environment, Plan } from "../entities/enums.js";
import { Organization } from "../entities/organization.js";
import { UpgradeRequired } from "./domain-errors.js";
import type { Transaction } from "./transaction.js";

/**
 * DESIGN §2: on the FREE plan, LIVE refuses anything that creates credentials,
 * notification targets or collaborative-authorization endpoints. TEST is always open.
 */
export async function assertPlanAllowsCreation(tx: Transaction): Promise<void> {
  if (tx.ctx.environment !== Environment.LIVE) return;
  const organization = await tx.untenanted.findOneByOrFail(Organization, { id: tx.ctx.organizationId });
  if (organization.plan === Plan.FREE) throw new UpgradeRequired();
}
