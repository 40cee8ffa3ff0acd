import { Field, ID, ObjectType } from "type-graphql";
import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from "typeorm";
import { encodeId } from "../db/ids.js";
import { Node } from "./node.js";
import { Plan } from "./enums.js";

@Entity({ name: "organizations" })
@ObjectType({ implements: Node })
export class Organization implements Node {
  @PrimaryGeneratedColumn("uuid")
  id: string;

  @Field(() => ID, { name: "id" })
  get nodeId(): string {
    return encodeId("Organization", this.id);
  }

  @Field()
  @Column({ type: "text" })
  name: string;

  @Field(() => Plan)
  @Column({ type: "enum", enum: Plan, enumName: "plan", default: Plan.FREE })
  plan: Plan;

  @Field({ description: "Members without two-factor sign-in can only set it up (setOrganizationTwoFactorRequirement)." })
  @Column({ name: "require_two_factor", type: "boolean", default: false })
  requireTwoFactor: boolean;

  @Field()
  @CreateDateColumn({ name: "created_at", type: "timestamptz" })
  createdAt: Date;
}
