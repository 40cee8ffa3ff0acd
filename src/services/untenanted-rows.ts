import type { DeepPartial, EntityManager, FindOptionsOrder, FindOptionsWhere } from "typeorm";
import type { QueryDeepPartialEntity } from "typeorm/query-builder/QueryPartialEntity.js";
import { buildStatement, runStatement, type Sql } from "../db/sql.js";
import { assertNoTenantTable } from "../db/tenant-tables.js";
import { Organization } from "../entities/organization.js";
import { User } from "../entities/user.js";
import { UserSession } from "../entities/user-session.js";

/** Entities above the tenant: organizations, their users and the users' sessions (no environment column). */
type UntenantedEntity = Organization | User | UserSession;
type EntityClass<T> = new () => T;

/**
 * The door to everything outside the tenant tables: organizations, users, sessions, two-factor
 * secrets, the job queue, advisory locks; on a transaction's connection or the pool's. Its typed
 * methods take only those entities and its plain SQL may not name a tenant table: tenant rows go
 * through TenantScope.
 */
export class UntenantedRows {
  constructor(private readonly em: EntityManager) {}

  async rows<T>(statement: Sql): Promise<T[]> {
    const built = buildStatement(statement, null);
    assertNoTenantTable(built.text);
    return (await runStatement(this.em, built, "untenanted rows")).rows as T[];
  }

  create<T extends UntenantedEntity>(entity: EntityClass<T>, values: DeepPartial<T>): T {
    return this.em.create(entity, values);
  }

  findOneBy<T extends UntenantedEntity>(entity: EntityClass<T>, where: FindOptionsWhere<T>): Promise<T | null> {
    return this.em.findOneBy(entity, where);
  }

  findOneByOrFail<T extends UntenantedEntity>(entity: EntityClass<T>, where: FindOptionsWhere<T>): Promise<T> {
    return this.em.findOneByOrFail(entity, where);
  }

  find<T extends UntenantedEntity>(entity: EntityClass<T>, where: FindOptionsWhere<T> = {}, order?: FindOptionsOrder<T>): Promise<T[]> {
    return this.em.find(entity, { where, order });
  }

  existsBy<T extends UntenantedEntity>(entity: EntityClass<T>, where: FindOptionsWhere<T>): Promise<boolean> {
    return this.em.existsBy(entity, where);
  }

  count<T extends UntenantedEntity>(entity: EntityClass<T>): Promise<number> {
    return this.em.count(entity);
  }

  save<T extends UntenantedEntity>(row: T): Promise<T> {
    return this.em.save(row);
  }

  async insert<T extends UntenantedEntity>(entity: EntityClass<T>, values: QueryDeepPartialEntity<T>): Promise<void> {
    await this.em.insert(entity, values);
  }

  async update<T extends UntenantedEntity>(
    entity: EntityClass<T>,
    where: FindOptionsWhere<T>,
    values: QueryDeepPartialEntity<T>,
  ): Promise<void> {
    await this.em.update(entity, where, values);
  }

  async delete<T extends UntenantedEntity>(entity: EntityClass<T>, where: FindOptionsWhere<T>): Promise<void> {
    await this.em.delete(entity, where);
  }
}
