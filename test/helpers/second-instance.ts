import { App } from "../../src/app";
import { loadConfig } from "../../src/config";
import { RunningServer, startServer } from "../../src/server";
import type { TestServer } from "./server";

export interface SecondInstance {
  app: App;
  server: RunningServer;
  stop(): Promise<void>;
}

/**
 * Another Keyway instance on `first`'s database, with its own caches, background work and HTTP server,
 * as in a deployment with several instances.
 */
export async function startSecondInstance(first: TestServer): Promise<SecondInstance> {
  const app = await App.open(loadConfig({ NODE_ENV: "test", DATABASE_URL: first.app.databaseUrl, LOG_LEVEL: "silent" }));
  await app.startBackground();
  const server = await startServer(app, 0, "127.0.0.1");
  return {
    app,
    server,
    stop: async () => {
      await server.stop();
      await app.close();
    },
  };
}
