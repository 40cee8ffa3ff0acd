import { Router } from "express";
import type { Metrics } from "../metrics.js";

/**
 * GET /metrics in Prometheus text format. Unauthenticated, as scrapers expect:
 * it shows counts and operation names, no tenant data; keep it off the public
 * internet at the proxy.
 */
export function metricsRouter(metrics: Metrics): Router {
  const router = Router();
  router.get("/metrics", async (_req, res) => {
    res.set("content-type", metrics.registry.contentType).send(await metrics.registry.metrics());
  });
  return router;
}
