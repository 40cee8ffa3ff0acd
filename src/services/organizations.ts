import { Plan } from "../entities/enums.js";
import { Organization } from "../entities/organization.js";
import { decodeId } from "../schema/ids.js";
import type { UntenantedRows } from "./untenanted-rows.js";

/** How long an organization read for display (name, plan) may be reused. Plan checks always read the database. */
const DISPLAY_CACHE_MS = 5000;

export class OrganizationService {
  private readonly cache = new Map<string, { organization: Organization; at: number }>();

  constructor(private readonly rows: UntenantedRows) {}

  create(name: string, plan: Plan): Promise<Organization> {
    return this.rows.save(this.rows.create(Organization, { name: name.trim(), plan }));
  }

  findById(id: string): Promise<Organization | null> {
    return this.rows.findOneBy(Organization, { id });
  }

  /**
   * The organization for display (`organizations`, `viewer.organization`): read at most once
   * per few seconds per process, since every request of a dashboard or integration asks for it.
   * A plan change shows within DISPLAY_CACHE_MS; enforcement (plans.ts) reads the row itself.
   */
  async findForDisplay(id: string): Promise<Organization | null> {
    const cached = this.cache.get(id);
    if (cached && Date.now() - cached.at < DISPLAY_CACHE_MS) return cached.organization;
    const organization = await this.findById(id);
    if (this.cache.size >= 10_000) this.cache.clear();
    if (organization) this.cache.set(id, { organization, at: Date.now() });
    return organization;
  }

  /** Drops this process's cached copy after a change (other processes see it within DISPLAY_CACHE_MS). */
  forget(id: string): void {
    this.cache.delete(id);
  }

  /** Accepts an `org_…` id or a raw UUID (operator CLI). */
  async findByAnyId(id: string): Promise<Organization | null> {
    const uuid = decodeId("Organization", id) ?? (/^[0-9a-f-]{36}$/.test(id) ? id : null);
    return uuid ? this.findById(uuid) : null;
  }

  async setPlan(id: string, plan: Plan): Promise<Organization | null> {
    const organization = await this.findByAnyId(id);
    if (!organization) return null;
    organization.plan = plan;
    this.cache.delete(organization.id);
    return this.rows.save(organization);
  }

  list(): Promise<Organization[]> {
    return this.rows.find(Organization, {}, { createdAt: "ASC" });
  }
}
