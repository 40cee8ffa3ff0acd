import { Field, ObjectType } from "type-graphql";
import { Column, Entity, Index, JoinColumn, ManyToOne } from "typeorm";
import { Node } from "./node.js";
import { UserRole } from "./enums.js";
import { TenantScoped } from "./tenant-scoped.js";
import { User } from "./user.js";
import { NodeRow } from "./node-row.js";

/** A user's role in one environment of their organization. */
@Entity({ name: "memberships" })
@Index(["organizationId", "environment", "createdAt", "id"])
@Index(["userId", "environment"], { unique: true })
@ObjectType("UserMembership", { implements: Node })
export class Membership extends NodeRow("UserMembership", TenantScoped) implements Node {
  @Column({ name: "user_id", type: "uuid" })
  userId: string;

  @Field(() => User)
  @ManyToOne(() => User, { onDelete: "CASCADE" })
  @JoinColumn({ name: "user_id" })
  user: User;

  @Field(() => UserRole)
  @Column({ type: "enum", enum: UserRole, enumName: "user_role" })
  role: UserRole;
}
