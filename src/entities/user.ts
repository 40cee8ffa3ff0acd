import { Field, ObjectType } from "type-graphql";
import { Column, Entity, Index, UpdateDateColumn } from "typeorm";
import { Node } from "./node.js";
import { NodeRow } from "./node-row.js";

/** A dashboard identity. Email and password are organization-wide; roles live in memberships. */
@Entity({ name: "users" })
@ObjectType({ implements: Node })
export class User extends NodeRow("User") implements Node {
  @Index()
  @Column({ name: "organization_id", type: "uuid" })
  organizationId: string;

  /** Stored lower-cased; unique across the installation so login needs no organization. */
  @Field()
  @Index({ unique: true })
  @Column({ type: "text" })
  email: string;

  @Field(() => String, { nullable: true })
  @Column({ type: "text", nullable: true })
  name: string | null;

  @Column({ name: "password_hash", type: "text" })
  passwordHash: string;

  @Field({ description: "Whether login needs a second factor (a TOTP or recovery code) besides the password." })
  @Column({ name: "two_factor_enabled", type: "boolean", default: false })
  twoFactorEnabled: boolean;

  @Field(() => Date, { nullable: true })
  @Column({ name: "last_login_at", type: "timestamptz", nullable: true })
  lastLoginAt: Date | null;

  @UpdateDateColumn({ name: "updated_at", type: "timestamptz" })
  updatedAt: Date;
}
