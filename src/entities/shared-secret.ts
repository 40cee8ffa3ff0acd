import { Field, ObjectType } from "type-graphql";
import { Column, Entity } from "typeorm";
import { TenantScoped } from "./tenant-scoped.js";
import { NodeRow } from "./node-row.js";

/**
 * The API shared secret of an environment (Highnote's "API SHARED SECRET"):
 * integrations sign short-lived HS256 JWTs with it. One row per secret; the
 * current one has no `expiresAt`, rotation gives the previous one 24 hours.
 */
@Entity({ name: "shared_secrets" })
@ObjectType("SharedSecret", { simpleResolvers: true })
export class SharedSecret extends NodeRow("SharedSecret", TenantScoped) {
  /** The secret as stored: encrypted (src/db/secret-box.ts). SharedSecretService opens it into `secret`. */
  @Column({ name: "secret", type: "text" })
  sealedSecret: string;

  @Field({ description: "The HMAC key of the JWT is the UTF-8 bytes of this string." })
  secret: string;

  /** Null for the current secret; set when a rotation replaced it. */
  @Column({ name: "expires_at", type: "timestamptz", nullable: true })
  expiresAt: Date | null;

  @Field(() => Date, { nullable: true, description: "Until when the secret this one replaced still verifies; null when none does." })
  previousSecretExpiresAt: Date | null = null;
}
