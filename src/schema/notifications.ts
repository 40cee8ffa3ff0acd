import { ArrayMaxSize, ArrayMinSize, IsEmail, IsInt, IsOptional, Length, Max, MaxLength, Min } from "class-validator";
import { Field, ID, InputType, Int } from "type-graphql";
import { DeliveryAttempt } from "../entities/delivery-attempt.js";
import { NotificationEventName } from "../entities/enums.js";
import { NotificationDelivery } from "../entities/notification-delivery.js";
import { NotificationEvent } from "../entities/notification-event.js";
import { NotificationEventRecovery } from "../entities/notification-event-recovery.js";
import { NotificationTarget } from "../entities/notification-target.js";
import { NotificationTargetStatusChange } from "../entities/notification-target-status-change.js";
import { EMAIL_MAX, MAX_REPLAY_TARGETS, NAME_MAX, URI_MAX } from "../limits.js";
import { Connection } from "./connection.js";
import { payloadUnion } from "./payload.js";

const EVENT_NAMES = Object.keys(NotificationEventName).length;

/** The highest maxDeliveriesPerSecond a target may have. */
export const MAX_DELIVERIES_PER_SECOND = 1000;

/** `maxDeliveriesPerSecond`, as the add and set inputs both take it. */
function RateLimitField(): PropertyDecorator {
  const decorators = [
    Field(() => Int, {
      nullable: true,
      description: `At most this many deliveries per second to the target (1–${MAX_DELIVERIES_PER_SECOND}); null or omitted: no limit.`,
    }),
    IsOptional(),
    IsInt(),
    Min(1),
    Max(MAX_DELIVERIES_PER_SECOND),
  ];
  return (target, property) => decorators.forEach((decorate) => decorate(target, property));
}

@InputType()
export class AddWebhookNotificationTargetInput {
  @Field({ description: `1–${NAME_MAX} characters.` })
  @Length(1, NAME_MAX)
  name: string;

  @Field({
    description:
      "Where events are POSTed. LIVE: https and a public address; TEST also allows http (and loopback/private addresses unless KEYWAY_ALLOW_PRIVATE_URLS=none).",
  })
  @MaxLength(URI_MAX)
  uri: string;

  @Field(() => String, { nullable: true, description: "A contact for this target." })
  @IsOptional()
  @IsEmail()
  @MaxLength(EMAIL_MAX)
  email?: string | null;

  @Field(() => [NotificationEventName], {
    description: "The event names delivered to this target (NOTIFICATION_ACTIVATION is sent regardless).",
  })
  @ArrayMinSize(1)
  @ArrayMaxSize(EVENT_NAMES)
  subscriptions: NotificationEventName[];

  @RateLimitField()
  maxDeliveriesPerSecond?: number | null;
}

@InputType({ description: "Names one notification target." })
export class NotificationTargetIdInput {
  @Field(() => ID)
  targetId: string;
}

@InputType()
export class ActivateNotificationTargetInput extends NotificationTargetIdInput {}
@InputType()
export class DeactivateNotificationTargetInput extends NotificationTargetIdInput {}
@InputType()
export class RemoveNotificationTargetInput extends NotificationTargetIdInput {}
@InputType()
export class RemoveEmailFromNotificationTargetInput extends NotificationTargetIdInput {}
@InputType()
export class RotateNotificationTargetSigningKeyInput extends NotificationTargetIdInput {}

@InputType()
export class RenameNotificationTargetInput extends NotificationTargetIdInput {
  @Field()
  @Length(1, NAME_MAX)
  name: string;
}

@InputType()
export class SetEmailForNotificationTargetInput extends NotificationTargetIdInput {
  @Field()
  @IsEmail()
  @MaxLength(EMAIL_MAX)
  email: string;
}

@InputType()
export class SetNotificationTargetRateLimitInput extends NotificationTargetIdInput {
  @RateLimitField()
  maxDeliveriesPerSecond?: number | null;
}

@InputType()
export class RecoverNotificationEventsInput extends NotificationTargetIdInput {
  @Field({ description: "Events created at or after this instant; at most 30 days ago." })
  since: Date;

  @Field(() => Date, { nullable: true, description: "…and before this one; default: now." })
  @IsOptional()
  until?: Date | null;
}

@InputType({ description: "Names a target and event names." })
export class NotificationTargetSubscriptionsInput extends NotificationTargetIdInput {
  @Field(() => [NotificationEventName])
  @ArrayMinSize(1)
  @ArrayMaxSize(EVENT_NAMES)
  subscriptions: NotificationEventName[];
}

@InputType()
export class AddSubscriptionsToNotificationTargetInput extends NotificationTargetSubscriptionsInput {}
@InputType()
export class RemoveSubscriptionsFromNotificationTargetInput extends NotificationTargetSubscriptionsInput {}

@InputType()
export class ReplayNotificationEventInput {
  @Field(() => ID)
  notificationEventId: string;

  @Field(() => [ID], {
    nullable: true,
    description: "Targets to send it to; omitted or empty: every ACTIVE target subscribed to the event's name.",
  })
  @IsOptional()
  @ArrayMaxSize(MAX_REPLAY_TARGETS)
  targetIds?: string[] | null;
}

@InputType({ description: "A time range; both bounds are inclusive and optional." })
export class NotificationTimestampFilterInput {
  @Field(() => Date, { nullable: true, description: "At or after this instant." })
  gte?: Date | null;

  @Field(() => Date, { nullable: true, description: "At or before this instant." })
  lte?: Date | null;
}

@InputType()
export class NotificationEventFilterInput {
  @Field(() => [NotificationEventName], { nullable: true })
  name?: NotificationEventName[] | null;

  @Field(() => NotificationTimestampFilterInput, { nullable: true })
  createdAt?: NotificationTimestampFilterInput | null;
}

@InputType()
export class WebhookNotificationTargetEventFilterInput {
  @Field(() => NotificationTimestampFilterInput, { nullable: true })
  eventCreatedAt?: NotificationTimestampFilterInput | null;

  @Field(() => [NotificationEventName], { nullable: true })
  name?: NotificationEventName[] | null;

  @Field(() => Boolean, { nullable: true })
  hasSuccessfulDelivery?: boolean | null;
}

export const WebhookNotificationTargetConnection = Connection("WebhookNotificationTarget", NotificationTarget);
export const NotificationEventConnection = Connection("NotificationEvent", NotificationEvent);
export const DeliveryAttemptConnection = Connection("DeliveryAttempt", DeliveryAttempt);
export const NotificationTargetStatusChangeConnection = Connection("NotificationTargetStatusChange", NotificationTargetStatusChange);
export const WebhookNotificationTargetEventConnection = Connection("WebhookNotificationTargetEvent", NotificationDelivery);
export const WebhookNotificationTargetPayload = payloadUnion("WebhookNotificationTargetPayload", NotificationTarget);
export const NotificationEventPayload = payloadUnion("NotificationEventPayload", NotificationEvent);
export const NotificationEventRecoveryPayload = payloadUnion("NotificationEventRecoveryPayload", NotificationEventRecovery);
