import { randomBytes } from "node:crypto";
import { PERMISSIONS } from "../auth/permissions.js";
import { systemContext } from "../auth/request-context.js";
import type { Config } from "../config.js";
import { sql } from "../db/sql.js";
import { APIKeyRole, Environment, Plan } from "../entities/enums.js";
import { Organization } from "../entities/organization.js";
import type { ApiKeyService } from "./api-keys.js";
import { createOrganizationWithAdmin } from "./organizations.js";
import { assertPasswordStrength, PasswordHasher } from "./passwords.js";
import type { Transactions } from "./transaction.js";

export interface BootstrapResult {
  organization: Organization;
  adminEmail: string;
  /** Set only when Keyway generated it; shown once. */
  generatedPassword: string | null;
  apiKey: string;
}

const BOOTSTRAP_LOCK = 7217263;

/**
 * On an empty database: a PAID organization, an ADMIN user in TEST and LIVE and a
 * TEST ADMIN API key. Returns null (and creates nothing) when any organization exists.
 */
export async function bootstrap(
  transactions: Transactions,
  config: Config,
  passwords: PasswordHasher,
  apiKeys: ApiKeyService,
): Promise<BootstrapResult | null> {
  const generatedPassword = config.adminPassword ? null : randomBytes(18).toString("base64url");
  const password = config.adminPassword ?? generatedPassword!;
  assertPasswordStrength(password, "KEYWAY_ADMIN_PASSWORD");
  const passwordHash = await passwords.hash(password);

  const organization = await transactions.runCrossTenant("bootstrap an empty database", async (doors) => {
    await doors.untenanted.rows(sql`SELECT pg_advisory_xact_lock(${BOOTSTRAP_LOCK})`);
    if ((await doors.untenanted.count(Organization)) > 0) return null;
    const created = await createOrganizationWithAdmin(
      doors,
      { name: "Default organization", plan: Plan.PAID },
      { email: config.adminEmail, name: "Admin", passwordHash },
    );
    return created.organization;
  });
  if (!organization) return null;

  const ctx = systemContext(organization.id, Environment.TEST, new Set(PERMISSIONS));
  const key = await apiKeys.issueAsOperator(ctx, "Bootstrap admin key", APIKeyRole.ADMIN);
  return { organization, adminEmail: config.adminEmail, generatedPassword, apiKey: key.key! };
}
