import type { TaskList } from "graphile-worker";
import { systemRequestContext } from "../auth/request-context.js";
import type { Services } from "../services/registry.js";
import { keyExpiryTask } from "./key-expiry.js";
import type { AttemptJob } from "../services/attempt-jobs.js";
import type { FanOutJob } from "../services/deliveries.js";
import { TASKS } from "./task-names.js";

/** The tasks of the paced runner (no local queue, so a named queue runs one job at a time). */
export function createPacedTaskList(services: Services): TaskList {
  const ctx = systemRequestContext();
  return { [TASKS.attemptPacedDelivery]: (payload) => services.deliveries.attempt(ctx, payload as AttemptJob, true) };
}

/** Every other background task, by identifier (src/jobs/task-names.ts). */
export function createTaskList(services: Services): TaskList {
  // Each run is Keyway's own work; a task that acts in a tenant builds its system context from the row.
  const ctx = systemRequestContext();
  return {
    [TASKS.sweepKeyExpiry]: keyExpiryTask(services),
    [TASKS.fanOutEvent]: (payload) => services.deliveries.fanOut(ctx, payload as FanOutJob),
    [TASKS.attemptDelivery]: (payload) => services.deliveries.attempt(ctx, payload as AttemptJob, false),
    [TASKS.expireEvents]: async () => {
      await services.notificationEvents.deleteExpired(ctx);
    },
  };
}
