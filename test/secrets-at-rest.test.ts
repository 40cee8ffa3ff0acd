import { CliResult as Result, runKeyway, serveKeyway, ServingKeyway } from "./helpers/cli";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { jwtVerify } from "jose";
import { Client } from "pg";
import { Webhook } from "standardwebhooks";
import { App } from "../src/app";
import { ConfigError, loadConfig, parseEncryptionKeys } from "../src/config";
import { keyIdOf, SEALED_COLUMNS, SecretBox } from "../src/db/secret-box";
import { RunningServer, startServer } from "../src/server";
import { approvingEndpoint, isDecisionRequest, Receiver } from "./helpers/receiver";
import { sharedSecretJwt } from "./helpers/keys";
import { waitFor } from "./helpers/wait";
import { ADMIN_EMAIL, ADMIN_PASSWORD, createDatabase } from "./helpers/server";
import { LOGIN } from "./helpers/users";

/**
 * Secrets at rest: what a database dump or PostgreSQL's statement log shows is the point
 * here, so these tests read the tables with SQL; everything else goes through the API.
 */

const KEY_A = randomBytes(32).toString("base64");
const KEY_B = randomBytes(32).toString("hex");
const ID_A = keyIdOf(Buffer.from(KEY_A, "base64"));
const ID_B = keyIdOf(Buffer.from(KEY_B, "hex"));
const ENVELOPE = /^v1:[A-Za-z0-9_-]{8}:[A-Za-z0-9_-]{16}:[A-Za-z0-9_-]+:[A-Za-z0-9_-]{22}$/;

const ADD_TARGET = `mutation($input: AddWebhookNotificationTargetInput!) { addWebhookNotificationTarget(input: $input) {
  __typename ... on WebhookNotificationTarget { id signingKeys { secret } } } }`;
const TARGET = `query($id: ID!) { node(id: $id) { ... on WebhookNotificationTarget { status signingKeys { secret } } } }`;
const ROTATE_KEY = `mutation($input: RotateNotificationTargetSigningKeyInput!) { rotateNotificationTargetSigningKey(input: $input) {
  __typename ... on WebhookNotificationTarget { signingKeys { secret } } } }`;
const CREATE_KEY = `mutation { createSecretAPIKey(input: { secretKey: { name: "at-rest" } }) { __typename } }`;
const ADD_ENDPOINT = `mutation($input: AddCollaborativeAuthorizationEndpointInput!) { addCollaborativeAuthorizationEndpoint(input: $input) {
  __typename ... on CollaborativeAuthorizationEndpoint { id signingKeys { secret } } } }`;
const ACTIVATE_ENDPOINT = `mutation($input: ActivateCollaborativeAuthorizationEndpointInput!) {
  activateCollaborativeAuthorizationEndpoint(input: $input) { __typename ... on CollaborativeAuthorizationEndpoint { status } } }`;
const SIMULATE = `mutation { simulateCollaborativeAuthorization(input: { amount: 500, currencyCode: "USD" }) {
  __typename ... on CollaborativeAuthorizationRequest { responseCode decidedBy } } }`;
const SHARED = `{ organizations { sharedSecret { secret } } }`;
const ROTATE_SHARED = `mutation { rotateSharedSecret { __typename ... on SharedSecret { secret } } }`;
const VIEWER = `{ viewer { role actor { __typename ... on APIKey { id } } } }`;
const SECRETS = `{ organizations { sharedSecret { secret } webhookNotificationTargets(first: 10) { edges { node { signingKeys { secret } } } }
  collaborativeAuthorizationEndpoints(first: 10) { edges { node { signingKeys { secret } } } } } }`;

type Post = (query: string, variables?: Record<string, unknown>, credential?: string) => Promise<{ status: number; body: any }>;

function poster(url: string, defaultCredential: string): Post {
  return async (query, variables, credential = defaultCredential) => {
    const response = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json", ...(credential ? { authorization: `Bearer ${credential}` } : {}) },
      body: JSON.stringify({ query, variables }),
    });
    return { status: response.status, body: await response.json() };
  };
}

function verifies(secret: string, message: { body: string; headers: Record<string, string> }): boolean {
  new Webhook(secret).verify(message.body, message.headers);
  return true;
}

interface Plaintexts {
  signingSecrets: string[];
  sharedSecrets: string[];
  sessionToken: string;
  apiKeyId: string;
}

let counter = 0;

/**
 * Everything that writes a secret, as a client does it: a target (its activation and a
 * delivery verified with each signing key), a key rotation, a collaborative-authorization
 * endpoint (verification and decision verified), a shared secret and its rotation (JWTs
 * signed with both authenticate), and a login.
 */
async function writeEverySecret(post: Post, receiver: Receiver, endpoint: Receiver): Promise<Plaintexts> {
  const name = `r${++counter}`;
  const added = (
    await post(ADD_TARGET, { input: { name: `Target ${name}`, uri: receiver.target(name), subscriptions: ["API_KEY_CREATED"] } })
  ).body.data.addWebhookNotificationTarget;
  expect(added.__typename).toBe("WebhookNotificationTarget");
  const first: string = added.signingKeys[0].secret;
  expect(first).toMatch(/^whsec_/);
  await waitFor(async () => (await post(TARGET, { id: added.id })).body.data.node.status === "ACTIVE", 30_000, "activation");
  expect(verifies(first, receiver.to(name)[0])).toBe(true);

  const rotated = (await post(ROTATE_KEY, { input: { targetId: added.id } })).body.data.rotateNotificationTargetSigningKey;
  const second: string = rotated.signingKeys[0].secret;
  expect(rotated.signingKeys.map((key: { secret: string }) => key.secret)).toEqual([second, first]);
  expect((await post(CREATE_KEY)).body.data.createSecretAPIKey.__typename).toBe("APIKey");
  const delivery = await waitFor(() => receiver.to(name).find((request) => request.json.type === "API_KEY_CREATED"), 30_000, "delivery");
  expect(verifies(second, delivery) && verifies(first, delivery)).toBe(true);

  const path = `/${name}`;
  const addedEndpoint = (await post(ADD_ENDPOINT, { input: { name: `Endpoint ${name}`, uri: endpoint.target(path) } })).body.data
    .addCollaborativeAuthorizationEndpoint;
  expect(addedEndpoint.__typename).toBe("CollaborativeAuthorizationEndpoint");
  const endpointSecret: string = addedEndpoint.signingKeys[0].secret;
  const activated = (await post(ACTIVATE_ENDPOINT, { input: { endpointId: addedEndpoint.id } })).body.data
    .activateCollaborativeAuthorizationEndpoint;
  expect(activated.status).toBe("ACTIVE");
  expect(verifies(endpointSecret, endpoint.to(path)[0])).toBe(true);
  const decided = (await post(SIMULATE)).body.data.simulateCollaborativeAuthorization;
  expect(decided).toEqual({ __typename: "CollaborativeAuthorizationRequest", responseCode: "APPROVED", decidedBy: "ENDPOINT" });
  expect(verifies(endpointSecret, endpoint.to(path).filter(isDecisionRequest)[0])).toBe(true);

  const previousShared: string = (await post(SHARED)).body.data.organizations[0].sharedSecret.secret;
  const shared: string = (await post(ROTATE_SHARED)).body.data.rotateSharedSecret.secret;
  expect(shared).not.toBe(previousShared);
  const apiKeyId: string = (await post(VIEWER)).body.data.viewer.actor.id;
  for (const secret of [shared, previousShared]) {
    expect((await post(VIEWER, {}, await sharedSecretJwt(secret, apiKeyId))).body.data.viewer.role).toBe("ADMIN");
  }

  const login = (await post(LOGIN, { input: { email: ADMIN_EMAIL, password: ADMIN_PASSWORD } }, "")).body.data.login;
  expect(login.__typename).toBe("Session");
  expect((await post(VIEWER, {}, login.token)).body.data.viewer.role).toBe("ADMIN");
  return { signingSecrets: [first, second, endpointSecret], sharedSecrets: [previousShared, shared], sessionToken: login.token, apiKeyId };
}

async function withDatabase<T>(url: string, work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** Every stored secret column, as it is stored: table → values. */
async function storedSecrets(url: string): Promise<Record<string, string[]>> {
  return withDatabase(url, async (client) => {
    const stored: Record<string, string[]> = {};
    for (const { table, id, column } of SEALED_COLUMNS) {
      stored[table] = (await client.query(`SELECT ${column} AS value FROM ${table} ORDER BY ${id}`)).rows.map((row) => row.value);
    }
    return stored;
  });
}

/** The session JWT secrets, decrypted with `key`: a login token must verify with one of them. */
async function sessionSecrets(url: string, key: string): Promise<string[]> {
  const box = new SecretBox({ configured: parseEncryptionKeys("key", key), keyFile: "/nonexistent" });
  return (await storedSecrets(url)).session_secrets.map((sealed) => box.open(sealed, "session_secrets.secret"));
}

async function verifyWithOneOf(token: string, secrets: string[]): Promise<string> {
  for (const secret of secrets) {
    try {
      await jwtVerify(token, new TextEncoder().encode(secret), { algorithms: ["HS256"] });
      return secret;
    } catch {
      // the next one
    }
  }
  throw new Error("the session token verifies with none of the stored session secrets");
}

/** The forms a secret could take in a row: whole, and the base64 HMAC key inside whsec_…. */
function forms(secrets: string[]): string[] {
  return secrets.flatMap((secret) => (secret.startsWith("whsec_") ? [secret, secret.slice("whsec_".length)] : [secret]));
}

/** Keyway in this process on an existing database, as `keyway serve` starts it. */
async function openKeyway(
  databaseUrl: string,
  env: Record<string, string>,
): Promise<{ app: App; server: RunningServer; post: Post; stop: () => Promise<void> }> {
  const app = await App.open(
    loadConfig({
      NODE_ENV: "test",
      DATABASE_URL: databaseUrl,
      KEYWAY_ADMIN_EMAIL: ADMIN_EMAIL,
      KEYWAY_ADMIN_PASSWORD: ADMIN_PASSWORD,
      KEYWAY_BCRYPT_COST: "4",
      LOG_LEVEL: "silent",
      ...env,
    }),
  );
  try {
    await app.migrate();
  } catch (error) {
    await app.close();
    throw error;
  }
  const created = await app.bootstrap();
  await app.startBackground();
  const server = await startServer(app, 0, "127.0.0.1");
  return {
    app,
    server,
    post: poster(server.url, created?.apiKey ?? ""),
    stop: async () => {
      await server.stop();
      await app.close();
    },
  };
}

/** `databaseUrl` null: the embedded PostgreSQL in KEYWAY_DATA_DIR. */
function cliEnvironment(databaseUrl: string | null, extra: Record<string, string>): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    NODE_ENV: "test",
    ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
    KEYWAY_BCRYPT_COST: "4",
    ...extra,
  };
}

function keyway(args: string[], databaseUrl: string | null, env: Record<string, string>): Promise<Result> {
  return runKeyway(args, cliEnvironment(databaseUrl, env));
}

/** `keyway serve` as an operator runs it. */
function serve(databaseUrl: string, env: Record<string, string>): Promise<ServingKeyway> {
  return serveKeyway(cliEnvironment(databaseUrl, { PORT: "0", HOST: "127.0.0.1", ...env }));
}

let receiver: Receiver;
let endpoint: Receiver;
const databases: Array<{ url: string; drop: () => Promise<void> }> = [];
const folders: string[] = [];

async function database(): Promise<string> {
  const created = await createDatabase(process.env.KEYWAY_TEST_ADMIN_URL);
  databases.push(created);
  return created.url;
}

function folder(): string {
  const created = mkdtempSync(path.join(os.tmpdir(), "keyway-keys-"));
  folders.push(created);
  return created;
}

beforeAll(async () => {
  receiver = await Receiver.start();
  endpoint = await approvingEndpoint();
});
afterAll(async () => {
  await receiver?.stop();
  await endpoint?.stop();
  for (const created of databases) await created.drop();
  for (const created of folders) rmSync(created, { recursive: true, force: true });
});

describe("what the database holds", () => {
  it("no plaintext secret in any column of any row, while the API returns them and signatures verify", async () => {
    const url = await database();
    const keyway = await openKeyway(url, { KEYWAY_ENCRYPTION_KEY: KEY_A });
    let plaintexts: Plaintexts;
    try {
      plaintexts = await writeEverySecret(keyway.post, receiver, endpoint);
    } finally {
      await keyway.stop();
    }
    const sessionSecret = await verifyWithOneOf(plaintexts.sessionToken, await sessionSecrets(url, KEY_A));
    const secrets = forms([...plaintexts.signingSecrets, ...plaintexts.sharedSecrets, sessionSecret]);

    const stored = await storedSecrets(url);
    expect(stored.signing_keys).toHaveLength(3);
    expect(stored.shared_secrets).toHaveLength(2);
    expect(stored.session_secrets).toHaveLength(1);
    for (const value of Object.values(stored).flat()) {
      expect(value).toMatch(ENVELOPE);
      expect(value.split(":")[1]).toBe(ID_A);
    }

    const found = await withDatabase(url, async (client) => {
      const tables = await client.query(
        `SELECT table_schema, table_name FROM information_schema.tables
          WHERE table_type = 'BASE TABLE' AND table_schema NOT IN ('pg_catalog', 'information_schema')`,
      );
      expect(tables.rows.map((row) => row.table_name)).toEqual(
        expect.arrayContaining(["signing_keys", "shared_secrets", "session_secrets", "audit_log"]),
      );
      const hits: string[] = [];
      let rows = 0;
      for (const { table_schema, table_name } of tables.rows) {
        const result = await client.query(`SELECT row_to_json(t)::text AS row FROM "${table_schema}"."${table_name}" t`);
        rows += result.rowCount ?? 0;
        for (const { row } of result.rows) {
          for (const secret of secrets) if (row.includes(secret)) hits.push(`${table_schema}.${table_name}: ${secret.slice(0, 10)}…`);
        }
      }
      expect(rows).toBeGreaterThan(20);
      return hits;
    });
    expect(found).toEqual([]);
  });
});

describe("start-up with the wrong key or none", () => {
  let url: string;
  beforeAll(async () => {
    // A database whose secrets are encrypted with KEY_A.
    url = await database();
    const keyway = await openKeyway(url, { KEYWAY_ENCRYPTION_KEY: KEY_A });
    try {
      expect((await keyway.post(SHARED)).body.data.organizations[0].sharedSecret.secret).toMatch(/^kw_ss_/);
    } finally {
      await keyway.stop();
    }
  });

  it.each([["migrate"], ["serve"]])("keyway %s with another key exits 2 with one line naming the key it needs", async (command) => {
    const result = await keyway([command], url, { KEYWAY_ENCRYPTION_KEY: KEY_B, PORT: "0" });
    expect(result.code).toBe(2);
    expect(result.stdout).toBe("");
    expect(result.stderr).toBe(
      `keyway: KEYWAY_ENCRYPTION_KEY does not hold key ${ID_A}, which encrypts the secrets stored in this database (it holds ${ID_B}): ` +
        "wrong key? To rotate, list the new key first and the old one after it\n",
    );
  });

  it("exits 2 when KEYWAY_ENCRYPTION_KEY is unset and the key file is missing, and generates no key", async () => {
    const dataDir = folder();
    const result = await keyway(["serve"], url, { KEYWAY_DATA_DIR: dataDir, PORT: "0" });
    expect(result.code).toBe(2);
    expect(result.stdout).toBe("");
    const keyFile = path.join(dataDir, "encryption.key");
    expect(result.stderr).toBe(
      `keyway: the database holds secrets encrypted with key ${ID_A}, but KEYWAY_ENCRYPTION_KEY is unset and ${keyFile} does not exist: ` +
        "restore that file or set KEYWAY_ENCRYPTION_KEY (a new key cannot read them)\n",
    );
    expect(existsSync(keyFile)).toBe(false);
  });

  it("exits 2 when the key file holds another key, or something that is not a key", async () => {
    const dataDir = folder();
    const keyFile = path.join(dataDir, "encryption.key");
    writeFileSync(keyFile, `${KEY_B}\n`, { mode: 0o600 });
    const wrong = await keyway(["migrate"], url, { KEYWAY_DATA_DIR: dataDir });
    expect(wrong).toMatchObject({ code: 2, stdout: "" });
    expect(wrong.stderr).toMatch(new RegExp(`^keyway: the encryption key file ${keyFile} does not hold key ${ID_A}, .*\\n$`));
    writeFileSync(keyFile, "not a key\n");
    const garbled = await keyway(["migrate"], url, { KEYWAY_DATA_DIR: dataDir });
    expect(garbled).toEqual({
      code: 2,
      stdout: "",
      stderr: `keyway: the encryption key file ${keyFile} must be 32 bytes as 64 hex digits or base64 (openssl rand -base64 32), comma-separated for rotation\n`,
    });
  });

  it("refuses a malformed KEYWAY_ENCRYPTION_KEY without repeating it", async () => {
    const result = await keyway(["migrate"], url, { KEYWAY_ENCRYPTION_KEY: `${KEY_A},${KEY_A.slice(0, 20)}` });
    expect(result).toEqual({
      code: 2,
      stdout: "",
      stderr:
        "keyway: KEYWAY_ENCRYPTION_KEY must be 32 bytes as 64 hex digits or base64 (openssl rand -base64 32), comma-separated for rotation (key 2 of 2)\n",
    });
  });

  it("starts with the right key", async () => {
    const result = await keyway(["migrate"], url, { KEYWAY_ENCRYPTION_KEY: KEY_A });
    expect(result).toEqual({ code: 0, stdout: "Migrations are up to date\n", stderr: "" });
  });

  it("keyway migrate rotates to a new key listed first and says which key is no longer used", async () => {
    const result = await keyway(["migrate"], url, { KEYWAY_ENCRYPTION_KEY: `${KEY_B},${KEY_A}` });
    expect(result).toEqual({
      code: 0,
      stdout: `Migrations are up to date\nEncrypted 1 stored secret(s) with key ${ID_B}; no longer used: key ${ID_A}\n`,
      stderr: "",
    });
    expect(await keyway(["migrate"], url, { KEYWAY_ENCRYPTION_KEY: KEY_B })).toEqual({
      code: 0,
      stdout: "Migrations are up to date\n",
      stderr: "",
    });
    expect((await keyway(["migrate"], url, { KEYWAY_ENCRYPTION_KEY: KEY_A })).code).toBe(2);
  });
});

describe("the generated key file", () => {
  it("is written once into the data folder (0600) on a database without secrets, announced, and reused on later starts", async () => {
    const url = await database();
    const dataDir = path.join(folder(), "data");
    const keyFile = path.join(dataDir, "encryption.key");
    const first = await serve(url, { KEYWAY_DATA_DIR: dataDir, KEYWAY_ADMIN_PASSWORD: ADMIN_PASSWORD });
    let secret: string;
    let key: string;
    try {
      expect(first.output()).toContain(`Keyway generated the key that encrypts its stored secrets: ${keyFile}`);
      expect(statSync(keyFile).mode & 0o777).toBe(0o600);
      expect(statSync(dataDir).mode & 0o777).toBe(0o700);
      key = readFileSync(keyFile, "utf8");
      expect(parseEncryptionKeys("file", key.trim())).toHaveLength(1);
      const apiKey = /TEST API key:\s+(\S+)/.exec(first.output())![1];
      secret = (await poster(first.url, apiKey)(SHARED)).body.data.organizations[0].sharedSecret.secret;
      expect(secret).toMatch(/^kw_ss_/);
      const [stored] = (await storedSecrets(url)).shared_secrets;
      expect(stored.split(":")[1]).toBe(keyIdOf(parseEncryptionKeys("file", key.trim())[0]));
    } finally {
      expect(await first.stop()).toBe(0);
    }

    const second = await serve(url, { KEYWAY_DATA_DIR: dataDir });
    try {
      expect(second.output()).not.toContain("generated the key");
      expect(readFileSync(keyFile, "utf8")).toBe(key);
      const login = (await poster(second.url, "")(LOGIN, { input: { email: "admin@localhost", password: ADMIN_PASSWORD } }, "")).body.data
        .login;
      expect(login.__typename).toBe("Session");
      expect((await poster(second.url, login.token)(SHARED)).body.data.organizations[0].sharedSecret.secret).toBe(secret);
    } finally {
      expect(await second.stop()).toBe(0);
    }
  });

  it("may share the data folder with an embedded PostgreSQL created later", async () => {
    // The key was generated while DATABASE_URL was set; then the operator drops DATABASE_URL.
    const parent = folder();
    const dataDir = path.join(parent, "data");
    const keyFile = path.join(dataDir, "encryption.key");
    expect(await keyway(["migrate"], await database(), { KEYWAY_DATA_DIR: dataDir })).toMatchObject({ code: 0, stderr: "" });
    const key = readFileSync(keyFile, "utf8");
    const embedded = await keyway(["migrate"], null, { KEYWAY_DATA_DIR: dataDir });
    expect(embedded).toMatchObject({ code: 0, stderr: "" });
    expect(embedded.stdout).toMatch(/^Applied \d+ migration\(s\): /);
    expect(existsSync(path.join(dataDir, "PG_VERSION"))).toBe(true);
    expect(readFileSync(keyFile, "utf8")).toBe(key);
  });
});

describe("rotation of the encryption key", () => {
  it("listing a new key first re-encrypts every stored secret under it in one go; the old key is then no longer needed", async () => {
    const url = await database();
    const before = await openKeyway(url, { KEYWAY_ENCRYPTION_KEY: KEY_A });
    let plaintexts: Plaintexts;
    let readBefore: any;
    try {
      plaintexts = await writeEverySecret(before.post, receiver, endpoint);
      readBefore = (await before.post(SECRETS)).body.data;
    } finally {
      await before.stop();
    }
    const storedBefore = await storedSecrets(url);
    const count = Object.values(storedBefore).flat().length;
    expect(count).toBe(6);

    const rotating = await openKeyway(url, { KEYWAY_ENCRYPTION_KEY: `${KEY_B},${KEY_A}` });
    try {
      expect(rotating.app.encryption).toEqual({ keyId: ID_B, generatedKeyFile: null, reencrypted: count, retiredKeyIds: [ID_A] });
    } finally {
      await rotating.stop();
    }
    const storedAfter = await storedSecrets(url);
    for (const [table, values] of Object.entries(storedAfter)) {
      expect(values).toHaveLength(storedBefore[table].length);
      values.forEach((value, i) => {
        expect(value).toMatch(ENVELOPE);
        expect(value.split(":")[1]).toBe(ID_B);
        expect(value).not.toBe(storedBefore[table][i]);
      });
    }
    const registry = await withDatabase(url, async (client) => (await client.query("SELECT key_id FROM encryption_keys")).rows);
    expect(registry).toEqual([{ key_id: ID_B }]);

    // The new key alone reads everything: the same secrets, the old session still valid, JWTs still verify.
    const after = await openKeyway(url, { KEYWAY_ENCRYPTION_KEY: KEY_B });
    try {
      expect(after.app.encryption).toMatchObject({ keyId: ID_B, reencrypted: 0, retiredKeyIds: [] });
      expect((await after.post(SECRETS, {}, plaintexts.sessionToken)).body.data).toEqual(readBefore);
      const jwt = await sharedSecretJwt(plaintexts.sharedSecrets[1], plaintexts.apiKeyId);
      expect((await after.post(VIEWER, {}, jwt)).body.data.viewer.role).toBe("ADMIN");
    } finally {
      await after.stop();
    }
    expect(await storedSecrets(url)).toEqual(storedAfter);

    // The old key alone no longer opens this database.
    await expect(openKeyway(url, { KEYWAY_ENCRYPTION_KEY: KEY_A })).rejects.toThrow(ConfigError);
  });
});

describe("databases of earlier versions", () => {
  it("have their plaintext secrets encrypted at the first start with a key, once", async () => {
    const url = await database();
    const first = await openKeyway(url, { KEYWAY_ENCRYPTION_KEY: KEY_A });
    let readBefore: any;
    let sessionToken: string;
    try {
      sessionToken = (await writeEverySecret(first.post, receiver, endpoint)).sessionToken;
      readBefore = (await first.post(SECRETS)).body.data;
    } finally {
      await first.stop();
    }
    // Back to what an earlier version stored: plaintext secrets, no encryption migration.
    const box = new SecretBox({ configured: parseEncryptionKeys("key", KEY_A), keyFile: "/nonexistent" });
    await withDatabase(url, async (client) => {
      for (const { table, id, column } of SEALED_COLUMNS) {
        for (const row of (await client.query(`SELECT ${id} AS id, ${column} AS value FROM ${table}`)).rows) {
          await client.query(`UPDATE ${table} SET ${column} = $2 WHERE ${id} = $1`, [
            row.id,
            box.open(row.value, `${table}.${column}` as any),
          ]);
        }
      }
      await client.query("DROP TABLE encryption_keys");
      await client.query("DELETE FROM keyway_migrations WHERE name = 'EncryptSecrets1763900005000'");
    });
    const plaintext = Object.values(await storedSecrets(url)).flat();
    expect(plaintext.filter((value) => value.startsWith("v1:"))).toEqual([]);

    const upgraded = await openKeyway(url, { KEYWAY_ENCRYPTION_KEY: KEY_A });
    try {
      expect(upgraded.app.encryption).toMatchObject({ keyId: ID_A, reencrypted: plaintext.length });
      expect((await upgraded.post(SECRETS, {}, sessionToken)).body.data).toEqual(readBefore);
    } finally {
      await upgraded.stop();
    }
    const encrypted = await storedSecrets(url);
    for (const value of Object.values(encrypted).flat()) expect(value).toMatch(ENVELOPE);
    for (const value of plaintext) expect(Object.values(encrypted).flat()).not.toContain(value);

    // Idempotent: a second start leaves the envelopes alone.
    const again = await openKeyway(url, { KEYWAY_ENCRYPTION_KEY: KEY_A });
    try {
      expect(again.app.encryption).toMatchObject({ reencrypted: 0 });
    } finally {
      await again.stop();
    }
    expect(await storedSecrets(url)).toEqual(encrypted);
  });
});

describe("Keyway's own log", () => {
  it("at LOG_LEVEL=trace holds no secret and no SQL parameter, also when a statement carrying one fails", async () => {
    const url = await database();
    const server = await serve(url, {
      KEYWAY_ENCRYPTION_KEY: KEY_A,
      KEYWAY_ADMIN_PASSWORD: ADMIN_PASSWORD,
      KEYWAY_ADMIN_EMAIL: ADMIN_EMAIL,
      LOG_LEVEL: "trace",
    });
    let plaintexts: Plaintexts;
    let log: string;
    try {
      const apiKey = /TEST API key:\s+(\S+)/.exec(server.output())![1];
      const post = poster(server.url, apiKey);
      plaintexts = await writeEverySecret(post, receiver, endpoint);
      // Statements that write a secret fail (a trigger refuses them): the errors are logged, their parameters must not be.
      await withDatabase(url, async (client) => {
        await client.query(
          `CREATE FUNCTION refuse_secret() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'refused'; END $$`,
        );
        await client.query("CREATE TRIGGER refuse BEFORE INSERT ON signing_keys FOR EACH ROW EXECUTE FUNCTION refuse_secret()");
        await client.query("CREATE TRIGGER refuse BEFORE INSERT ON shared_secrets FOR EACH ROW EXECUTE FUNCTION refuse_secret()");
      });
      const name = `r${++counter}`;
      const failedTarget = await post(ADD_TARGET, {
        input: { name: `Target ${name}`, uri: receiver.target(name), subscriptions: ["API_KEY_CREATED"] },
      });
      const failedRotation = await post(ROTATE_SHARED);
      for (const failed of [failedTarget, failedRotation]) expect(failed.body.errors[0].message).toBe("Internal server error");
    } finally {
      expect(await server.stop()).toBe(0);
      log = server.output();
    }
    const sessionSecret = await verifyWithOneOf(plaintexts.sessionToken, await sessionSecrets(url, KEY_A));

    // The log is there, at trace level, and it recorded the failures.
    const lines = log
      .split("\n")
      .filter((line) => line.startsWith("{"))
      .map((line) => JSON.parse(line));
    expect(lines.some((line) => line.level <= 20)).toBe(true);
    expect(lines.filter((line) => line.msg === "unexpected error")).toHaveLength(2);
    for (const secret of forms([...plaintexts.signingSecrets, ...plaintexts.sharedSecrets, sessionSecret, plaintexts.sessionToken])) {
      expect(log).not.toContain(secret);
    }
    expect(log).not.toMatch(/whsec_|kw_ss_|v1:[A-Za-z0-9_-]{8}:/);
    expect(log).not.toContain('"parameters":[');
  });
});
