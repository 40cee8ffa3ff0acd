import type { ServerResponse } from "node:http";
import type { ApolloServerPlugin } from "@apollo/server";
import { unwrapResolverError } from "@apollo/server/errors";
import { GraphQLError, GraphQLFormattedError } from "graphql";
import type { Logger } from "pino";
import type { HttpRequestContext } from "../auth/request-context.js";
import type { ErrorsHook, ResponseHook } from "./request-hooks.js";

export const MASKED_MESSAGE = "Internal server error";

/**
 * A deliberate, client-facing error carries an `extensions.code` its author chose (BAD_USER_INPUT,
 * FORBIDDEN, UNAUTHENTICATED, GRAPHQL_VALIDATION_FAILED, RATE_LIMITED…). Everything else is
 * unexpected: errors of TypeORM, pg and Node, and graphql-js's own execution errors ("Expected
 * Iterable…", "Cannot return null…", enum and scalar serialization), which are GraphQLErrors
 * without a code.
 */
export function isUnexpected(error: unknown): boolean {
  if (error instanceof MaskedError) return true;
  const original = unwrapResolverError(error);
  if (!(original instanceof GraphQLError)) return true;
  const code = original.extensions?.code;
  return typeof code !== "string" || code === "INTERNAL_SERVER_ERROR";
}

/** An unexpected error already logged and masked, with the request id the client can quote. */
export class MaskedError extends GraphQLError {
  constructor(readonly requestId: string) {
    super(MASKED_MESSAGE, { extensions: { code: "INTERNAL_SERVER_ERROR", requestId, http: { status: 500 } } });
  }
}

/** Unexpected errors reach the client as "Internal server error"; the detail goes to the log (maskedErrorLog). */
export function maskUnexpected(formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError {
  if (!isUnexpected(error)) return formatted;
  const requestId = error instanceof MaskedError ? error.requestId : undefined;
  return {
    message: MASKED_MESSAGE,
    path: formatted.path,
    locations: formatted.locations,
    extensions: { code: "INTERNAL_SERVER_ERROR", ...(requestId ? { requestId } : {}) },
  };
}

/** graphql-js's hints at names the schema has: " Did you mean "name"?", " Did you mean the enum value "ADMIN"?" */
const SUGGESTION = / ?Did you mean [^?]*\?/g;

/**
 * formatError: unexpected errors masked; with `hideSuggestions` (production) no "Did you mean" in
 * any message, whichever step wrote it (validation, variable coercion, enum literals).
 */
export function formatErrors(hideSuggestions: boolean): (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError {
  if (!hideSuggestions) return maskUnexpected;
  return (formatted, error) => {
    const masked = maskUnexpected(formatted, error);
    return masked.message.includes("Did you mean") ? { ...masked, message: masked.message.replace(SUGGESTION, "").trim() } : masked;
  };
}

/** The request id of a response: set first by the request tracker, then by the GraphQL context. */
export function requestIdOf(res: ServerResponse): string {
  return String(res.getHeader("x-request-id") ?? "");
}

/** The error as logged: TypeORM's statement parameters may be secrets (key hashes, signing secrets), so they are left out. */
function loggable(error: unknown): unknown {
  if (!(error instanceof Error) || !("parameters" in error)) return error;
  const copy = Object.create(Object.getPrototypeOf(error) as object | null) as Record<string, unknown>;
  Object.defineProperties(copy, Object.getOwnPropertyDescriptors(error));
  delete copy.parameters;
  return copy;
}

/** Logs the cause of an unexpected error once, under the request id the client was given. */
export function logUnexpected(logger: Logger, error: unknown, requestId: string, path?: ReadonlyArray<string | number>): void {
  logger.error({ err: loggable(unwrapResolverError(error)), requestId, ...(path ? { path } : {}) }, "unexpected error");
}

/**
 * A 500 that Apollo wrote without running the request's plugins (its pipeline threw) has no request
 * id in its errors: the HTTP layer adds the response's.
 */
export function withRequestId(body: string, requestId: string): string {
  try {
    const parsed = JSON.parse(body) as { errors?: GraphQLFormattedError[] };
    for (const error of parsed.errors ?? []) {
      if (error.extensions?.code === "INTERNAL_SERVER_ERROR" && !error.extensions.requestId) {
        (error.extensions as Record<string, unknown>).requestId = requestId;
      }
    }
    return JSON.stringify(parsed);
  } catch {
    return body;
  }
}

/**
 * Logs each unexpected error with the request id and gives the client that id to quote: the
 * plugin for failures of Apollo's own pipeline, the hooks (src/http/request-hooks.ts) for the rest.
 */
export function maskedErrorLog(logger: Logger): {
  plugin: ApolloServerPlugin<HttpRequestContext>;
  didEncounterErrors: ErrorsHook;
  willSendResponse: ResponseHook;
} {
  return {
    plugin: {
      // Apollo's pipeline threw: it answers a plain "Internal server error" 500 and skips the hooks below.
      async unexpectedErrorProcessingRequest({ requestContext, error }) {
        const { requestId } = requestContext.contextValue;
        logUnexpected(logger, error, requestId);
      },
    },
    didEncounterErrors: ({ contextValue, errors }) => {
      for (const error of errors) {
        if (isUnexpected(error) && !(error instanceof MaskedError)) logUnexpected(logger, error, contextValue.requestId, error.path);
      }
    },
    willSendResponse: ({ contextValue, response }) => {
      if (response.body.kind !== "single") return;
      for (const error of response.body.singleResult.errors ?? []) {
        if (error.extensions?.code === "INTERNAL_SERVER_ERROR") {
          (error.extensions as Record<string, unknown>).requestId = contextValue.requestId;
        }
      }
    },
  };
}
