import { AsyncLocalStorage } from "node:async_hooks";
import { randomUUID } from "node:crypto";
import type { ApolloServerPlugin } from "@apollo/server";
import type { RequestHandler } from "express";
import type { Services } from "../app.js";

/** What one HTTP request carries through Express and Apollo. */
export interface RequestScope {
  requestId: string;
  /** Set once Apollo has picked the operation; "anonymous" for an unnamed one. */
  operationName?: string;
  operationType?: string;
}

export const requestScope = new AsyncLocalStorage<RequestScope>();

/** Records the operation Apollo resolved, for the request log line and the metrics. */
export const recordOperation: ApolloServerPlugin = {
  async requestDidStart() {
    return {
      async didResolveOperation({ operation, operationName }) {
        const scope = requestScope.getStore();
        if (!scope) return;
        scope.operationName = operationName ?? "anonymous";
        scope.operationType = operation?.operation;
      },
    };
  },
};

/**
 * Gives each request an id (the x-request-id response header) and, when the
 * response is sent, writes one log line and the GraphQL metrics. The line has
 * the request id, method, path, operation, status and duration — never headers,
 * the query string, the body or its variables, which may hold credentials.
 */
export function trackRequests(services: Services): RequestHandler {
  const { logger, metrics } = services;
  return (req, res, next) => {
    const scope: RequestScope = { requestId: randomUUID() };
    const started = process.hrtime.bigint();
    // Read now: routers mounted on a path rewrite req.url while they run.
    const { method, path } = req;
    res.setHeader("x-request-id", scope.requestId);
    res.on("finish", () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const graphql = path === "/graphql" && !String(res.getHeader("content-type") ?? "").startsWith("text/html");
      const operation = scope.operationName ?? (graphql ? "unknown" : undefined);
      const operationType = scope.operationType ?? (graphql ? "unknown" : undefined);
      if (graphql) metrics.observeGraphqlRequest(operation!, operationType!, res.statusCode, seconds);
      logger[res.statusCode >= 500 ? "error" : "info"](
        {
          requestId: scope.requestId,
          method,
          path,
          operation,
          operationType,
          status: res.statusCode,
          durationMs: Math.round(seconds * 10_000) / 10,
        },
        "request",
      );
    });
    requestScope.run(scope, next);
  };
}
