import type { Task } from "graphile-worker";
import type { Services } from "../services/registry.js";
import { systemRequestContext } from "../auth/request-context.js";
import { TASKS } from "./task-names.js";

/**
 * The expiry sweep reschedules itself; its job key keeps one chain per database
 * however many processes run.
 */
export function keyExpiryTask(services: Services): Task {
  return async (_payload, helpers) => {
    const counts = await services.apiKeys.sweepExpiry(systemRequestContext());
    if (counts.expired || counts.expiringSoon) services.logger.info(counts, "api key expiry sweep");
    await helpers.addJob(
      TASKS.sweepKeyExpiry,
      {},
      {
        runAt: new Date(Date.now() + services.config.expirySweepIntervalSeconds * 1000),
        jobKey: TASKS.sweepKeyExpiry,
        jobKeyMode: "replace",
      },
    );
  };
}
