import type { DataSource, EntityManager } from "typeorm";
import { Plan } from "../entities/enums.js";
import { Organization } from "../entities/organization.js";
import { decodeId } from "../schema/ids.js";

export class OrganizationService {
  constructor(private readonly dataSource: DataSource) {}

  create(name: string, plan: Plan, em: EntityManager = this.dataSource.manager): Promise<Organization> {
    return em.save(em.create(Organization, { name: name.trim(), plan }));
  }

  findById(id: string): Promise<Organization | null> {
    return this.dataSource.manager.findOneBy(Organization, { id });
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
    return this.dataSource.manager.save(organization);
  }

  list(): Promise<Organization[]> {
    return this.dataSource.manager.find(Organization, { order: { createdAt: "ASC" } });
  }
}
