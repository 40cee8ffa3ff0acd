import { createServer, IncomingMessage, Server, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { ApolloServer } from "@apollo/server";
import { ApolloServerPluginCacheControlDisabled } from "@apollo/server/plugin/disabled";
import { ApolloServerPluginDrainHttpServer } from "@apollo/server/plugin/drainHttpServer";
import { ApolloServerPluginLandingPageDisabled } from "@apollo/server/plugin/disabled";
import express, { NextFunction, Request, Response } from "express";
import type { App } from "./app.js";
import type { HttpRequestContext } from "./auth/request-context.js";
import { REQUEST_BODY_MAX_BYTES } from "./limits.js";
import { twoFactorGate } from "./auth/two-factor-gate.js";
import { createSchema } from "./schema/build-schema.js";
import { localGateway } from "./schema/executor.js";
import { metricsRouter } from "./http/metrics.js";
import { playgroundRouter } from "./http/playground.js";
import { dashboardRouter, sessionCookieWriter } from "./http/dashboard.js";
import { clientAddress, graphqlEndpoint, sendJsonError } from "./http/graphql-endpoint.js";
import { formatErrors, isUnexpected, logUnexpected, MaskedError, maskedErrorLog, requestIdOf } from "./http/masking.js";
import { introspectionForAuthenticated, queryLimits, sourceLimits } from "./http/limits.js";
import { pathOf, recordOperation, requestTracker, trackOperation } from "./http/request-log.js";
import { requestHooks } from "./http/request-hooks.js";

export interface RunningServer {
  url: string;
  port: number;
  httpServer: Server;
  /** Stops accepting, lets in-flight requests finish, then stops Apollo. The App is closed by the caller. */
  stop(): Promise<void>;
}

export async function startServer(app: App, port = app.services.config.port, host = app.services.config.host): Promise<RunningServer> {
  const { config, logger, authenticator, dataSource } = app.services;
  const expressApp = express();
  expressApp.disable("x-powered-by");
  const track = requestTracker(app.services);
  const clientIp = clientAddress(config.trustProxy);
  const cookieWriter = sessionCookieWriter(config.trustProxy);
  const httpServer = createServer();

  const errorLog = maskedErrorLog(logger);
  const apollo = new ApolloServer<HttpRequestContext>({
    gateway: localGateway(await createSchema(app.services)),
    plugins: [
      requestHooks({
        didResolveOperation: [
          recordOperation,
          queryLimits(config.limits),
          twoFactorGate,
          ...(config.introspection === "authenticated" ? [introspectionForAuthenticated()] : []),
        ],
        didEncounterErrors: [errorLog.didEncounterErrors],
        willSendResponse: [errorLog.willSendResponse],
      }),
      errorLog.plugin,
      ApolloServerPluginDrainHttpServer({ httpServer }),
      ApolloServerPluginCacheControlDisabled(),
      ApolloServerPluginLandingPageDisabled(),
    ],
    persistedQueries: false,
    // main.ts owns SIGTERM/SIGINT; Apollo's own handler raced it and shutdown hung until the 20 s force-exit.
    stopOnTerminationSignals: false,
    csrfPrevention: true,
    introspection: config.introspection !== "none",
    includeStacktraceInErrorResponses: false,
    // Unexpected errors masked (http/masking.ts); under NODE_ENV=production no "Did you mean" either.
    formatError: formatErrors(config.production),
  });
  await apollo.start();

  const graphql = graphqlEndpoint(apollo, {
    bodyLimitBytes: REQUEST_BODY_MAX_BYTES,
    checkQuery: sourceLimits(config.limits),
    context: async (req, res) => {
      let ctx: HttpRequestContext;
      const requestId = requestIdOf(res) || undefined;
      try {
        ctx = await authenticator.contextFor(req.headers, clientIp(req), cookieWriter(req, res), requestId);
      } catch (error) {
        // Apollo answers a failed context itself, without plugins: log and mask here.
        if (!isUnexpected(error)) throw error;
        logUnexpected(logger, error, requestIdOf(res));
        throw new MaskedError(requestIdOf(res));
      }
      if (ctx.requestId !== requestId) res.setHeader("x-request-id", ctx.requestId);
      trackOperation(ctx, res);
      return ctx;
    },
    onError: (error, res) => logUnexpected(logger, error, requestIdOf(res)),
  });

  expressApp.use(metricsRouter(app.services.metrics));
  if (config.playground) expressApp.use(playgroundRouter());
  if (config.dashboard.enabled) expressApp.use(dashboardRouter(config));
  expressApp.get("/healthz", async (_req, res) => {
    try {
      await dataSource.query("SELECT 1");
      res.json({ status: "ok" });
    } catch {
      res.status(503).json({ status: "unavailable" });
    }
  });
  // GraphQL over GET, and whatever else reaches /graphql (the playground page is served above).
  expressApp.all("/graphql", (req, res) => graphql(req, res));
  expressApp.use((error: Error, _req: Request, res: Response, _next: NextFunction) => {
    logUnexpected(logger, error, requestIdOf(res));
    sendJsonError(res, 500, "Internal server error");
  });
  // POST /graphql is the hot path and goes straight to Apollo; everything else goes through express.
  httpServer.on("request", (req: IncomingMessage, res: ServerResponse) => {
    const path = pathOf(req);
    track(req, res, path);
    if (req.method === "POST" && path === "/graphql") graphql(req, res);
    else expressApp(req, res);
  });

  await new Promise<void>((resolve) => httpServer.listen(port, host, resolve));
  const address = httpServer.address() as AddressInfo;
  const url = `http://${host === "0.0.0.0" || host === "::" ? "127.0.0.1" : host}:${address.port}/graphql`;
  return {
    url,
    port: address.port,
    httpServer,
    stop: () => apollo.stop(),
  };
}
