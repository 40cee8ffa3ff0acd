import { HeaderMap } from "@apollo/server";
import type { GraphQLRequestContext } from "@apollo/server";
import { localGateway } from "../src/schema/executor";
import { apolloBuilderModule, gatewayRequestContext, useGatewayRequestContext } from "../src/schema/gateway-request-context";
import { buildSchema } from "graphql";

// Keyway builds the context Apollo hands its gateway executor (schema/gateway-request-context.ts, for
// the young-generation cost in young-collections.test.ts). It must be what Apollo's own builder makes.

const apolloBuilder = useGatewayRequestContext();
const server = { logger: console as never, cache: new Map() as never };

function apolloContext(request: Record<string, unknown>, status?: number): GraphQLRequestContext<object> {
  return {
    request,
    response: { http: { headers: new HeaderMap([["x-one", "1"]]), status } },
    contextValue: { requestId: "r" },
    schema: buildSchema("type Query { a: Int }"),
    queryHash: "hash",
    document: { kind: "Document", definitions: [] },
    source: "{ a }",
    operationName: "A",
    operation: undefined,
    errors: undefined,
    metrics: { captureTraces: false },
    overallCachePolicy: { maxAge: 0 },
    requestIsBatched: false,
  } as unknown as GraphQLRequestContext<object>;
}

/** Everything a gateway context says, read through its interface, with its status written and headers changed. */
function observed(build: typeof gatewayRequestContext, request: Record<string, unknown>) {
  const source = apolloContext(request, 201);
  const built = build(source, server, { includeStacktraceInErrorResponses: false });
  const { request: req, response, ...rest } = built;
  const { http, ...fields } = req;
  const readHeaders = http && {
    method: http.method,
    url: http.url,
    accept: http.headers.get("accept"),
    missing: http.headers.get("x-missing"),
    has: http.headers.has("accept"),
  };
  const statusBefore = response!.http!.status;
  response!.http!.status = 418;
  response!.http!.headers.append("x-one", "2");
  response!.http!.headers.set("x-two", "2");
  response!.http!.headers.delete("x-gone");
  return {
    fields,
    readHeaders,
    statusBefore,
    statusAfter: source.response.http.status,
    responseHeaders: [...source.response.http.headers.entries()],
    iterated: [...(response!.http!.headers as unknown as Iterable<[string, string]>)],
    rest,
  };
}

test("Apollo keeps a gateway context builder where Keyway replaces it, and uses Keyway's once the gateway is made", () => {
  expect(apolloBuilder).not.toBeNull();
  localGateway(buildSchema("type Query { a: Int }"));
  expect(apolloBuilderModule()?.makeGatewayGraphQLRequestContext).toBe(gatewayRequestContext);
});

test.each([
  [
    "a POST with every field",
    {
      query: "{ a }",
      operationName: "A",
      variables: { x: 1 },
      extensions: { e: true },
      http: { method: "POST", search: "", headers: new HeaderMap([["accept", "application/json"]]) },
    },
  ],
  [
    "a GET whose search has no question mark",
    { query: "{ a }", http: { method: "GET", search: "query=%7Ba%7D", headers: new HeaderMap() } },
  ],
  ["a GET whose search has one", { http: { method: "GET", search: "?query=%7Ba%7D", headers: new HeaderMap() } }],
  ["a request without HTTP", { query: "{ a }", variables: undefined }],
])("builds what Apollo builds for %s", (_name, request) => {
  const ours = observed(gatewayRequestContext, request);
  const apollo = observed(apolloBuilder!, request);
  expect(ours).toEqual(apollo);
  expect(ours.statusBefore).toBe(201);
  expect(ours.statusAfter).toBe(418);
  expect(ours.responseHeaders).toEqual([
    ["x-one", "1, 2"],
    ["x-two", "2"],
  ]);
});

test("the response's status is an accessor of a class, not of each context", () => {
  const built = gatewayRequestContext(apolloContext({}), server, {});
  expect(Object.getOwnPropertyDescriptor(built.response!.http!, "status")).toBeUndefined();
  const apollo = apolloBuilder!(apolloContext({}), server, {});
  expect(Object.getOwnPropertyDescriptor(apollo.response!.http!, "status")).toHaveProperty("get", expect.any(Function));
});
