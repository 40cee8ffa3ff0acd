import { GraphQLError } from "graphql";
import { Arg, Ctx, FieldResolver, Int, Mutation, Resolver, Root } from "type-graphql";
import { Allowed } from "../auth/allowed.js";
import type { Services } from "../services/registry.js";
import type { RequestContext } from "../auth/request-context.js";
import { tenantContext } from "../auth/graphql-edge.js";
import { NotificationEventRecovery } from "../entities/notification-event-recovery.js";
import { NotificationTarget } from "../entities/notification-target.js";
import { DomainError } from "../services/domain-errors.js";
import { inputId } from "../schema/ids.js";
import { NotificationEventRecoveryPayload, RecoverNotificationEventsInput } from "../schema/notifications.js";

@Resolver(() => NotificationEventRecovery)
export class NotificationEventRecoveryResolver {
  constructor(private readonly services: Services) {}

  @Allowed("events:replay")
  @Mutation(() => NotificationEventRecoveryPayload, {
    description:
      "Delivers again, oldest first and with their own ids, every event of the target's subscriptions created in [since, until) that it has not received successfully. At most 30 days back and 10,000 events (more: LIMIT_EXCEEDED, nothing sent).",
  })
  recoverNotificationEvents(
    @Arg("input") input: RecoverNotificationEventsInput,
    @Ctx() ctx: RequestContext,
  ): Promise<typeof NotificationEventRecoveryPayload> {
    const targetId = inputId("WebhookNotificationTarget", input.targetId, "targetId");
    return this.services.eventRecovery.recover(tenantContext(ctx), targetId, input.since, input.until);
  }
}

@Resolver(() => NotificationTarget)
export class RecoverableEventCountResolver {
  constructor(private readonly services: Services) {}

  @Allowed("events:read")
  @FieldResolver(() => Int, {
    description: "How many events recoverNotificationEvents would send for this range now (until defaults to now).",
  })
  recoverableEventCount(
    @Root() target: NotificationTarget,
    @Arg("since") since: Date,
    @Arg("until", () => Date, { nullable: true }) until: Date | null,
    @Ctx() ctx: RequestContext,
  ): Promise<number> {
    return this.services.eventRecovery.count(tenantContext(ctx), target.id, since, until).catch((error: unknown) => {
      // A query has no payload union: a range the mutation would refuse is a client error here.
      if (error instanceof DomainError) throw new GraphQLError(error.message, { extensions: { code: "BAD_USER_INPUT" } });
      throw error;
    });
  }
}
