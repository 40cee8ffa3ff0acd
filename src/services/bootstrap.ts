import { randomBytes } from "node:crypto";
import { PERMISSIONS } from "../auth/permissions.js";
import { systemContext } from "../auth/request-context.js";
import type { Config } from "../config.js";
import { sql } from "../db/sql.js";
import { APIKeyRole, Environment, Plan, UserRole } from "../entities/enums.js";
import { Membership } from "../entities/membership.js";
import { Organization } from "../entities/organization.js";
import { User } from "../entities/user.js";
import type { ApiKeyService } from "./api-keys.js";
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
  assertPasswordStrength(password, ["KEYWAY_ADMIN_PASSWORD"]);
  const passwordHash = await passwords.hash(password);

  const organization = await transactions.runCrossTenant("bootstrap an empty database", async ({ untenanted, crossTenant }) => {
    await untenanted.rows(sql`SELECT pg_advisory_xact_lock(${BOOTSTRAP_LOCK})`);
    if ((await untenanted.count(Organization)) > 0) return null;
    const org = await untenanted.save(untenanted.create(Organization, { name: "Default organization", plan: Plan.PAID }));
    const user = await untenanted.save(
      untenanted.create(User, { organizationId: org.id, email: config.adminEmail, name: "Admin", passwordHash }),
    );
    for (const environment of [Environment.TEST, Environment.LIVE]) {
      const scope = crossTenant.scope("a new organization's first admins", { organizationId: org.id, environment });
      await scope.save(scope.create(Membership, { userId: user.id, role: UserRole.ADMIN }));
    }
    return org;
  });
  if (!organization) return null;

  const ctx = systemContext(organization.id, Environment.TEST, new Set(PERMISSIONS));
  const key = await apiKeys.issueAsOperator(ctx, "Bootstrap admin key", APIKeyRole.ADMIN);
  return { organization, adminEmail: config.adminEmail, generatedPassword, apiKey: key.key! };
}
