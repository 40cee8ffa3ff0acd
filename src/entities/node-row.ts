import { Field, ID, ObjectType } from "type-graphql";
import { CreateDateColumn, PrimaryColumn, PrimaryGeneratedColumn } from "typeorm";
import { encodeId, type NodeTypeName } from "../db/ids.js";

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a mixin's base must accept any constructor arguments (TypeScript's rule for mixins)
type AbstractClass = abstract new (...args: any[]) => object;

/** The base of rows that belong to no environment (organizations, users). */
abstract class Untenanted {}

export interface NodeRowOptions {
  /** The code that inserts a row chooses its id; by default the database generates it. */
  givenId?: boolean;
}

/**
 * What every row with a typed id begins with: its UUID `id`, shown to clients as the opaque
 * id of `typeName` (`key_…`, `usr_…`), and `createdAt`. Extends `Base` (`TenantScoped` for
 * rows of one environment): `class ApiKey extends NodeRow("APIKey", TenantScoped)`.
 * A type that implements Node takes its `id` field from the interface, which reads `nodeId`.
 */
export function NodeRow<TBase extends AbstractClass = typeof Untenanted>(
  typeName: NodeTypeName,
  Base: TBase = Untenanted as TBase,
  options: NodeRowOptions = {},
) {
  const IdColumn = options.givenId ? PrimaryColumn("uuid") : PrimaryGeneratedColumn("uuid");

  @ObjectType()
  abstract class Row extends Base {
    @IdColumn
    id: string;

    @Field(() => ID, { name: "id" })
    get nodeId(): string {
      return encodeId(typeName, this.id);
    }

    @Field({ simple: true })
    @CreateDateColumn({ name: "created_at", type: "timestamptz" })
    createdAt: Date;
  }
  return Row;
}
