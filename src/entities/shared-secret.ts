import { Field, ID, ObjectType } from "type-graphql";
import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from "typeorm";
import { encodeId } from "../db/ids.js";
import { TenantScoped } from "./tenant-scoped.js";

/**
 * The API shared secret of an environment (Highnote's "API SHARED SECRET"):
 * integrations sign short-lived HS256 JWTs with it. One row per secret; the
 * current one has no `expiresAt`, rotation gives the previous one 24 hours.
 */
@Entity({ name: "shared_secrets" })
@ObjectType("SharedSecret", { simpleResolvers: true })
export class SharedSecret extends TenantScoped {
  @PrimaryGeneratedColumn("uuid")
  id: string;

  @Field(() => ID, { name: "id" })
  get nodeId(): string {
    return encodeId("SharedSecret", this.id);
  }

  /** The secret as stored: encrypted (src/db/secret-box.ts). SharedSecretService opens it into `secret`. */
  @Column({ name: "secret", type: "text" })
  sealedSecret: string;

  @Field({ description: "The HMAC key of the JWT is the UTF-8 bytes of this string." })
  secret: string;

  @Field()
  @CreateDateColumn({ name: "created_at", type: "timestamptz" })
  createdAt: Date;

  /** Null for the current secret; set when a rotation replaced it. */
  @Column({ name: "expires_at", type: "timestamptz", nullable: true })
  expiresAt: Date | null;

  @Field(() => Date, { nullable: true, description: "Until when the secret this one replaced still verifies; null when none does." })
  previousSecretExpiresAt: Date | null = null;
}
