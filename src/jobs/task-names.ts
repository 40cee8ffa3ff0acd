/** graphile-worker task identifiers; the handlers live beside this file. */
export const TASKS = {
  /** Fan a committed notification event out to the subscribed targets. */
  fanOutEvent: "notification_event.fan_out",
  /** Sweep API keys that expire soon or have expired, writing their events. */
  sweepKeyExpiry: "api_key.sweep_expiry",
  /** One POST of an event to one target: { deliveryId, step, eventCreatedAt }. */
  attemptDelivery: "notification_delivery.attempt",
  /** The same, for a target with maxDeliveriesPerSecond: one job at a time per target, in its own named queue. */
  attemptPacedDelivery: "notification_delivery.attempt_paced",
  /** Delete events past their retention, then queue the next sweep. */
  expireEvents: "notification_event.expire",
} as const;
