import type { IncomingMessage, ServerResponse } from "node:http";
import { ApolloServer, HeaderMap } from "@apollo/server";
import bodyParser from "body-parser";
import proxyAddr from "proxy-addr";
import type { Config } from "../config.js";
import type { RequestContext } from "../auth/request-context.js";
import { pathOf } from "./request-log.js";

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/** A JSON error body for requests that never reach GraphQL (body too large, malformed JSON). */
export function sendJsonError(res: ServerResponse, status: number, message: string): void {
  const code = status >= 500 ? "INTERNAL_SERVER_ERROR" : "BAD_REQUEST";
  res.statusCode = status;
  res.setHeader("content-type", "application/json; charset=utf-8");
  res.end(JSON.stringify({ errors: [{ message, extensions: { code } }] }));
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
  const trusted = proxyTrust(trust);
  return (req) => proxyAddr(req, trusted);
}

export interface GraphqlEndpointOptions {
  bodyLimitBytes: number;
  /** Builds the request's context (authentication); may throw a GraphQLError with an HTTP status. */
  context: (req: IncomingMessage, res: ServerResponse) => Promise<RequestContext>;
  /** Unexpected failures outside Apollo (it answers everything else itself). */
  onError: (error: unknown) => void;
}

/**
 * /graphql on plain node:http, the way Apollo Server's own standalone server does it: the
 * JSON body read by body-parser (with the size limit), then Apollo, then one write. Express's
 * per-request work (routing, request and response prototypes, res.send) cost as much as
 * Apollo's whole request pipeline; express keeps the other routes.
 */
export function graphqlEndpoint(apollo: ApolloServer<RequestContext>, options: GraphqlEndpointOptions): Handler {
  const readJson = bodyParser.json({ limit: options.bodyLimitBytes });

  async function execute(req: IncomingMessage & { body?: unknown }, res: ServerResponse): Promise<void> {
    const headers = new HeaderMap();
    for (const [key, value] of Object.entries(req.headers)) {
      if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(", ") : value);
    }
    const search = (req.url ?? "/").slice(pathOf(req).length);
    const response = await apollo.executeHTTPGraphQLRequest({
      httpGraphQLRequest: { method: (req.method ?? "GET").toUpperCase(), headers, search, body: req.body },
      context: () => options.context(req, res),
    });
    for (const [key, value] of response.headers) res.setHeader(key, value);
    res.statusCode = response.status ?? 200;
    if (response.body.kind === "complete") {
      res.end(response.body.string);
      return;
    }
    for await (const chunk of response.body.asyncIterator) res.write(chunk);
    res.end();
  }

  return (req, res) => {
    readJson(req, res, (error?: Error & { status?: number; type?: string }) => {
      if (error) {
        const status = error.status ?? 500;
        if (status >= 500) options.onError(error);
        const message = error.type === "entity.too.large" ? "Request body exceeds 1 MB" : status >= 500 ? "Internal server error" : "Malformed request";
        sendJsonError(res, status, message);
        return;
      }
      execute(req, res).catch((failure: unknown) => {
        options.onError(failure);
        if (res.headersSent) res.destroy();
        else sendJsonError(res, 500, "Internal server error");
      });
    });
  };
}
