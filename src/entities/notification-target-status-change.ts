import { Field, ObjectType } from "type-graphql";
import { Column, Entity } from "typeorm";
import { NotificationTargetStatus } from "./notification-target.js";
import { TenantScoped } from "./tenant-scoped.js";
import { NodeRow } from "./node-row.js";

/** One entry of a target's statusHistory: what it became and why. */
@Entity({ name: "notification_target_status_changes" })
@ObjectType("NotificationTargetStatusChange", { simpleResolvers: true })
export class NotificationTargetStatusChange extends NodeRow("NotificationTargetStatusChange", TenantScoped) {
  @Column({ name: "target_id", type: "uuid" })
  targetId: string;

  @Field(() => NotificationTargetStatus)
  @Column({ type: "enum", enum: NotificationTargetStatus, enumName: "notification_target_status" })
  status: NotificationTargetStatus;

  @Field({ description: 'Why, e.g. "activation event answered HTTP 200" or "HTTP 410 Gone".' })
  @Column({ type: "text" })
  reason: string;
}
