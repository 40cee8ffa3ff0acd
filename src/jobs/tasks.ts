import type { TaskList } from "graphile-worker";
import type { Services } from "../app.js";
import { keyExpiryTask } from "./key-expiry.js";
import type { AttemptJob } from "../services/deliveries.js";
import { TASKS } from "./task-names.js";

/** The tasks of the paced runner (no local queue, so a named queue runs one job at a time). */
export function createPacedTaskList(services: Services): TaskList {
  return { [TASKS.attemptPacedDelivery]: (payload) => services.deliveries.attempt(payload as AttemptJob, true) };
}

/** Every other background task, by identifier (src/jobs/task-names.ts). */
export function createTaskList(services: Services): TaskList {
  return {
    [TASKS.sweepKeyExpiry]: keyExpiryTask(services),
    [TASKS.fanOutEvent]: (payload) => services.deliveries.fanOut((payload as { eventId: string }).eventId),
    [TASKS.attemptDelivery]: (payload) => services.deliveries.attempt(payload as AttemptJob, false),
    [TASKS.expireEvents]: async () => {
      await services.notificationEvents.deleteExpired();
    },
  };
}
