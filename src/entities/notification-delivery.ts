import { Field, ObjectType } from "type-graphql";
import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from "typeorm";
import { TenantScoped } from "./tenant-scoped.js";

/**
 * One event for one target (Highnote's WebhookNotificationTargetEvent): the edge
 * node of `webhookNotificationTargetEvents`. Its attempts share the event id as
 * `webhook-id`, across retries and replays.
 */
@Entity({ name: "notification_deliveries" })
@ObjectType("WebhookNotificationTargetEvent", { simpleResolvers: true })
export class NotificationDelivery extends TenantScoped {
  @PrimaryGeneratedColumn("uuid")
  id: string;

  @Column({ name: "event_id", type: "uuid" })
  eventId: string;

  /** The event's creation: the day partition the delivery lives in, and the order of a target's events. */
  @Column({ name: "event_created_at", type: "timestamptz" })
  eventCreatedAt: Date;

  @Column({ name: "target_id", type: "uuid" })
  targetId: string;

  @CreateDateColumn({ name: "created_at", type: "timestamptz" })
  createdAt: Date;

  /** Counts scheduled attempt jobs; a job carrying an older step was superseded and does nothing. */
  @Column({ type: "int", default: 0 })
  step: number;

  /** Position in the retry schedule of the current run (a replay starts a new run at 0). */
  @Column({ name: "schedule_index", type: "int", default: 0 })
  scheduleIndex: number;

  @Column({ name: "attempt_count", type: "int", default: 0 })
  attemptCount: number;

  @Column({ name: "succeeded_at", type: "timestamptz", nullable: true })
  succeededAt: Date | null;

  @Field(() => Date, { nullable: true, description: "When the next attempt is due; null when none is." })
  @Column({ name: "next_attempt_at", type: "timestamptz", nullable: true })
  nextAttemptAt: Date | null;

  @Field({ description: "True once any attempt was answered with a 2xx." })
  get hasSuccessfulDelivery(): boolean {
    return this.succeededAt !== null;
  }
}
