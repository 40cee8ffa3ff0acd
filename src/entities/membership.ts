import { Field, ID, ObjectType } from "type-graphql";
import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from "typeorm";
import { encodeId } from "../db/ids.js";
import { Node } from "./node.js";
import { UserRole } from "./enums.js";
import { TenantScoped } from "./tenant-scoped.js";
import { User } from "./user.js";

/** A user's role in one environment of their organization. */
@Entity({ name: "memberships" })
@Index(["organizationId", "environment", "createdAt", "id"])
@Index(["userId", "environment"], { unique: true })
@ObjectType("UserMembership", { implements: Node })
export class Membership extends TenantScoped implements Node {
  @PrimaryGeneratedColumn("uuid")
  id: string;

  @Field(() => ID, { name: "id" })
  get nodeId(): string {
    return encodeId("UserMembership", this.id);
  }

  @Column({ name: "user_id", type: "uuid" })
  userId: string;

  @Field(() => User)
  @ManyToOne(() => User, { onDelete: "CASCADE" })
  @JoinColumn({ name: "user_id" })
  user: User;

  @Field(() => UserRole)
  @Column({ type: "enum", enum: UserRole, enumName: "user_role" })
  role: UserRole;

  @Field()
  @CreateDateColumn({ name: "created_at", type: "timestamptz" })
  createdAt: Date;
}
