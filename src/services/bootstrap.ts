import { randomBytes } from "node:crypto";
import type { DataSource } from "typeorm";
import { PERMISSIONS } from "../auth/permissions.js";
import { systemContext } from "../auth/request-context.js";
import type { Config } from "../config.js";
import { APIKeyRole, Environment, Plan, UserRole } from "../entities/enums.js";
import { Membership } from "../entities/membership.js";
import { Organization } from "../entities/organization.js";
import { User } from "../entities/user.js";
import type { ApiKeyService } from "./api-keys.js";
import { assertPasswordStrength, PasswordHasher } from "./passwords.js";

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
  dataSource: DataSource,
  config: Config,
  passwords: PasswordHasher,
  apiKeys: ApiKeyService,
): Promise<BootstrapResult | null> {
  const generatedPassword = config.adminPassword ? null : randomBytes(18).toString("base64url");
  const password = config.adminPassword ?? generatedPassword!;
  assertPasswordStrength(password, "KEYWAY_ADMIN_PASSWORD");
  const passwordHash = await passwords.hash(password);

  const organization = await dataSource.transaction(async (em) => {
    await em.query("SELECT pg_advisory_xact_lock($1)", [BOOTSTRAP_LOCK]);
    if ((await em.count(Organization)) > 0) return null;
    const org = await em.save(em.create(Organization, { name: "Default organization", plan: Plan.PAID }));
    const user = await em.save(em.create(User, { organizationId: org.id, email: config.adminEmail, name: "Admin", passwordHash }));
    for (const environment of [Environment.TEST, Environment.LIVE]) {
      await em.save(em.create(Membership, { organizationId: org.id, environment, userId: user.id, role: UserRole.ADMIN }));
    }
    return org;
  });
  if (!organization) return null;

  const ctx = systemContext(organization.id, Environment.TEST, new Set(PERMISSIONS));
  const key = await apiKeys.issueAsOperator(ctx, "Bootstrap admin key", APIKeyRole.ADMIN);
  return { organization, adminEmail: config.adminEmail, generatedPassword, apiKey: key.key! };
}
