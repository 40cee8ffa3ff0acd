// Run with `node --expose-gc`: builds many requests' worth of per-request values the way one variant
// keeps them, drops every reference the test holds, forces two young-generation collections and prints
// the old generation's growth in bytes as JSON. An object that dies young costs a scavenge nothing;
// one that is kept across two of them is promoted and waits for a full collection.
// `node --expose-gc young-collections.js <variant>`; the variants are listed in VARIANTS below.
/* global gc -- exposed by --expose-gc */
const v8 = require("node:v8");
const { requestSlot } = require("../../dist/src/auth/request-context.js");
const { tenantContext } = require("../../dist/src/auth/graphql-edge.js");
const { loadersFor } = require("../../dist/src/resolvers/loaders.js");
const { useGatewayRequestContext, gatewayRequestContext } = require("../../dist/src/schema/gateway-request-context.js");
const { HeaderMap } = require("@apollo/server");

const REQUESTS = 2000;
const apolloBuilder = useGatewayRequestContext();
const server = { logger: console, cache: new Map() };
const weakMap = new WeakMap();
const slot = requestSlot("young-collections");

/** A request's context as an HTTP request builds it: its session cookie reaches the response, which reaches the context. */
function requestContext() {
  const response = { body: Array.from({ length: 100 }, (_, i) => ({ i })) };
  const principal = { organizationId: "org", environment: "TEST", actor: { id: "a", type: "API_KEY" }, permissions: new Set() };
  const ctx = { requestId: "r", ip: "127.0.0.1", requestedEnvironment: "TEST", principal, sessionCookie: { response } };
  response.context = ctx;
  return ctx;
}

/** Apollo's context of a request, as its pipeline hands it to the gateway's context builder. */
function apolloRequestContext() {
  const headers = new HeaderMap([["content-type", "application/json"]]);
  return {
    request: { query: "{ viewer { environment } }", http: { method: "POST", headers, search: "" } },
    response: { http: { headers: new HeaderMap(), status: undefined } },
    contextValue: requestContext(),
    metrics: {},
    body: Array.from({ length: 100 }, (_, i) => ({ i })),
  };
}

const VARIANTS = {
  /** Control: a WeakMap keyed by the context, whose value reaches the context. */
  "weak-map": () => {
    const ctx = requestContext();
    weakMap.set(ctx, { sessionCookie: ctx.sessionCookie });
  },
  /** Control: the same value kept with requestSlot. */
  slot: () => {
    const ctx = requestContext();
    slot.set(ctx, { sessionCookie: ctx.sessionCookie });
  },
  /** What resolvers do: the request's TenantContext and its loaders. */
  "tenant-and-loaders": () => {
    const ctx = requestContext();
    tenantContext(ctx);
    loadersFor(ctx, {});
  },
  /** Apollo's own gateway context builder. */
  "apollo-gateway-context": () => apolloBuilder(apolloRequestContext(), server, {}),
  /** Keyway's (schema/gateway-request-context.ts). */
  "gateway-context": () => gatewayRequestContext(apolloRequestContext(), server, {}),
};

const oldSpace = () => v8.getHeapSpaceStatistics().find((space) => space.space_name === "old_space").space_used_size;

(async () => {
  const variant = VARIANTS[process.argv[2]];
  if (!variant || !apolloBuilder) throw new Error(`unknown variant ${process.argv[2]}, or no Apollo builder`);
  for (let i = 0; i < 3; i++) gc();
  for (let i = 0; i < REQUESTS; i++) variant();
  // A new task, so nothing of the loop is still on the stack.
  await new Promise((resolve) => setTimeout(resolve, 0));
  const before = oldSpace();
  gc({ type: "minor" });
  gc({ type: "minor" });
  process.stdout.write(JSON.stringify({ promotedBytes: oldSpace() - before, requests: REQUESTS }) + "\n");
})().catch((error) => {
  console.error(error);
  process.exit(1);
});
