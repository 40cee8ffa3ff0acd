import type { IncomingMessage, ServerResponse } from "node:http";
import { ApolloServer, HeaderMap } from "@apollo/server";
import type { GraphQLError } from "graphql";
import proxyAddr from "proxy-addr";
import type { Config } from "../config.js";
import type { HttpRequestContext } from "../auth/request-context.js";
import { formatBytes } from "../limits.js";
import { BodyError, jsonBodyReader } from "./json-body.js";
import { MASKED_MESSAGE, requestIdOf, withRequestId } from "./masking.js";
import { pathOf } from "./request-log.js";

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * A JSON error body for requests that never reach GraphQL (body too large, malformed JSON), or
 * whose handling failed; a 500 carries the request id its logged cause is filed under.
 */
export function sendJsonError(res: ServerResponse, status: number, message: string): void {
  const extensions = status >= 500 ? { code: "INTERNAL_SERVER_ERROR", requestId: requestIdOf(res) } : { code: "BAD_REQUEST" };
  res.statusCode = status;
  res.setHeader("content-type", "application/json; charset=utf-8");
  res.end(JSON.stringify({ errors: [{ message, extensions }] }));
}

/** A GraphQL error response for a request refused before Apollo saw it. */
function sendGraphQLErrors(res: ServerResponse, status: number, errors: GraphQLError[]): void {
  const body = errors.map(({ message, extensions: { http: _, ...extensions } }) => ({ message, extensions }));
  res.statusCode = status;
  res.setHeader("content-type", "application/json; charset=utf-8");
  res.end(JSON.stringify({ errors: body }));
}

/** The query text of a POST body or a GET query string, checked; batches and bodies without one are Apollo's to refuse. */
function checkQueryOf(body: unknown, search: string, check: (query: string) => GraphQLError | null): GraphQLError | null {
  const query =
    body !== null && typeof body === "object" && !Array.isArray(body) && "query" in body
      ? body.query
      : new URLSearchParams(search).get("query");
  return typeof query === "string" ? check(query) : null;
}

/** KEYWAY_TRUST_PROXY as proxy-addr's trust function: is the proxy at `address`, `hop` steps away, believed? */
export function proxyTrust(trust: Config["trustProxy"]): (address: string, hop: number) => boolean {
  return trust === true
    ? () => true
    : typeof trust === "number"
      ? (_address: string, hop: number) => hop < trust
      : proxyAddr.compile(trust === false ? [] : trust.split(",").map((part) => part.trim()));
}

/** The client's address: the socket's, or with KEYWAY_TRUST_PROXY the one the trusted proxies forwarded. */
export function clientAddress(trust: Config["trustProxy"]): (req: IncomingMessage) => string {
  // Trusting no proxy, the answer is the socket's address: X-Forwarded-For is not worth parsing.
  if (trust === false) return (req) => req.socket.remoteAddress ?? "";
  const trusted = proxyTrust(trust);
  return (req) => proxyAddr(req, trusted);
}

export interface GraphqlEndpointOptions {
  bodyLimitBytes: number;
  /** Builds the request's context (authentication); may throw a GraphQLError with an HTTP status. */
  context: (req: IncomingMessage, res: ServerResponse) => Promise<HttpRequestContext>;
  /** Refuses a query text before Apollo parses it (size limits), or returns null. */
  checkQuery?: (query: string) => GraphQLError | null;
  /** Unexpected failures outside Apollo (it answers everything else itself), logged under the response's request id. */
  onError: (error: unknown, res: ServerResponse) => void;
}

/**
 * /graphql on plain node:http, the way Apollo Server's own standalone server does it: the
 * JSON body read with the size limit (http/json-body.ts), then Apollo, then one write. Express's
 * per-request work (routing, request and response prototypes, res.send) cost as much as
 * Apollo's whole request pipeline; express keeps the other routes.
 */
export function graphqlEndpoint(apollo: ApolloServer<HttpRequestContext>, options: GraphqlEndpointOptions): Handler {
  const readJson = jsonBodyReader(options.bodyLimitBytes);

  async function execute(req: IncomingMessage & { body?: unknown }, res: ServerResponse): Promise<void> {
    const headers = new HeaderMap();
    for (const [key, value] of Object.entries(req.headers)) {
      if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(", ") : value);
    }
    const search = (req.url ?? "/").slice(pathOf(req).length);
    const refusal = options.checkQuery ? checkQueryOf(req.body, search, options.checkQuery) : null;
    if (refusal) {
      sendGraphQLErrors(res, 400, [refusal]);
      return;
    }
    const response = await apollo.executeHTTPGraphQLRequest({
      httpGraphQLRequest: { method: (req.method ?? "GET").toUpperCase(), headers, search, body: req.body },
      context: () => options.context(req, res),
    });
    for (const [key, value] of response.headers) res.setHeader(key, value);
    res.statusCode = response.status ?? 200;
    if (response.body.kind === "complete") {
      res.end(res.statusCode >= 500 ? withRequestId(response.body.string, requestIdOf(res)) : response.body.string);
      return;
    }
    for await (const chunk of response.body.asyncIterator) res.write(chunk);
    res.end();
  }

  return (req, res) => {
    readJson(req, res, (error?: BodyError) => {
      if (error) {
        const status = error.status ?? 500;
        if (status >= 500) options.onError(error, res);
        const message =
          error.type === "entity.too.large"
            ? `Request body exceeds ${formatBytes(options.bodyLimitBytes)}`
            : status >= 500
              ? "Internal server error"
              : "Malformed request";
        sendJsonError(res, status, message);
        return;
      }
      execute(req, res).catch((failure: unknown) => {
        options.onError(failure, res);
        if (res.headersSent) res.destroy();
        else sendJsonError(res, 500, MASKED_MESSAGE);
      });
    });
  };
}
