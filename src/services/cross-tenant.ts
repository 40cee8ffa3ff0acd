import type { EntityManager, FindOptionsWhere, ObjectLiteral } from "typeorm";
import type { TenantContext } from "../auth/request-context.js";
import { buildStatement, runStatement, type Sql } from "../db/sql.js";
import type { TenantScoped } from "../entities/tenant-scoped.js";
import { TenantScope } from "./tenant-scope.js";

/**
 * Every reason a statement may read or write tenant rows without knowing the tenant first. Each use
 * names one; a new cross-tenant read starts by adding its reason here, where a reviewer sees it.
 */
export type CrossTenantReason =
  /** The key's hash is all a request carries; the row found names the tenant. */
  | "authenticate an API key by its hash"
  /** A shared-secret JWT names a key id; the key's row names the tenant and its secrets. */
  | "authenticate a shared-secret JWT by its key"
  /** The session names the user; the membership of the requested environment gives the role. */
  | "authenticate a session"
  /** A job carries only an event id; the event names its tenant. */
  | "job worker: the event to fan out"
  /** A job carries only a delivery id; the delivery names its tenant. */
  | "job worker: the delivery to attempt"
  /** Rate-limited targets of every tenant whose deliveries wait to be queued; each is then fed in its own tenant's scope. */
  | "paced queue: targets with deliveries waiting"
  /** Expired events of every tenant. */
  | "retention sweep of expired events"
  /** Keys of every tenant expiring or expired; each is then handled in its own tenant's transaction. */
  | "key expiry sweep"
  /** A user signs in once for every organization environment they belong to. */
  | "sign-in: the user's memberships"
  /** The invitation's token is all its link carries. */
  | "invitation by its token"
  /** A user leaves with the last of their memberships, whatever environment it was in. */
  | "the user's remaining memberships"
  /** Usage counted in memory, written for the keys it names, whatever their tenants. */
  | "flush the usage counts of keys"
  /** The first organization and its admins, on an empty database. */
  | "bootstrap an empty database"
  /** A new organization's first user is ADMIN in both its environments, before any request names them. */
  | "a new organization's first admins";

type TenantEntity = TenantScoped & ObjectLiteral;
type EntityClass<T> = new () => T;

/**
 * The one door to tenant rows that is not a tenant scope. Every call says why it may cross tenants;
 * `grep -rn "crossTenant"` lists them all.
 */
export class CrossTenant {
  constructor(private readonly em: EntityManager) {}

  /** A `name` runs it as a named (prepared) statement when outside a transaction (the job worker's hot path). */
  async rows<T>(reason: CrossTenantReason, statement: Sql, name?: string): Promise<T[]> {
    return (await runStatement(this.em, buildStatement(statement, null), `cross-tenant: ${reason}`, name)).rows as T[];
  }

  /** The scope of a tenant the caller names itself rather than takes from the request. */
  scope(reason: CrossTenantReason, tenant: Pick<TenantContext, "organizationId" | "environment">): TenantScope {
    return new TenantScope(this.em, tenant);
  }

  /** Returns the number of rows changed. */
  async execute(reason: CrossTenantReason, statement: Sql): Promise<number> {
    return (await runStatement(this.em, buildStatement(statement, null), `cross-tenant: ${reason}`)).affected;
  }

  findBy<T extends TenantEntity>(reason: CrossTenantReason, entity: EntityClass<T>, where: FindOptionsWhere<T>): Promise<T[]> {
    return this.em.findBy(entity, where);
  }

  findOneBy<T extends TenantEntity>(reason: CrossTenantReason, entity: EntityClass<T>, where: FindOptionsWhere<T>): Promise<T | null> {
    return this.em.findOneBy(entity, where);
  }

  existsBy<T extends TenantEntity>(reason: CrossTenantReason, entity: EntityClass<T>, where: FindOptionsWhere<T>): Promise<boolean> {
    return this.em.existsBy(entity, where);
  }
}
