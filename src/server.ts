import { createServer, IncomingMessage, Server, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { ApolloServer, ApolloServerPlugin } from "@apollo/server";
import { ApolloServerPluginCacheControlDisabled } from "@apollo/server/plugin/disabled";
import { ApolloServerPluginDrainHttpServer } from "@apollo/server/plugin/drainHttpServer";
import { ApolloServerPluginLandingPageDisabled } from "@apollo/server/plugin/disabled";
import { unwrapResolverError } from "@apollo/server/errors";
import { ApolloArmor } from "@escape.tech/graphql-armor";
import express, { NextFunction, Request, Response } from "express";
import { GraphQLError, GraphQLFormattedError } from "graphql";
import type { Logger } from "pino";
import type { App } from "./app.js";
import type { RequestContext } from "./auth/request-context.js";
import { createSchema } from "./schema/build-schema.js";
import { localGateway } from "./schema/executor.js";
import { metricsRouter } from "./http/metrics.js";
import { playgroundRouter } from "./http/playground.js";
import { dashboardRouter, sessionCookieWriter } from "./http/dashboard.js";
import { clientAddress, graphqlEndpoint, sendJsonError } from "./http/graphql-endpoint.js";
import { pathOf, recordOperation, requestTracker, trackOperation } from "./http/request-log.js";

export interface RunningServer {
  url: string;
  port: number;
  httpServer: Server;
  /** Stops accepting, lets in-flight requests finish, then stops Apollo. The App is closed by the caller. */
  stop(): Promise<void>;
}

function isUnexpected(error: unknown): boolean {
  const original = unwrapResolverError(error);
  return !(original instanceof GraphQLError) || original.extensions?.code === "INTERNAL_SERVER_ERROR";
}

/** Unexpected errors reach the client as "Internal server error"; the detail goes to the log (maskedErrorLog). */
function maskUnexpected(formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError {
  if (!isUnexpected(error)) return formatted;
  return {
    message: "Internal server error",
    path: formatted.path,
    locations: formatted.locations,
    extensions: { code: "INTERNAL_SERVER_ERROR" },
  };
}

/** Logs each unexpected error with the request id and gives the client that id to quote. */
function maskedErrorLog(logger: Logger): ApolloServerPlugin<RequestContext> {
  return {
    async requestDidStart() {
      return {
        async didEncounterErrors({ contextValue, errors }) {
          for (const error of errors) {
            if (isUnexpected(error)) {
              logger.error({ err: unwrapResolverError(error), requestId: contextValue.requestId, path: error.path }, "unexpected error");
            }
          }
        },
        async willSendResponse({ contextValue, response }) {
          if (response.body.kind !== "single") return;
          for (const error of response.body.singleResult.errors ?? []) {
            if (error.extensions?.code === "INTERNAL_SERVER_ERROR") {
              (error.extensions as Record<string, unknown>).requestId = contextValue.requestId;
            }
          }
        },
      };
    },
  };
}

export async function startServer(app: App, port = app.services.config.port, host = app.services.config.host): Promise<RunningServer> {
  const { config, logger, authenticator, dataSource } = app.services;
  const expressApp = express();
  expressApp.disable("x-powered-by");
  const track = requestTracker(app.services);
  const clientIp = clientAddress(config.trustProxy);
  const cookieWriter = sessionCookieWriter(config.trustProxy);
  const httpServer = createServer();

  const armor = new ApolloArmor({
    maxDepth: { n: config.limits.maxDepth },
    maxAliases: { n: config.limits.maxAliases },
    costLimit: { maxCost: config.limits.maxCost },
    blockFieldSuggestion: { enabled: config.production },
    // Armor's token counter re-parses in a plugin hook, which turns every syntax error into a 500;
    // the 1 MB body limit, depth, alias and cost limits bound the work instead.
    maxTokens: { enabled: false },
  }).protect();

  const apollo = new ApolloServer<RequestContext>({
    gateway: localGateway(await createSchema(app.services)),
    ...armor,
    plugins: [
      recordOperation,
      ...armor.plugins,
      ApolloServerPluginDrainHttpServer({ httpServer }),
      ApolloServerPluginCacheControlDisabled(),
      ApolloServerPluginLandingPageDisabled(),
      maskedErrorLog(logger),
    ],
    persistedQueries: false,
    // main.ts owns SIGTERM/SIGINT; Apollo's own handler raced it and shutdown hung until the 20 s force-exit.
    stopOnTerminationSignals: false,
    csrfPrevention: true,
    introspection: true,
    includeStacktraceInErrorResponses: false,
    formatError: maskUnexpected,
  });
  await apollo.start();

  const graphql = graphqlEndpoint(apollo, {
    bodyLimitBytes: config.limits.bodyBytes,
    context: async (req, res) => {
      const ctx = await authenticator.contextFor(req.headers, clientIp(req), cookieWriter(req, res));
      res.setHeader("x-request-id", ctx.requestId);
      trackOperation(ctx, res);
      return ctx;
    },
    onError: (error) => logger.error({ err: error }, "request failed"),
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
    logger.error({ err: error }, "request failed");
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
