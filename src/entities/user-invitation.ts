import { Field, ObjectType } from "type-graphql";
import { Column, Entity, Index } from "typeorm";
import { Node } from "./node.js";
import { ActorType, UserRole } from "./enums.js";
import { TenantScoped } from "./tenant-scoped.js";
import { NodeRow } from "./node-row.js";

/** An invitation into one environment with one role; the token is shown once and stored as SHA-256. */
@Entity({ name: "user_invitations" })
@ObjectType("UserInvitation", { implements: Node, simpleResolvers: true })
export class UserInvitation extends NodeRow("UserInvitation", TenantScoped) implements Node {
  /** Lower-cased. */
  @Field()
  @Column({ type: "text" })
  email: string;

  @Field(() => UserRole)
  @Column({ type: "enum", enum: UserRole, enumName: "user_role" })
  role: UserRole;

  @Index({ unique: true })
  @Column({ name: "token_hash", type: "bytea" })
  tokenHash: Buffer;

  /** Plaintext, set only on the instance inviteUser returns. */
  @Field(() => String, { nullable: true, description: "The invitation token. Returned once, by inviteUser; send it to the invitee." })
  token: string | null = null;

  @Field()
  @Column({ name: "expires_at", type: "timestamptz" })
  expiresAt: Date;

  @Field(() => Date, { nullable: true, description: "null while pending." })
  @Column({ name: "accepted_at", type: "timestamptz", nullable: true })
  acceptedAt: Date | null;

  @Column({ name: "invited_by_type", type: "enum", enum: ActorType, enumName: "actor_type" })
  invitedByType: ActorType;

  @Column({ name: "invited_by_id", type: "uuid", nullable: true })
  invitedById: string | null;
}
