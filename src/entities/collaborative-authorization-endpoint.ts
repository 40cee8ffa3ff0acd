import { Field, ObjectType, registerEnumType } from "type-graphql";
import { Column, Entity, UpdateDateColumn } from "typeorm";
import { Node } from "./node.js";
import { TenantScoped } from "./tenant-scoped.js";
import { NodeRow } from "./node-row.js";

/** The same lifecycle as a notification target's status. */
export enum CollaborativeAuthorizationEndpointStatus {
  PENDING_VERIFICATION = "PENDING_VERIFICATION",
  ACTIVE = "ACTIVE",
  DEACTIVATED = "DEACTIVATED",
  ACTIVATION_FAILED = "ACTIVATION_FAILED",
}
registerEnumType(CollaborativeAuthorizationEndpointStatus, {
  name: "CollaborativeAuthorizationEndpointStatus",
  description: "At most one endpoint of an environment is ACTIVE.",
});

export enum CollaborativeAuthorizationStandInDecision {
  APPROVE = "APPROVE",
  DECLINE = "DECLINE",
}
registerEnumType(CollaborativeAuthorizationStandInDecision, {
  name: "CollaborativeAuthorizationStandInDecision",
  description: "Applied when the endpoint does not answer in time or answers something unusable.",
});

/**
 * Where decision requests go. Removed endpoints keep their row (deletedAt) so the
 * requests they decided still name them; they are gone from lists, node() and mutations.
 */
@Entity({ name: "collab_endpoints" })
@ObjectType("CollaborativeAuthorizationEndpoint", { implements: Node, simpleResolvers: true })
export class CollaborativeAuthorizationEndpoint extends NodeRow("CollaborativeAuthorizationEndpoint", TenantScoped) implements Node {
  @Field()
  @Column({ type: "text" })
  name: string;

  @Field()
  @Column({ type: "text" })
  uri: string;

  @Field(() => CollaborativeAuthorizationEndpointStatus)
  @Column({
    type: "enum",
    enum: CollaborativeAuthorizationEndpointStatus,
    enumName: "collab_endpoint_status",
    default: CollaborativeAuthorizationEndpointStatus.PENDING_VERIFICATION,
  })
  status: CollaborativeAuthorizationEndpointStatus;

  @Field(() => CollaborativeAuthorizationStandInDecision)
  @Column({
    name: "stand_in_decision",
    type: "enum",
    enum: CollaborativeAuthorizationStandInDecision,
    enumName: "collab_stand_in_decision",
    default: CollaborativeAuthorizationStandInDecision.DECLINE,
  })
  standInDecision: CollaborativeAuthorizationStandInDecision;

  @Field()
  @UpdateDateColumn({ name: "updated_at", type: "timestamptz" })
  updatedAt: Date;

  @Field(() => Date, { nullable: true, description: "When it last became ACTIVE." })
  @Column({ name: "activated_at", type: "timestamptz", nullable: true })
  activatedAt: Date | null;

  @Field(() => Date, {
    nullable: true,
    description: "When it was last deactivated, by deactivate… or by the activation of another endpoint.",
  })
  @Column({ name: "deactivated_at", type: "timestamptz", nullable: true })
  deactivatedAt: Date | null;

  @Column({ name: "deleted_at", type: "timestamptz", nullable: true })
  deletedAt: Date | null;
}
