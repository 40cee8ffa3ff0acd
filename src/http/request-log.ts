import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Services } from "../services/registry.js";
import type { HttpRequestContext } from "../auth/request-context.js";
import type { OperationHook } from "./request-hooks.js";

/** The operation Apollo resolved for the current request; "anonymous" for an unnamed one. */
interface Operation {
  name?: string;
  type?: string;
}

/**
 * The operation of each GraphQL request in flight, by request id: Apollo hands plugins a copy
 * of the context, and AsyncLocalStorage would cost every request its async hooks.
 */
const operationOf = new Map<string, Operation>();

/** The operation of each response, set when the request starts and named when Apollo resolves it. */
const operationOfResponse = new WeakMap<ServerResponse, Operation>();

/** Called when the GraphQL context is built: ties the request's log entry to it. */
export function trackOperation(ctx: HttpRequestContext, res: ServerResponse): void {
  const operation = operationOfResponse.get(res);
  if (operation) operationOf.set(ctx.requestId, operation);
}

/** Records the operation Apollo resolved, for the request log line and the metrics. */
export const recordOperation: OperationHook = ({ contextValue, operation, operationName }) => {
  const current = operationOf.get(contextValue.requestId);
  if (!current) return;
  current.name = operationName ?? "anonymous";
  current.type = operation?.operation;
};

/** Probes are frequent and say nothing new; they log at debug. Scrapes are not logged at all. */
const PROBES = new Set(["/healthz"]);
const SCRAPES = new Set(["/metrics"]);

/** The path of a request URL, without its query string. */
export function pathOf(req: IncomingMessage): string {
  const url = req.url ?? "/";
  const query = url.indexOf("?");
  return query === -1 ? url : url.slice(0, query);
}

/**
 * Called first for every request, with its path (pathOf): when its response is sent, writes one log line and the
 * GraphQL metrics. The line has the request id, method, path, operation, status and
 * duration — never headers, the query string, the body or its variables, which may hold
 * credentials.
 *
 * The request id is the x-request-id response header as finally sent (the GraphQL context
 * may set it to its own id, which errors quote); it is given a value here first, so
 * responses that never reach GraphQL have one too.
 */
export function requestTracker(services: Services): (req: IncomingMessage, res: ServerResponse, path: string) => void {
  const { logger, metrics } = services;
  return (req, res, path) => {
    if (SCRAPES.has(path)) return;
    const operation: Operation = {};
    operationOfResponse.set(res, operation);
    const started = process.hrtime.bigint();
    const method = req.method;
    res.setHeader("x-request-id", randomUUID());
    // One listener: a response emits "close" once it is done, after "finish" when it was sent whole.
    res.on("close", () => {
      operationOf.delete(String(res.getHeader("x-request-id")));
      if (!res.writableFinished) return;
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const graphql = path === "/graphql" && !String(res.getHeader("content-type") ?? "").startsWith("text/html");
      if (graphql) {
        operation.name ??= "unknown";
        operation.type ??= "unknown";
        metrics.observeGraphqlRequest(operation.name, operation.type, res.statusCode, seconds);
      }
      const level = res.statusCode >= 500 ? "error" : PROBES.has(path) ? "debug" : "info";
      if (!logger.isLevelEnabled(level)) return;
      logger[level](
        {
          requestId: res.getHeader("x-request-id"),
          method,
          path,
          operation: operation.name,
          operationType: operation.type,
          status: res.statusCode,
          durationMs: Math.round(seconds * 10_000) / 10,
        },
        "request",
      );
    });
  };
}
