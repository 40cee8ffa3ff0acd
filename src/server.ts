import { AsyncLocalStorage } from "node:async_hooks";
import { randomUUID } from "node:crypto";
import { createServer, Server } from "node:http";
import type { AddressInfo } from "node:net";
import { ApolloServer } from "@apollo/server";
import { ApolloServerPluginCacheControlDisabled } from "@apollo/server/plugin/disabled";
import { ApolloServerPluginDrainHttpServer } from "@apollo/server/plugin/drainHttpServer";
import { ApolloServerPluginLandingPageDisabled } from "@apollo/server/plugin/disabled";
import { unwrapResolverError } from "@apollo/server/errors";
import { expressMiddleware } from "@as-integrations/express5";
import { ApolloArmor } from "@escape.tech/graphql-armor";
import express, { NextFunction, Request, Response } from "express";
import { GraphQLError, GraphQLFormattedError } from "graphql";
import type { App } from "./app.js";
import type { RequestContext } from "./auth/request-context.js";
import { createSchema } from "./schema/build-schema.js";

export interface RunningServer {
  url: string;
  port: number;
  httpServer: Server;
  /** Stops accepting, lets in-flight requests finish, then stops Apollo. The App is closed by the caller. */
  stop(): Promise<void>;
}

const requestScope = new AsyncLocalStorage<{ requestId: string }>();

/** Unexpected errors reach the client as "Internal server error" and the request id; the detail goes to the log. */
function maskUnexpected(app: App) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const original = unwrapResolverError(error);
    if (original instanceof GraphQLError && formatted.extensions?.code !== "INTERNAL_SERVER_ERROR") {
      const { http: _http, ...extensions } = formatted.extensions ?? {};
      return { ...formatted, extensions };
    }
    const requestId = requestScope.getStore()?.requestId ?? randomUUID();
    app.services.logger.error({ err: original, requestId, path: formatted.path }, "unexpected error");
    return {
      message: "Internal server error",
      path: formatted.path,
      locations: formatted.locations,
      extensions: { code: "INTERNAL_SERVER_ERROR", requestId },
    };
  };
}

export async function startServer(app: App, port = app.services.config.port, host = app.services.config.host): Promise<RunningServer> {
  const { config, logger, authenticator, dataSource } = app.services;
  const expressApp = express();
  expressApp.disable("x-powered-by");
  const httpServer = createServer(expressApp);

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
    schema: await createSchema(app.services),
    ...armor,
    plugins: [
      ...armor.plugins,
      ApolloServerPluginDrainHttpServer({ httpServer }),
      ApolloServerPluginCacheControlDisabled(),
      ApolloServerPluginLandingPageDisabled(),
    ],
    persistedQueries: false,
    // main.ts owns SIGTERM/SIGINT; Apollo's own handler raced it and shutdown hung until the 20 s force-exit.
    stopOnTerminationSignals: false,
    csrfPrevention: true,
    introspection: true,
    includeStacktraceInErrorResponses: false,
    formatError: maskUnexpected(app),
  });
  await apollo.start();

  expressApp.get("/healthz", async (_req, res) => {
    try {
      await dataSource.query("SELECT 1");
      res.json({ status: "ok" });
    } catch {
      res.status(503).json({ status: "unavailable" });
    }
  });

  expressApp.use((req, res, next) => {
    const requestId = randomUUID();
    res.setHeader("x-request-id", requestId);
    requestScope.run({ requestId }, next);
  });

  expressApp.use(
    "/graphql",
    express.json({ limit: config.limits.bodyBytes }),
    expressMiddleware(apollo, {
      context: async ({ req }) => {
        const ctx = await authenticator.contextFor(req.headers, req.ip ?? req.socket.remoteAddress ?? "");
        ctx.requestId = requestScope.getStore()?.requestId ?? ctx.requestId;
        return ctx;
      },
    }),
  );

  // Body too large, malformed JSON: a JSON error, never an HTML page or a stack trace.
  expressApp.use((error: Error & { status?: number; type?: string }, _req: Request, res: Response, _next: NextFunction) => {
    const status = error.status ?? 500;
    if (status >= 500) logger.error({ err: error }, "request failed");
    const message = error.type === "entity.too.large" ? "Request body exceeds 1 MB" : status >= 500 ? "Internal server error" : "Malformed request";
    res.status(status).json({ errors: [{ message, extensions: { code: status >= 500 ? "INTERNAL_SERVER_ERROR" : "BAD_REQUEST" } }] });
  });

  await new Promise<void>((resolve) => httpServer.listen(port, host, resolve));
  const address = httpServer.address() as AddressInfo;
  const url = `http://${host === "0.0.0.0" ? "127.0.0.1" : host}:${address.port}/graphql`;
  return {
    url,
    port: address.port,
    httpServer,
    stop: () => apollo.stop(),
  };
}
