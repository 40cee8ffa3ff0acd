import { DeepPartial, EntityManager, FindOptionsWhere, In, ObjectLiteral, SelectQueryBuilder } from "typeorm";
import type { TenantContext } from "../auth/request-context.js";
import type { TenantScoped } from "../entities/tenant-scoped.js";

type TenantEntity = TenantScoped & ObjectLiteral & { id: string };
type EntityClass<T> = new () => T;

/**
 * The only door to tenant rows: every read is filtered by, and every new row
 * stamped with, the context's organization and environment. A row of another
 * organization or environment is indistinguishable from one that does not exist.
 */
export class TenantScope {
  constructor(
    readonly em: EntityManager,
    readonly ctx: Pick<TenantContext, "organizationId" | "environment">,
  ) {}

  private where<T extends TenantEntity>(where: FindOptionsWhere<T>): FindOptionsWhere<T> {
    return { ...where, organizationId: this.ctx.organizationId, environment: this.ctx.environment };
  }

  create<T extends TenantEntity>(entity: EntityClass<T>, values: DeepPartial<Omit<T, "organizationId" | "environment">>): T {
    return this.em.create(entity, {
      ...values,
      organizationId: this.ctx.organizationId,
      environment: this.ctx.environment,
    } as DeepPartial<T>);
  }

  findOne<T extends TenantEntity>(entity: EntityClass<T>, where: FindOptionsWhere<T>): Promise<T | null> {
    return this.em.findOne(entity, { where: this.where(where) });
  }

  /**
   * Reads the row and holds its lock until the transaction ends: concurrent changes queue up.
   * With `skipLocked`, a row another transaction holds reads as absent (background sweeps).
   */
  findOneForUpdate<T extends TenantEntity>(entity: EntityClass<T>, where: FindOptionsWhere<T>, skipLocked = false): Promise<T | null> {
    return this.em.findOne(entity, {
      where: this.where(where),
      lock: { mode: "pessimistic_write", ...(skipLocked ? { onLocked: "skip_locked" as const } : {}) },
    });
  }

  find<T extends TenantEntity>(entity: EntityClass<T>, where: FindOptionsWhere<T> = {}): Promise<T[]> {
    return this.em.find(entity, { where: this.where(where) });
  }

  /** Rows by id, for batch loaders (createdBy, rotatedFrom, …); ids of other tenants are simply absent. */
  async findManyById<T extends TenantEntity>(entity: EntityClass<T>, ids: readonly string[]): Promise<Map<string, T>> {
    const rows = await this.find(entity, { id: In([...ids]) } as FindOptionsWhere<T>);
    return new Map(rows.map((row) => [row.id, row]));
  }

  count<T extends TenantEntity>(entity: EntityClass<T>, where: FindOptionsWhere<T> = {}): Promise<number> {
    return this.em.count(entity, { where: this.where(where) });
  }

  /** A query builder already restricted to the tenant. */
  query<T extends TenantEntity>(entity: EntityClass<T>, alias: string): SelectQueryBuilder<T> {
    return this.em
      .createQueryBuilder(entity, alias)
      .where(`${alias}.organizationId = :tenantOrganizationId AND ${alias}.environment = :tenantEnvironment`, {
        tenantOrganizationId: this.ctx.organizationId,
        tenantEnvironment: this.ctx.environment,
      });
  }

  save<T extends TenantEntity>(row: T): Promise<T> {
    if (row.organizationId !== this.ctx.organizationId || row.environment !== this.ctx.environment) {
      throw new Error("Refusing to save a row of another tenant");
    }
    return this.em.save(row);
  }
}
