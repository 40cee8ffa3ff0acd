import "reflect-metadata";
import { randomBytes } from "node:crypto";
import { GraphQLClient } from "graphql-request";
import { Client } from "pg";
import { App, AppOptions } from "../../src/app";
import { PERMISSIONS } from "../../src/auth/permissions";
import { systemContext } from "../../src/auth/request-context";
import { loadConfig } from "../../src/config";
import { APIKeyRole, Environment, Plan } from "../../src/entities/enums";
import { startServer } from "../../src/server";

export const ADMIN_EMAIL = "admin@example.test";
export const ADMIN_PASSWORD = "correct-horse-battery";

export interface HttpResult<T = any> {
  status: number;
  body: { data?: T; errors?: Array<{ message: string; extensions?: Record<string, any>; path?: string[] }> };
}

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

/** A new, empty database on the test PostgreSQL. */
export async function createDatabase(adminUrl: string): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `keyway_test_${randomBytes(6).toString("hex")}`;
  const admin = new Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const client = new Client({ connectionString: adminUrl });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await client.end();
    },
  };
}

/** The real server, in this process, on a fresh database of its own. */
export async function startTestServer(env: Record<string, string> = {}, options: AppOptions = {}): Promise<TestServer> {
  const adminUrl = process.env.KEYWAY_TEST_ADMIN_URL;
  if (!adminUrl) throw new Error("KEYWAY_TEST_ADMIN_URL is not set: run the tests through jest (globalSetup)");
  const database = await createDatabase(adminUrl);
  const config = loadConfig({
    NODE_ENV: "test",
    DATABASE_URL: database.url,
    KEYWAY_ADMIN_EMAIL: ADMIN_EMAIL,
    KEYWAY_ADMIN_PASSWORD: ADMIN_PASSWORD,
    KEYWAY_BCRYPT_COST: "4",
    LOG_LEVEL: process.env.LOG_LEVEL ?? "silent",
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
    async post(query, variables, headers = {}) {
      const response = await fetch(server.url, {
        method: "POST",
        headers: { "content-type": "application/json", ...headers },
        body: JSON.stringify({ query, variables }),
      });
      return { status: response.status, body: (await response.json()) as HttpResult["body"] };
    },
    issueKey,
    async otherOrganization(plan = Plan.PAID) {
      const organization = await app.services.organizations.create(`Other ${randomBytes(3).toString("hex")}`, plan);
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

export function bearer(key: string): Record<string, string> {
  return { authorization: `Bearer ${key}` };
}
