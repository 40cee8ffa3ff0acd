import { Field, Int, ObjectType, registerEnumType } from "type-graphql";
import { Column, Entity } from "typeorm";
import { Node } from "./node.js";
import { TenantScoped } from "./tenant-scoped.js";
import { NodeRow } from "./node-row.js";

export enum CollaborativeAuthorizationResponseCode {
  APPROVED = "APPROVED",
  DECLINED = "DECLINED",
}
registerEnumType(CollaborativeAuthorizationResponseCode, { name: "CollaborativeAuthorizationResponseCode" });

export enum CollaborativeAuthorizationDecidedBy {
  ENDPOINT = "ENDPOINT",
  STAND_IN = "STAND_IN",
}
registerEnumType(CollaborativeAuthorizationDecidedBy, {
  name: "CollaborativeAuthorizationDecidedBy",
  description: "ENDPOINT: the active endpoint answered in time; STAND_IN: the endpoint's stand-in decision (or DECLINED) applied.",
});

export enum CollaborativeAuthorizationStandInReason {
  TIMEOUT = "TIMEOUT",
  ERROR = "ERROR",
  NO_ACTIVE_ENDPOINT = "NO_ACTIVE_ENDPOINT",
}
registerEnumType(CollaborativeAuthorizationStandInReason, {
  name: "CollaborativeAuthorizationStandInReason",
  description:
    "TIMEOUT: no answer within the budget; ERROR: refused connection, non-2xx or unusable body; NO_ACTIVE_ENDPOINT: nobody to ask.",
});

/** One decided authorization. Its id is the decision request's `id` and `webhook-id`. */
@Entity({ name: "collab_requests" })
@ObjectType("CollaborativeAuthorizationRequest", { implements: Node, simpleResolvers: true })
export class CollaborativeAuthorizationRequest
  extends NodeRow("CollaborativeAuthorizationRequest", TenantScoped, { givenId: true })
  implements Node
{
  /** Null when no endpoint was active. */
  @Column({ name: "endpoint_id", type: "uuid", nullable: true })
  endpointId: string | null;

  @Field(() => Int, { description: "Requested amount in minor units (cents)." })
  @Column({ type: "integer" })
  amount: number;

  @Field({ description: "ISO 4217, e.g. USD." })
  @Column({ name: "currency_code", type: "text" })
  currencyCode: string;

  @Field(() => String, { nullable: true })
  @Column({ name: "merchant_name", type: "text", nullable: true })
  merchantName: string | null;

  @Field(() => CollaborativeAuthorizationResponseCode)
  @Column({ name: "response_code", type: "enum", enum: CollaborativeAuthorizationResponseCode, enumName: "collab_response_code" })
  responseCode: CollaborativeAuthorizationResponseCode;

  @Field(() => Int, { description: "Minor units; 0 when declined, at most `amount`." })
  @Column({ name: "authorized_amount", type: "integer" })
  authorizedAmount: number;

  @Field(() => CollaborativeAuthorizationDecidedBy)
  @Column({ name: "decided_by", type: "enum", enum: CollaborativeAuthorizationDecidedBy, enumName: "collab_decided_by" })
  decidedBy: CollaborativeAuthorizationDecidedBy;

  @Field(() => CollaborativeAuthorizationStandInReason, { nullable: true, description: "Set when decidedBy is STAND_IN." })
  @Column({
    name: "stand_in_reason",
    type: "enum",
    enum: CollaborativeAuthorizationStandInReason,
    enumName: "collab_stand_in_reason",
    nullable: true,
  })
  standInReason: CollaborativeAuthorizationStandInReason | null;

  @Field(() => Int, { description: "Milliseconds from receiving the request to the decision." })
  @Column({ name: "latency_ms", type: "integer" })
  latencyMs: number;
}
