import { Field, Int, ObjectType } from "type-graphql";
import { Column, Entity } from "typeorm";
import { NodeRow } from "./node-row.js";
import { NotificationTarget } from "./notification-target.js";
import { TenantScoped } from "./tenant-scoped.js";

/** One recoverNotificationEvents call: which target, which time range, how many events it queued. */
@Entity({ name: "notification_event_recoveries" })
@ObjectType("NotificationEventRecovery", { simpleResolvers: true })
export class NotificationEventRecovery extends NodeRow("NotificationEventRecovery", TenantScoped) {
  @Column({ name: "target_id", type: "uuid" })
  targetId: string;

  /** Filled in by the service that made the recovery. */
  @Field(() => NotificationTarget)
  target: NotificationTarget;

  @Field({ description: "Events created at or after this instant were considered." })
  @Column({ type: "timestamptz" })
  since: Date;

  @Field({ description: "…and before this one." })
  @Column({ type: "timestamptz" })
  until: Date;

  @Field(() => Int, { description: "How many events were queued for delivery: those without a successful delivery to the target." })
  @Column({ name: "event_count", type: "int" })
  eventCount: number;
}
