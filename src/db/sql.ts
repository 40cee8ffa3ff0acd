import type { Pool } from "pg";
import type { EntityManager } from "typeorm";
import type { PostgresDriver } from "typeorm/driver/postgres/PostgresDriver.js";

/** Stand-ins for the tenant's organization id and environment: the door running the statement binds them. */
export const ORGANIZATION: unique symbol = Symbol("tenant organization");
export const ENVIRONMENT: unique symbol = Symbol("tenant environment");
type TenantMarker = typeof ORGANIZATION | typeof ENVIRONMENT;

/**
 * A piece of SQL with its values kept apart from its text: `sql\`… WHERE id = ${id}\``. Values become
 * placeholders when the statement is built, numbered in order; a nested `Sql` is spliced in with its
 * own values, so statements compose without renumbering anything.
 */
export class Sql {
  constructor(
    readonly strings: readonly string[],
    readonly values: readonly unknown[],
  ) {}

  /** Text written by the code itself (constants, names), never input. */
  static raw(text: string): Sql {
    return new Sql([text], []);
  }

  static join(parts: readonly Sql[], separator: string): Sql {
    if (parts.length === 0) return Sql.raw("");
    return new Sql(["", ...parts.slice(1).map(() => separator), ""], parts);
  }
}

export function sql(strings: TemplateStringsArray, ...values: unknown[]): Sql {
  return new Sql(strings, values);
}

/** `alias.organization_id = <organization> AND alias.environment = <environment>`, bound by the door. */
export function tenantMatch(alias: string): Sql {
  return new Sql([`${alias}.organization_id = `, ` AND ${alias}.environment = `, ""], [ORGANIZATION, ENVIRONMENT]);
}

export interface Tenant {
  organizationId: string;
  environment: string;
}

/** A statement ready for the driver; `tenantParams` names the placeholders bound to the tenant, if any. */
export interface BuiltStatement {
  text: string;
  values: unknown[];
  tenantParams: { organization?: string; environment?: string };
}

/** Appends text and values, numbering each value's placeholder as it goes; each tenant marker gets one placeholder. */
class StatementBuilder {
  private text = "";
  private readonly values: unknown[] = [];
  private readonly tenantParams: BuiltStatement["tenantParams"] = {};

  constructor(private readonly tenant: Tenant | null) {}

  append(piece: Sql): this {
    piece.strings.forEach((text, index) => {
      this.text += text;
      if (index < piece.values.length) this.appendValue(piece.values[index]);
    });
    return this;
  }

  private appendValue(value: unknown): void {
    if (value instanceof Sql) {
      this.append(value);
    } else if (value === ORGANIZATION || value === ENVIRONMENT) {
      this.text += this.tenantParam(value);
    } else {
      this.values.push(value);
      this.text += `$${this.values.length}`;
    }
  }

  private tenantParam(marker: TenantMarker): string {
    if (!this.tenant) throw new Error("This statement names the tenant, but runs outside a tenant scope");
    const key = marker === ORGANIZATION ? "organization" : "environment";
    const existing = this.tenantParams[key];
    if (existing) return existing;
    this.values.push(marker === ORGANIZATION ? this.tenant.organizationId : this.tenant.environment);
    return (this.tenantParams[key] = `$${this.values.length}`);
  }

  build(): BuiltStatement {
    return { text: this.text, values: this.values, tenantParams: this.tenantParams };
  }
}

export function buildStatement(statement: Sql, tenant: Tenant | null): BuiltStatement {
  return new StatementBuilder(tenant).append(statement).build();
}

/** A statement as a door ran it: `via` names the door (and, across tenants, the reason). */
export interface StatementEvent {
  via: string;
  statement: BuiltStatement;
}
const observers = new Set<(event: StatementEvent) => void>();

/** Calls `listener` with every statement the doors run until the returned function is called (guard tests). */
export function observeStatements(listener: (event: StatementEvent) => void): () => void {
  observers.add(listener);
  return () => observers.delete(listener);
}

/**
 * Runs a built statement on the manager's connection (its transaction's, or one from the pool). A `name` runs
 * it as a named (prepared) statement on the pool, planned once per connection: only outside a transaction.
 */
export async function runStatement(
  em: EntityManager,
  statement: BuiltStatement,
  via: string,
  name?: string,
): Promise<{ rows: unknown[]; affected: number }> {
  for (const observer of observers) observer({ via, statement });
  const { text, values } = statement;
  if (name && !em.queryRunner) {
    const pool = (em.dataSource.driver as PostgresDriver).master as Pool;
    const result = await pool.query({ name, text, values });
    return { rows: result.rows, affected: result.rowCount ?? 0 };
  }
  const runner = em.queryRunner ?? em.dataSource.createQueryRunner();
  try {
    const result = await runner.query(text, values, true);
    return { rows: result.records ?? [], affected: result.affected ?? 0 };
  } finally {
    if (!em.queryRunner) await runner.release();
  }
}
