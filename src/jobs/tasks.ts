import type { TaskList } from "graphile-worker";
import type { Services } from "../services/registry.js";
import { keyExpiryTask } from "./key-expiry.js";
import type { AttemptJob } from "../services/deliveries.js";
import { TASKS } from "./task-names.js";

/** Every background task, by identifier (src/jobs/task-names.ts). */
export function createTaskList(services: Services): TaskList {
  return {
    [TASKS.sweepKeyExpiry]: keyExpiryTask(services),
    [TASKS.fanOutEvent]: (payload) => services.deliveries.fanOut((payload as { eventId: string }).eventId),
    [TASKS.attemptDelivery]: (payload) => services.deliveries.attempt(payload as AttemptJob),
    [TASKS.expireEvents]: async () => {
      await services.notificationEvents.deleteExpired();
    },
  };
}
