import type { TaskList } from "graphile-worker";
import type { Services } from "../app.js";

/** Every background task, by identifier (src/jobs/task-names.ts). */
export function createTaskList(services: Services): TaskList {
  void services;
  return {};
}
