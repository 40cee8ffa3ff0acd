import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";
import type { DataSource } from "typeorm";
import type { ApiKeyAuthenticator } from "./auth/api-key-authenticator.js";

/**
 * Distinct operation names kept as label values; later ones count as "other".
 * Operation names come from clients, so without a bound a client could grow
 * the registry without limit.
 */
export const MAX_OPERATION_NAMES = 200;

export type DeliveryOutcome = "success" | "failure";

const QUEUE_STATES = ["ready", "scheduled", "running", "failed"] as const;

/**
 * Prometheus metrics of one App, in a registry of its own (several Apps may
 * share a process, as in tests), served on GET /metrics.
 */
export class Metrics {
  readonly registry = new Registry();
  private readonly graphqlRequests: Counter<"operation" | "type" | "status">;
  private readonly graphqlDuration: Histogram<"operation" | "type">;
  private readonly operationNames = new Set<string>();
  /** One per webhook or decision delivery attempt; the delivery code increments it. */
  readonly deliveryOutcomes: Counter<"outcome">;

  constructor(apiKeys: ApiKeyAuthenticator, dataSource: DataSource) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });

    this.graphqlRequests = new Counter({
      name: "keyway_graphql_requests_total",
      help: "GraphQL requests by operation name, operation type and HTTP status",
      labelNames: ["operation", "type", "status"],
      registers,
    });
    this.graphqlDuration = new Histogram({
      name: "keyway_graphql_request_duration_seconds",
      help: "GraphQL request latency by operation name and type, from request to response",
      labelNames: ["operation", "type"],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    });
    this.deliveryOutcomes = new Counter({
      name: "keyway_deliveries_total",
      help: "Webhook and collaborative-authorization delivery attempts by outcome",
      labelNames: ["outcome"],
      registers,
    });
    for (const outcome of ["success", "failure"] satisfies DeliveryOutcome[]) this.deliveryOutcomes.inc({ outcome }, 0);

    // The authenticator keeps plain counters on its hot path; they become Prometheus counters at scrape time.
    const seen = { hit: 0, miss: 0 };
    new Counter({
      name: "keyway_api_key_cache_lookups_total",
      help: "API key verifications answered from this process's cache (hit) or the database (miss)",
      labelNames: ["result"],
      registers,
      collect() {
        const now = { hit: apiKeys.cacheHits, miss: apiKeys.cacheMisses };
        for (const result of ["hit", "miss"] as const) {
          this.inc({ result }, now[result] - seen[result]);
          seen[result] = now[result];
        }
      },
    });
    new Gauge({
      name: "keyway_api_key_cache_entries",
      help: "API keys cached in this process",
      registers,
      collect() {
        this.set(apiKeys.size);
      },
    });
    new Gauge({
      name: "keyway_job_queue_jobs",
      help: "Background jobs in the queue (shared by every process on the database) by state",
      labelNames: ["state"],
      registers,
      async collect() {
        this.reset();
        try {
          // One aggregate over graphile-worker's public view; "failed" jobs have used all their attempts.
          const [row] = await dataSource.query<Array<Record<(typeof QUEUE_STATES)[number], number>>>(`
            SELECT count(*) FILTER (WHERE locked_at IS NULL AND attempts < max_attempts AND run_at <= now())::int AS ready,
                   count(*) FILTER (WHERE locked_at IS NULL AND attempts < max_attempts AND run_at > now())::int AS scheduled,
                   count(*) FILTER (WHERE locked_at IS NOT NULL)::int AS running,
                   count(*) FILTER (WHERE locked_at IS NULL AND attempts >= max_attempts)::int AS failed
            FROM graphile_worker.jobs`);
          for (const state of QUEUE_STATES) this.set({ state }, row[state]);
        } catch {
          // Database unreachable: no sample rather than a stale one; /healthz reports the outage.
        }
      },
    });
  }

  observeGraphqlRequest(operationName: string, type: string, status: number, seconds: number): void {
    let operation = operationName;
    if (!this.operationNames.has(operation)) {
      if (this.operationNames.size >= MAX_OPERATION_NAMES) operation = "other";
      else this.operationNames.add(operation);
    }
    this.graphqlRequests.inc({ operation, type, status: String(status) });
    this.graphqlDuration.observe({ operation, type }, seconds);
  }
}
