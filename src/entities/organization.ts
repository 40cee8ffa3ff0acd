import { Field, ObjectType } from "type-graphql";
import { Column, Entity } from "typeorm";
import { Node } from "./node.js";
import { Plan } from "./enums.js";
import { NodeRow } from "./node-row.js";

@Entity({ name: "organizations" })
@ObjectType({ implements: Node })
export class Organization extends NodeRow("Organization") implements Node {
  @Field()
  @Column({ type: "text" })
  name: string;

  @Field(() => Plan)
  @Column({ type: "enum", enum: Plan, enumName: "plan", default: Plan.FREE })
  plan: Plan;

  @Field({ description: "Members without two-factor sign-in can only set it up (setOrganizationTwoFactorRequirement)." })
  @Column({ name: "require_two_factor", type: "boolean", default: false })
  requireTwoFactor: boolean;
}
