import { Arg, Args, Ctx, FieldResolver, Mutation, Resolver, Root } from "type-graphql";
import { Allowed } from "../auth/allowed.js";
import type { Services } from "../services/registry.js";
import type { RequestContext } from "../auth/request-context.js";
import { tenantContext } from "../auth/graphql-edge.js";
import { DeliveryAttempt } from "../entities/delivery-attempt.js";
import { NotificationDelivery } from "../entities/notification-delivery.js";
import { NotificationEvent } from "../entities/notification-event.js";
import { NotificationTarget } from "../entities/notification-target.js";
import { Organization } from "../entities/organization.js";
import { SigningKey } from "../entities/signing-key.js";
import { ConnectionArgs, toConnection } from "../schema/connection.js";
import { inputId } from "../schema/ids.js";
import { redactQueryValues } from "../schema/redacted-uri.js";
import {
  ActivateNotificationTargetInput,
  AddSubscriptionsToNotificationTargetInput,
  AddWebhookNotificationTargetInput,
  DeactivateNotificationTargetInput,
  DeliveryAttemptConnection,
  NotificationTargetStatusChangeConnection,
  RemoveEmailFromNotificationTargetInput,
  RemoveNotificationTargetInput,
  RemoveSubscriptionsFromNotificationTargetInput,
  RenameNotificationTargetInput,
  RotateNotificationTargetSigningKeyInput,
  SetEmailForNotificationTargetInput,
  SetNotificationTargetRateLimitInput,
  WebhookNotificationTargetConnection,
  WebhookNotificationTargetEventConnection,
  WebhookNotificationTargetEventFilterInput,
  WebhookNotificationTargetPayload,
} from "../schema/notifications.js";
import { loadersFor } from "./loaders.js";

type Payload = typeof WebhookNotificationTargetPayload;

function targetId(input: { targetId: string }): string {
  return inputId("WebhookNotificationTarget", input.targetId, "targetId");
}

@Resolver(() => NotificationTarget)
export class NotificationTargetResolver {
  constructor(private readonly services: Services) {}

  @Allowed("targets:write")
  @Mutation(() => WebhookNotificationTargetPayload, {
    description: "Adds a target as PENDING_VERIFICATION and sends it a NOTIFICATION_ACTIVATION event: a 2xx answer makes it ACTIVE.",
  })
  addWebhookNotificationTarget(@Arg("input") input: AddWebhookNotificationTargetInput, @Ctx() ctx: RequestContext): Promise<Payload> {
    return this.services.notificationTargets.add(tenantContext(ctx), input);
  }

  @Allowed("targets:write")
  @Mutation(() => WebhookNotificationTargetPayload, {
    description: "Sends a new NOTIFICATION_ACTIVATION event (after ACTIVATION_FAILED or DEACTIVATED).",
  })
  activateNotificationTarget(@Arg("input") input: ActivateNotificationTargetInput, @Ctx() ctx: RequestContext): Promise<Payload> {
    return this.services.notificationTargets.activate(tenantContext(ctx), targetId(input));
  }

  @Allowed("targets:write")
  @Mutation(() => WebhookNotificationTargetPayload, { description: "Stops deliveries until the target is activated again." })
  deactivateNotificationTarget(@Arg("input") input: DeactivateNotificationTargetInput, @Ctx() ctx: RequestContext): Promise<Payload> {
    return this.services.notificationTargets.deactivate(tenantContext(ctx), targetId(input));
  }

  @Allowed("targets:write")
  @Mutation(() => WebhookNotificationTargetPayload, { description: "Removes the target from lists and deliveries; returns it as it was." })
  removeNotificationTarget(@Arg("input") input: RemoveNotificationTargetInput, @Ctx() ctx: RequestContext): Promise<Payload> {
    return this.services.notificationTargets.remove(tenantContext(ctx), targetId(input));
  }

  @Allowed("targets:write")
  @Mutation(() => WebhookNotificationTargetPayload)
  renameNotificationTarget(@Arg("input") input: RenameNotificationTargetInput, @Ctx() ctx: RequestContext): Promise<Payload> {
    return this.services.notificationTargets.rename(tenantContext(ctx), targetId(input), input.name);
  }

  @Allowed("targets:write")
  @Mutation(() => WebhookNotificationTargetPayload)
  setEmailForNotificationTarget(@Arg("input") input: SetEmailForNotificationTargetInput, @Ctx() ctx: RequestContext): Promise<Payload> {
    return this.services.notificationTargets.setEmail(tenantContext(ctx), targetId(input), input.email);
  }

  @Allowed("targets:write")
  @Mutation(() => WebhookNotificationTargetPayload)
  removeEmailFromNotificationTarget(
    @Arg("input") input: RemoveEmailFromNotificationTargetInput,
    @Ctx() ctx: RequestContext,
  ): Promise<Payload> {
    return this.services.notificationTargets.setEmail(tenantContext(ctx), targetId(input), null);
  }

  @Allowed("targets:write")
  @Mutation(() => WebhookNotificationTargetPayload)
  addSubscriptionsToNotificationTarget(
    @Arg("input") input: AddSubscriptionsToNotificationTargetInput,
    @Ctx() ctx: RequestContext,
  ): Promise<Payload> {
    return this.services.notificationTargets.addSubscriptions(tenantContext(ctx), targetId(input), input.subscriptions);
  }

  @Allowed("targets:write")
  @Mutation(() => WebhookNotificationTargetPayload)
  removeSubscriptionsFromNotificationTarget(
    @Arg("input") input: RemoveSubscriptionsFromNotificationTargetInput,
    @Ctx() ctx: RequestContext,
  ): Promise<Payload> {
    return this.services.notificationTargets.removeSubscriptions(tenantContext(ctx), targetId(input), input.subscriptions);
  }

  @Allowed("targets:write")
  @Mutation(() => WebhookNotificationTargetPayload, {
    description: "Adds a signing key; the current ones keep signing for 24 h, so receivers can switch. At most 5 valid keys.",
  })
  rotateNotificationTargetSigningKey(
    @Arg("input") input: RotateNotificationTargetSigningKeyInput,
    @Ctx() ctx: RequestContext,
  ): Promise<Payload> {
    return this.services.notificationTargets.rotateSigningKey(tenantContext(ctx), targetId(input));
  }

  @Allowed("targets:write")
  @Mutation(() => WebhookNotificationTargetPayload, {
    description: "Sets (1–1000) or lifts (null) the target's maxDeliveriesPerSecond; deliveries over it wait, they do not fail.",
  })
  setNotificationTargetRateLimit(@Arg("input") input: SetNotificationTargetRateLimitInput, @Ctx() ctx: RequestContext): Promise<Payload> {
    return this.services.notificationTargets.setRateLimit(tenantContext(ctx), targetId(input), input.maxDeliveriesPerSecond ?? null);
  }

  // Receivers often authenticate Keyway with a token in the query string: only those who may change the target see it.
  @FieldResolver(() => String)
  uri(@Root() target: NotificationTarget, @Ctx() ctx: RequestContext): string {
    return tenantContext(ctx).permissions.has("targets:write") ? target.uri : redactQueryValues(target.uri);
  }

  // The secrets let their holder forge deliveries, so reading them takes what changing the target takes.
  @Allowed("targets:write")
  @FieldResolver(() => [SigningKey], {
    nullable: true,
    description: "The unexpired keys, newest first; every delivery is signed with each. Needs targets:write.",
  })
  signingKeys(@Root() target: NotificationTarget, @Ctx() ctx: RequestContext): Promise<SigningKey[]> {
    return loadersFor(ctx, this.services).signingKeys.load(target.id);
  }

  @FieldResolver(() => DeliveryAttemptConnection, { description: "Every attempt at this target, newest first." })
  deliveryAttempts(@Root() target: NotificationTarget, @Args() page: ConnectionArgs, @Ctx() ctx: RequestContext) {
    return toConnection(this.services.notificationTargets.attempts(tenantContext(ctx), "targetId", target.id, page));
  }

  @FieldResolver(() => NotificationTargetStatusChangeConnection, { description: "Each status change with its reason, newest first." })
  statusHistory(@Root() target: NotificationTarget, @Args() page: ConnectionArgs, @Ctx() ctx: RequestContext) {
    return toConnection(this.services.notificationTargets.statusHistory(tenantContext(ctx), target.id, page));
  }

  @Allowed("events:read")
  @FieldResolver(() => WebhookNotificationTargetEventConnection, {
    description: "The events sent to this target, newest event first (by the event's createdAt).",
  })
  webhookNotificationTargetEvents(
    @Root() target: NotificationTarget,
    @Args() page: ConnectionArgs,
    @Arg("filterBy", () => WebhookNotificationTargetEventFilterInput, { nullable: true })
    filterBy: WebhookNotificationTargetEventFilterInput | null,
    @Ctx() ctx: RequestContext,
  ) {
    return toConnection(this.services.notificationTargets.targetEvents(tenantContext(ctx), target.id, page, filterBy));
  }
}

@Resolver(() => NotificationDelivery)
export class WebhookNotificationTargetEventResolver {
  constructor(private readonly services: Services) {}

  @FieldResolver(() => NotificationEvent)
  event(@Root() delivery: NotificationDelivery, @Ctx() ctx: RequestContext): Promise<NotificationEvent | null> {
    return loadersFor(ctx, this.services).notificationEvent.load({ id: delivery.eventId, createdAt: delivery.eventCreatedAt });
  }

  @FieldResolver(() => DeliveryAttemptConnection, { description: "The attempts of this event at this target, newest first." })
  deliveryAttempts(@Root() delivery: NotificationDelivery, @Args() page: ConnectionArgs, @Ctx() ctx: RequestContext) {
    return toConnection(
      this.services.notificationTargets.attempts(tenantContext(ctx), "deliveryId", delivery.id, page, delivery.eventCreatedAt),
    );
  }
}

@Resolver(() => DeliveryAttempt)
export class DeliveryAttemptResolver {
  constructor(private readonly services: Services) {}

  // An attempt is reached from its target or its event; each side takes its own permission.
  @Allowed("events:read")
  @FieldResolver(() => NotificationEvent)
  event(@Root() attempt: DeliveryAttempt, @Ctx() ctx: RequestContext): Promise<NotificationEvent | null> {
    return loadersFor(ctx, this.services).notificationEvent.load({ id: attempt.eventId, createdAt: attempt.eventCreatedAt });
  }

  @Allowed("targets:read")
  @FieldResolver(() => NotificationTarget, { description: "Removed targets included." })
  target(@Root() attempt: DeliveryAttempt, @Ctx() ctx: RequestContext): Promise<NotificationTarget | null> {
    return loadersFor(ctx, this.services).notificationTarget.load(attempt.targetId);
  }
}

@Resolver(() => Organization)
export class OrganizationNotificationTargetsResolver {
  constructor(private readonly services: Services) {}

  @Allowed("targets:read")
  @FieldResolver(() => WebhookNotificationTargetConnection, { description: "Newest first; removed targets are left out." })
  webhookNotificationTargets(@Args() page: ConnectionArgs, @Ctx() ctx: RequestContext) {
    return toConnection(this.services.notificationTargets.list(tenantContext(ctx), page));
  }
}
