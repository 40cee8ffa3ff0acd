import { Field, ObjectType } from "type-graphql";
import { Column } from "typeorm";
import { Environment } from "./enums.js";

/**
 * Columns every row below an organization carries. Rows of these entities are read
 * and written only through `TenantScope` (src/services/tenant-scope.ts), which fills
 * and filters both columns from the request context.
 */
@ObjectType()
export abstract class TenantScoped {
  @Column({ name: "organization_id", type: "uuid" })
  organizationId: string;

  @Field(() => Environment)
  @Column({ type: "enum", enum: Environment, enumName: "environment" })
  environment: Environment;
}
