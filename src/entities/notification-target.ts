import { Field, Int, ObjectType, registerEnumType } from "type-graphql";
import { Column, Entity, UpdateDateColumn } from "typeorm";
import { Node } from "./node.js";
import { NotificationEventName } from "./enums.js";
import { TenantScoped } from "./tenant-scoped.js";
import { NodeRow } from "./node-row.js";

export enum NotificationTargetStatus {
  PENDING_VERIFICATION = "PENDING_VERIFICATION",
  ACTIVE = "ACTIVE",
  ACTIVATION_FAILED = "ACTIVATION_FAILED",
  DEACTIVATED = "DEACTIVATED",
}
registerEnumType(NotificationTargetStatus, {
  name: "NotificationTargetStatus",
  description: "PENDING_VERIFICATION until the NOTIFICATION_ACTIVATION event is answered: 2xx → ACTIVE, otherwise ACTIVATION_FAILED.",
});

/** A customer's webhook URL, subscribed to event names (Highnote's WebhookNotificationTarget). */
@Entity({ name: "notification_targets" })
@ObjectType("WebhookNotificationTarget", { implements: Node, simpleResolvers: true })
export class NotificationTarget extends NodeRow("WebhookNotificationTarget", TenantScoped) implements Node {
  @Field()
  @Column({ type: "text" })
  name: string;

  @Field({ description: "Query values (and the fragment) read [redacted] without targets:write." })
  @Column({ type: "text" })
  uri: string;

  @Field(() => String, { nullable: true, description: "Who to tell about failing deliveries." })
  @Column({ type: "text", nullable: true })
  email: string | null;

  @Field(() => [NotificationEventName])
  @Column({ type: "enum", enum: NotificationEventName, enumName: "notification_event_name", array: true })
  subscriptions: NotificationEventName[];

  @Field(() => NotificationTargetStatus)
  @Column({ type: "enum", enum: NotificationTargetStatus, enumName: "notification_target_status" })
  status: NotificationTargetStatus;

  @Field()
  @UpdateDateColumn({ name: "updated_at", type: "timestamptz" })
  updatedAt: Date;

  @Field(() => Date, { nullable: true })
  @Column({ name: "deactivated_at", type: "timestamptz", nullable: true })
  deactivatedAt: Date | null;

  /** Start of an unbroken run of failed attempts; five days of it deactivate the target. */
  @Column({ name: "failing_since", type: "timestamptz", nullable: true })
  failingSince: Date | null;

  @Field(() => Int, {
    nullable: true,
    description: "At most this many deliveries start per second (retries, replays and recoveries included); null: no limit.",
  })
  @Column({ name: "max_deliveries_per_second", type: "int", nullable: true })
  maxDeliveriesPerSecond: number | null;

  /** Removed targets leave lists and receive nothing; their attempts stay readable. */
  @Column({ name: "removed_at", type: "timestamptz", nullable: true })
  removedAt: Date | null;
}
