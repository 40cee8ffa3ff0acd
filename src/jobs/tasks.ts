import type { TaskList } from "graphile-worker";
import type { Services } from "../app.js";
import { keyExpiryTask } from "./key-expiry.js";
import { TASKS } from "./task-names.js";

/** Every background task, by identifier (src/jobs/task-names.ts). */
export function createTaskList(services: Services): TaskList {
  return {
    [TASKS.sweepKeyExpiry]: keyExpiryTask(services),
  };
}
