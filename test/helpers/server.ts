import "reflect-metadata";
import { randomBytes } from "node:crypto";
import { GraphQLClient } from "graphql-request";
import { App, AppOptions } from "../../src/app";
import { PERMISSIONS } from "../../src/auth/permissions";
import { systemContext, systemRequestContext } from "../../src/auth/request-context";
import { loadConfig } from "../../src/config";
import { APIKeyRole, Environment, Plan } from "../../src/entities/enums";
import { startServer } from "../../src/server";
import { bearer, HttpResult, postTo } from "./client";
import { adminUrl, createDatabase } from "./database";

export { bearer, createDatabase };
export type { HttpResult };

export const ADMIN_EMAIL = "admin@example.test";
export const ADMIN_PASSWORD = "correct-horse-battery";

export interface TestServer {
  url: string;
  app: App;
  organizationId: string;
  /** The bootstrap TEST ADMIN key. */
  adminKey: string;
  /** graphql-request client authenticated with the bootstrap key. */
  admin: GraphQLClient;
  client(credential: string | null, headers?: Record<string, string>): GraphQLClient;
  /** A POST as a client would send it, returning status and body whatever they are. */
  post<T = any>(query: string, variables?: Record<string, unknown>, headers?: Record<string, string>): Promise<HttpResult<T>>;
  /** Issues a key like `keyway key create` does. */
  issueKey(role: APIKeyRole, environment?: Environment, organizationId?: string): Promise<string>;
  /** Another organization with an ADMIN key in each environment. */
  otherOrganization(plan?: Plan): Promise<{ id: string; testKey: string; liveKey: string }>;
  stop(): Promise<void>;
}

/** The real server, in this process, on a fresh database of its own. */
export async function startTestServer(env: Record<string, string> = {}, options: AppOptions = {}): Promise<TestServer> {
  const database = await createDatabase(adminUrl());
  const config = loadConfig({
    NODE_ENV: "test",
    DATABASE_URL: database.url,
    KEYWAY_ADMIN_EMAIL: ADMIN_EMAIL,
    KEYWAY_ADMIN_PASSWORD: ADMIN_PASSWORD,
    KEYWAY_BCRYPT_COST: "4",
    LOG_LEVEL: process.env.LOG_LEVEL ?? "silent",
    // `npm test` runs the delivery suites a second time with the first attempts queued (the other execution path).
    ...(process.env.KEYWAY_DELIVERY_INLINE_FIRST_ATTEMPTS
      ? { KEYWAY_DELIVERY_INLINE_FIRST_ATTEMPTS: process.env.KEYWAY_DELIVERY_INLINE_FIRST_ATTEMPTS }
      : {}),
    ...env,
  });
  const app = await App.open(config, options);
  await app.migrate();
  const created = await app.bootstrap();
  if (!created) throw new Error("bootstrap created nothing on a fresh database");
  await app.startBackground();
  const server = await startServer(app, 0, "127.0.0.1");

  const client = (credential: string | null, headers: Record<string, string> = {}) =>
    new GraphQLClient(server.url, {
      headers: { ...(credential ? { authorization: `Bearer ${credential}` } : {}), ...headers },
    });

  const issueKey = async (role: APIKeyRole, environment = Environment.TEST, organizationId = created.organization.id) => {
    const ctx = systemContext(organizationId, environment, new Set(PERMISSIONS));
    const key = await app.services.apiKeys.issueAsOperator(ctx, `${role} ${environment} ${randomBytes(4).toString("hex")}`, role);
    return key.key!;
  };

  return {
    url: server.url,
    app,
    organizationId: created.organization.id,
    adminKey: created.apiKey,
    admin: client(created.apiKey),
    client,
    post: (query, variables, headers) => postTo(server.url, query, variables, headers),
    issueKey,
    async otherOrganization(plan = Plan.PAID) {
      const organization = await app.services.organizations.create(systemRequestContext(), `Other ${randomBytes(3).toString("hex")}`, plan);
      return {
        id: organization.id,
        testKey: await issueKey(APIKeyRole.ADMIN, Environment.TEST, organization.id),
        liveKey: await issueKey(APIKeyRole.ADMIN, Environment.LIVE, organization.id),
      };
    },
    async stop() {
      await server.stop();
      await app.close();
      await database.drop();
    },
  };
}
