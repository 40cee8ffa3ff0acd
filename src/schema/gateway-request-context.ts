import { createRequire } from "node:module";
import path from "node:path";
import type { GraphQLRequestContext, HeaderMap } from "@apollo/server";
import type { GatewayGraphQLRequestContext, GatewayHTTPResponse } from "@apollo/server-gateway-interface";

/** What Apollo passes its context builder besides the request context: the server and its settings. */
interface ApolloServerLike {
  logger: GatewayGraphQLRequestContext["logger"];
  cache: GatewayGraphQLRequestContext["cache"];
}
interface ApolloInternalsLike {
  includeStacktraceInErrorResponses?: boolean;
}
type Builder = (
  requestContext: GraphQLRequestContext<object>,
  server: ApolloServerLike,
  internals: ApolloInternalsLike,
) => GatewayGraphQLRequestContext<object>;

/** Apollo's HeaderMap seen through the gateway interface's fetch-style Headers. */
class HeadersOfMap {
  constructor(private readonly map: HeaderMap) {}
  append(name: string, value: string): void {
    const current = this.map.get(name);
    this.map.set(name, current === undefined ? value : `${current}, ${value}`);
  }
  delete(name: string): void {
    this.map.delete(name);
  }
  get(name: string): string | null {
    return this.map.get(name) ?? null;
  }
  has(name: string): boolean {
    return this.map.has(name);
  }
  set(name: string, value: string): void {
    this.map.set(name, value);
  }
  entries(): Iterator<[string, string]> {
    return this.map.entries();
  }
  keys(): Iterator<string> {
    return this.map.keys();
  }
  values(): Iterator<string> {
    return this.map.values();
  }
  [Symbol.iterator](): Iterator<[string, string]> {
    return this.map.entries();
  }
}

/** The response's HTTP head: its status read from and written to Apollo's own, through the class's accessors. */
class ResponseHead implements GatewayHTTPResponse {
  readonly headers: HeadersOfMap;
  constructor(private readonly head: GraphQLRequestContext<object>["response"]["http"]) {
    this.headers = new HeadersOfMap(head.headers);
  }
  get status(): number | undefined {
    return this.head.status;
  }
  set status(status: number | undefined) {
    this.head.status = status;
  }
}

/**
 * The request context a gateway's executor is handed, as Apollo Server builds it (its
 * `makeGatewayGraphQLRequestContext`), with one difference that costs nothing to callers: the
 * response's `status` accessors live on a class instead of on an object literal.
 *
 * An object literal with a getter and a setter gets a new accessor pair per evaluation, and V8
 * allocates accessor pairs in the old generation. Apollo's pair held closures over the request's
 * context, so every request stayed reachable from an old object until the next full collection:
 * each young collection copied it and then promoted it. Under the viewer load of `bench/profile.js`
 * that was 6.2 KB promoted per request (Apollo's own `{ hello }` server: 0.5 KB), young collections
 * of 10–14 ms every ~150 ms, and about a sixth of Keyway's CPU per request (215 → 178 µs).
 */
export const gatewayRequestContext: Builder = (requestContext, server, internals) => {
  const { request: source, response } = requestContext;
  const request: GatewayGraphQLRequestContext<object>["request"] = {};
  if ("query" in source) request.query = source.query;
  if ("operationName" in source) request.operationName = source.operationName;
  if ("variables" in source) request.variables = source.variables;
  if ("extensions" in source) request.extensions = source.extensions;
  if (source.http) {
    const { search } = source.http;
    request.http = {
      method: source.http.method,
      url: `https://unknown-url.invalid/${search !== "" && !search.startsWith("?") ? "?" : ""}${search}`,
      headers: new HeadersOfMap(source.http.headers),
    };
  }
  return {
    request,
    response: { http: new ResponseHead(response.http) },
    logger: server.logger,
    schema: requestContext.schema,
    schemaHash: "schemaHash no longer exists since Apollo Server 4" as GatewayGraphQLRequestContext["schemaHash"],
    context: requestContext.contextValue,
    cache: server.cache,
    queryHash: requestContext.queryHash!,
    document: requestContext.document!,
    source: requestContext.source!,
    operationName: requestContext.operationName!,
    operation: requestContext.operation!,
    errors: requestContext.errors,
    metrics: requestContext.metrics,
    debug: internals.includeStacktraceInErrorResponses,
    overallCachePolicy: requestContext.overallCachePolicy,
    requestIsBatched: requestContext.requestIsBatched,
  };
};

/** Apollo Server's module that builds the gateway request context, where the installed version keeps it. */
export function apolloBuilderModule(): { makeGatewayGraphQLRequestContext: Builder } | null {
  try {
    const require = createRequire(__filename);
    const file = path.join(path.dirname(require.resolve("@apollo/server")), "utils", "makeGatewayGraphQLRequestContext.js");
    const module = require(file) as { makeGatewayGraphQLRequestContext?: unknown };
    return typeof module.makeGatewayGraphQLRequestContext === "function" ? (module as { makeGatewayGraphQLRequestContext: Builder }) : null;
  } catch {
    return null;
  }
}

let installed: Builder | null | undefined;

/**
 * Has Apollo Server build gateway request contexts with `gatewayRequestContext`, once per
 * process; returns Apollo's own builder it replaced, or null when this version of Apollo keeps
 * none where it is looked for (then Apollo's stays, and only the memory cost above comes back;
 * test/gateway-request-context.test.ts fails, so an upgrade that moves it is noticed).
 */
export function useGatewayRequestContext(): Builder | null {
  if (installed !== undefined) return installed;
  const module = apolloBuilderModule();
  installed = module ? module.makeGatewayGraphQLRequestContext : null;
  if (module) module.makeGatewayGraphQLRequestContext = gatewayRequestContext;
  return installed;
}
