import { Field, ObjectType } from "type-graphql";
import { Column, Entity, Index } from "typeorm";
import { TenantScoped } from "./tenant-scoped.js";
import { NodeRow } from "./node-row.js";

/**
 * A Standard Webhooks signing secret of a notification target or a
 * collaborative-authorization endpoint (the owner). Rotation adds a key and
 * expires the previous ones after a grace period; while both are valid, each
 * message carries both signatures.
 */
@Entity({ name: "signing_keys" })
@Index(["ownerId", "createdAt"])
@ObjectType("SigningKey", { simpleResolvers: true })
export class SigningKey extends NodeRow("SigningKey", TenantScoped) {
  @Column({ name: "owner_id", type: "uuid" })
  ownerId: string;

  /** The secret as stored: encrypted (src/db/secret-box.ts). SigningKeyService opens it into `secret`. */
  @Column({ name: "secret", type: "text" })
  sealedSecret: string;

  @Field({ description: "whsec_…; verify deliveries with any Standard Webhooks library." })
  secret: string;

  @Field(() => Date, { nullable: true, description: "null until a rotation gives it an end." })
  @Column({ name: "expires_at", type: "timestamptz", nullable: true })
  expiresAt: Date | null;
}
