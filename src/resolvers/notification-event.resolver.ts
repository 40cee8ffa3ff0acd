import { Arg, Args, Ctx, FieldResolver, Mutation, Resolver, Root } from "type-graphql";
import { Allowed } from "../auth/allowed.js";
import type { Services } from "../services/registry.js";
import type { RequestContext } from "../auth/request-context.js";
import { tenantContext } from "../auth/graphql-edge.js";
import { NotificationEvent } from "../entities/notification-event.js";
import { Organization } from "../entities/organization.js";
import { ConnectionArgs, toConnection } from "../schema/connection.js";
import { inputId } from "../schema/ids.js";
import {
  DeliveryAttemptConnection,
  NotificationEventConnection,
  NotificationEventFilterInput,
  NotificationEventPayload,
  ReplayNotificationEventInput,
} from "../schema/notifications.js";

@Resolver(() => NotificationEvent)
export class NotificationEventResolver {
  constructor(private readonly services: Services) {}

  @Allowed("events:replay")
  @Mutation(() => NotificationEventPayload, {
    description:
      "Sends the event again (same id, so the same webhook-id) to the given targets, or to every ACTIVE target subscribed to it, even after an earlier success.",
  })
  replayNotificationEvent(
    @Arg("input") input: ReplayNotificationEventInput,
    @Ctx() ctx: RequestContext,
  ): Promise<typeof NotificationEventPayload> {
    const eventId = inputId("NotificationEvent", input.notificationEventId, "notificationEventId");
    const targetIds = input.targetIds?.map((id, index) => inputId("WebhookNotificationTarget", id, `targetIds.${index}`));
    return this.services.notificationEvents.replay(tenantContext(ctx), eventId, targetIds);
  }

  @FieldResolver(() => DeliveryAttemptConnection, { description: "Every attempt of this event, at every target, newest first." })
  deliveryAttempts(@Root() event: NotificationEvent, @Args() page: ConnectionArgs, @Ctx() ctx: RequestContext) {
    return toConnection(this.services.notificationTargets.attempts(tenantContext(ctx), "eventId", event.id, page, event.createdAt));
  }
}

@Resolver(() => Organization)
export class OrganizationNotificationEventsResolver {
  constructor(private readonly services: Services) {}

  @Allowed("events:read")
  @FieldResolver(() => NotificationEventConnection, { description: "Events of the last 30 days, newest first." })
  notificationEvents(
    @Args() page: ConnectionArgs,
    @Arg("filterBy", () => NotificationEventFilterInput, { nullable: true }) filterBy: NotificationEventFilterInput | null,
    @Ctx() ctx: RequestContext,
  ) {
    return toConnection(this.services.notificationEvents.list(tenantContext(ctx), page, filterBy));
  }
}
