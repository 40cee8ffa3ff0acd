import { DeepPartial, EntityManager, FindOptionsOrder, FindOptionsWhere, In, ObjectLiteral, SelectQueryBuilder } from "typeorm";
import type { QueryDeepPartialEntity } from "typeorm/query-builder/QueryPartialEntity.js";
import type { TenantContext } from "../auth/request-context.js";
import { buildStatement, runStatement, type Sql } from "../db/sql.js";
import { assertTenantScoped } from "../db/tenant-tables.js";
import type { TenantScoped } from "../entities/tenant-scoped.js";

type TenantEntity = TenantScoped & ObjectLiteral & { id: string };

/** A tenant as one string (`organization:environment`): the key of per-tenant state a process keeps, and a NOTIFY payload. */
export const tenantKey = ({ organizationId, environment }: Pick<TenantContext, "organizationId" | "environment">) =>
  `${organizationId}:${environment}`;
type EntityClass<T> = new () => T;

/**
 * By entity class, its columns' properties when TypeORM's `create` would only copy them onto a new instance (no
 * relation, embedded or lazy relation), or null when it does more. `create` walks the metadata of every column on
 * each call: building a simulated collaborative authorization's two rows took 3.3 % of Keyway's busy time under load
 * that way, 0.9 % copying the columns.
 */
const copiedColumns = new WeakMap<object, readonly string[] | null>();

/** Exported for its test, which checks the rows of a simulated authorization take this path. */
export function copiedColumnsOf(em: EntityManager, entity: object): readonly string[] | null {
  let columns = copiedColumns.get(entity);
  if (columns === undefined) {
    const metadata = em.connection.getMetadata(entity as EntityClass<unknown>);
    const onlyCopies =
      metadata.relations.length === 0 &&
      metadata.embeddeds.length === 0 &&
      metadata.lazyRelations.length === 0 &&
      !em.connection.options.typename &&
      metadata.nonVirtualColumns.every((column) => !column.embeddedMetadata && !column.relationMetadata && !column.referencedColumn);
    columns = onlyCopies ? metadata.nonVirtualColumns.map((column) => column.propertyName) : null;
    copiedColumns.set(entity, columns);
  }
  return columns;
}

/**
 * The only door to tenant rows: every read is filtered by, and every new row
 * stamped with, the context's organization and environment. A row of another
 * organization or environment is indistinguishable from one that does not exist.
 * Plain SQL goes through `rows`, which binds the tenant's values and refuses, before
 * the database sees it, a statement naming a tenant table without matching it to them.
 */
export class TenantScope {
  constructor(
    private readonly em: EntityManager,
    readonly ctx: Pick<TenantContext, "organizationId" | "environment">,
  ) {}

  /**
   * Runs one statement; `ORGANIZATION`/`ENVIRONMENT` (or `tenantMatch(alias)`) in it stand for this tenant.
   * A `name` makes it a named (prepared) statement when outside a transaction (hot paths).
   */
  async rows<T>(statement: Sql, name?: string): Promise<T[]> {
    const built = buildStatement(statement, this.ctx);
    assertTenantScoped(built);
    return (await runStatement(this.em, built, "tenant scope", name)).rows as T[];
  }

  private where<T extends TenantEntity>(where: FindOptionsWhere<T>): FindOptionsWhere<T> {
    return { ...where, organizationId: this.ctx.organizationId, environment: this.ctx.environment };
  }

  /** A new row of this tenant, as TypeORM's `create` builds it: its columns' values copied, anything else left out. */
  create<T extends TenantEntity>(entity: EntityClass<T>, values: DeepPartial<Omit<T, "organizationId" | "environment">>): T {
    const { organizationId, environment } = this.ctx;
    const columns = copiedColumnsOf(this.em, entity);
    if (!columns) return this.em.create(entity, { ...values, organizationId, environment } as DeepPartial<T>);
    const given = values as Record<string, unknown>;
    const row = new entity();
    const fields = row as Record<string, unknown>;
    for (const column of columns) {
      const value = given[column];
      if (value !== undefined) fields[column] = value;
    }
    row.organizationId = organizationId;
    row.environment = environment;
    return row;
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

  /** Several `where`s read as OR, each within the tenant. */
  find<T extends TenantEntity>(
    entity: EntityClass<T>,
    where: FindOptionsWhere<T> | Array<FindOptionsWhere<T>> = {},
    order?: FindOptionsOrder<T>,
  ): Promise<T[]> {
    return this.em.find(entity, { where: Array.isArray(where) ? where.map((one) => this.where(one)) : this.where(where), order });
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
    this.assertOwn(row);
    return this.em.save(row);
  }

  /** A plain INSERT of a row made by `create` (no read back). */
  async insert<T extends TenantEntity>(entity: EntityClass<T>, row: T): Promise<void> {
    this.assertOwn(row);
    await this.em.insert(entity, row);
  }

  async update<T extends TenantEntity>(
    entity: EntityClass<T>,
    where: FindOptionsWhere<T>,
    values: QueryDeepPartialEntity<T>,
  ): Promise<void> {
    await this.em.update(entity, this.where(where), values);
  }

  async delete<T extends TenantEntity>(entity: EntityClass<T>, where: FindOptionsWhere<T>): Promise<void> {
    await this.em.delete(entity, this.where(where));
  }

  private assertOwn(row: TenantEntity): void {
    if (row.organizationId !== this.ctx.organizationId || row.environment !== this.ctx.environment) {
      throw new Error("Refusing to write a row of another tenant");
    }
  }
}
