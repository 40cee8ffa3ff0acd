import { Field, Int, ObjectType, registerEnumType } from "type-graphql";
import { Column, Entity } from "typeorm";
import { formatBytes, RESPONSE_BODY_MAX_BYTES } from "../limits.js";
import { Node } from "./node.js";
import { TenantScoped } from "./tenant-scoped.js";
import { NodeRow } from "./node-row.js";

export enum DeliveryAttemptStatus {
  SUCCESS = "SUCCESS",
  FAILURE = "FAILURE",
}
registerEnumType(DeliveryAttemptStatus, { name: "DeliveryAttemptStatus" });

/** One POST of an event to a target, whatever came of it. */
@Entity({ name: "delivery_attempts" })
@ObjectType("DeliveryAttempt", { implements: Node, simpleResolvers: true })
export class DeliveryAttempt extends NodeRow("DeliveryAttempt", TenantScoped) implements Node {
  @Column({ name: "delivery_id", type: "uuid" })
  deliveryId: string;

  @Column({ name: "event_id", type: "uuid" })
  eventId: string;

  /** The event's creation: the day partition the attempt lives in. */
  @Column({ name: "event_created_at", type: "timestamptz" })
  eventCreatedAt: Date;

  @Column({ name: "target_id", type: "uuid" })
  targetId: string;

  @Field(() => Int, { description: "1 for the first attempt of this event at this target; retries and replays count on." })
  @Column({ name: "attempt_number", type: "int" })
  attemptNumber: number;

  @Field(() => DeliveryAttemptStatus, { description: "SUCCESS when answered with a 2xx." })
  @Column({ type: "enum", enum: DeliveryAttemptStatus, enumName: "delivery_attempt_status" })
  status: DeliveryAttemptStatus;

  @Field(() => Int, { nullable: true, description: "null when no HTTP response arrived (timeout, connection refused, unsafe address)." })
  @Column({ name: "http_status", type: "int", nullable: true })
  httpStatus: number | null;

  @Field(() => Int)
  @Column({ name: "duration_ms", type: "int" })
  durationMs: number;

  @Field(() => String, { nullable: true, description: `The first ${formatBytes(RESPONSE_BODY_MAX_BYTES)} of the response body.` })
  @Column({ name: "response_body", type: "text", nullable: true })
  responseBody: string | null;

  @Field(() => String, { nullable: true })
  @Column({ name: "error_message", type: "text", nullable: true })
  errorMessage: string | null;
}
