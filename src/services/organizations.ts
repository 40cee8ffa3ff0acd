import type { RequestContext } from "../auth/request-context.js";
import { decodeId } from "../db/ids.js";
import { Environment, Plan, UserRole } from "../entities/enums.js";
import { Membership } from "../entities/membership.js";
import { Organization } from "../entities/organization.js";
import { User } from "../entities/user.js";
import type { CrossTenant } from "./cross-tenant.js";
import type { UntenantedRows } from "./untenanted-rows.js";

/** How long an organization read for display (name, plan) may be reused. Plan checks always read the database. */
const DISPLAY_CACHE_MS = 5000;

/** A new organization whose first user is ADMIN in TEST and LIVE (bootstrap and sign-up). */
export async function createOrganizationWithAdmin(
  doors: { untenanted: UntenantedRows; crossTenant: CrossTenant },
  organization: { id?: string; name: string; plan: Plan },
  admin: { id?: string; email: string; name: string | null; passwordHash: string },
): Promise<{ organization: Organization; user: User }> {
  const { untenanted, crossTenant } = doors;
  const saved = await untenanted.save<Organization>(untenanted.create<Organization>(Organization, organization));
  const user = await untenanted.save<User>(untenanted.create<User>(User, { ...admin, organizationId: saved.id }));
  for (const environment of [Environment.TEST, Environment.LIVE]) {
    const scope = crossTenant.scope("a new organization's first admins", { organizationId: saved.id, environment });
    await scope.save(scope.create(Membership, { userId: user.id, role: UserRole.ADMIN }));
  }
  return { organization: saved, user };
}

export class OrganizationService {
  private readonly cache = new Map<string, { organization: Organization; at: number }>();

  constructor(private readonly rows: UntenantedRows) {}

  create(_ctx: RequestContext, name: string, plan: Plan): Promise<Organization> {
    return this.rows.save(this.rows.create(Organization, { name: name.trim(), plan }));
  }

  findById(_ctx: RequestContext, id: string): Promise<Organization | null> {
    return this.rows.findOneBy(Organization, { id });
  }

  /**
   * The organization for display (`organizations`, `viewer.organization`): read at most once
   * per few seconds per process, since every request of a dashboard or integration asks for it.
   * A plan change shows within DISPLAY_CACHE_MS; enforcement (plans.ts) reads the row itself.
   */
  async findForDisplay(ctx: RequestContext, id: string): Promise<Organization | null> {
    const cached = this.cache.get(id);
    if (cached && Date.now() - cached.at < DISPLAY_CACHE_MS) return cached.organization;
    const organization = await this.findById(ctx, id);
    if (this.cache.size >= 10_000) this.cache.clear();
    if (organization) this.cache.set(id, { organization, at: Date.now() });
    return organization;
  }

  /** Drops this process's cached copy after a change (other processes see it within DISPLAY_CACHE_MS). */
  forget(ctx: RequestContext, id: string): void {
    this.cache.delete(id);
  }

  /** Accepts an `org_…` id or a raw UUID (operator CLI). */
  async findByAnyId(ctx: RequestContext, id: string): Promise<Organization | null> {
    const uuid = decodeId("Organization", id) ?? (/^[0-9a-f-]{36}$/.test(id) ? id : null);
    return uuid ? this.findById(ctx, uuid) : null;
  }

  async setPlan(ctx: RequestContext, id: string, plan: Plan): Promise<Organization | null> {
    const organization = await this.findByAnyId(ctx, id);
    if (!organization) return null;
    organization.plan = plan;
    this.cache.delete(organization.id);
    return this.rows.save(organization);
  }

  list(_ctx: RequestContext): Promise<Organization[]> {
    return this.rows.find(Organization, {}, { createdAt: "ASC" });
  }
}
