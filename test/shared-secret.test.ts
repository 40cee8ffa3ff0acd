import { SignJWT } from "jose";
import { sharedSecretJwt as jwt } from "./helpers/keys";
import { startTestServer, TestServer } from "./helpers/server";
import { APIKeyRole, Environment, UserRole } from "../src/entities/enums";
import { decodeId, encodeId } from "../src/db/ids";
import { bearerHeaders, createUser, loginAdmin, post } from "./helpers/users";

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server?.stop();
});

const SECRET = "{ organizations { sharedSecret { id secret createdAt previousSecretExpiresAt } } }";
const ROTATE = `mutation { rotateSharedSecret { __typename ... on SharedSecret { id secret createdAt previousSecretExpiresAt }
  ... on UserError { errors { code } } ... on AccessDeniedError { message } } }`;
const VIEWER = "{ viewer { environment role actor { __typename ... on APIKey { id } } } }";
const CREATE_KEY = `mutation { createSecretAPIKey(input: { secretKey: { name: "via-jwt-${Date.now()}" } }) { __typename } }`;

/** The id of an API key, read the way an integration would: through the API. */
async function keyIdOf(key: string): Promise<string> {
  const result = await post(server, VIEWER, {}, bearerHeaders(key));
  return result.body.data.viewer.actor.id;
}

describe("shared secret", () => {
  it("is created on first read, stays the same on later reads, and is visible to ADMIN only", async () => {
    const first = await server.admin.request<any>(SECRET);
    const secret = first.organizations[0].sharedSecret;
    expect(secret.id).toMatch(/^ss_/);
    expect(secret.secret).toMatch(/^kw_ss_[A-Za-z0-9_-]{43}$/);
    expect(secret.previousSecretExpiresAt).toBeNull();
    expect((await server.admin.request<any>(SECRET)).organizations[0].sharedSecret).toEqual(secret);

    const admin = await loginAdmin(server);
    expect((await post(server, SECRET, {}, bearerHeaders(admin))).body.data.organizations[0].sharedSecret.secret).toBe(secret.secret);
    for (const credential of [
      await server.issueKey(APIKeyRole.READONLY),
      (await createUser(server, UserRole.DEVELOPER)).token,
      (await createUser(server, UserRole.SUPPORT)).token,
    ]) {
      const denied = await post(server, SECRET, {}, bearerHeaders(credential));
      expect(denied.body.errors[0]).toMatchObject({ extensions: { code: "FORBIDDEN" }, path: ["organizations", 0, "sharedSecret"] });
      expect(denied.body.data.organizations[0].sharedSecret).toBeNull();
    }
  });

  it("differs per environment", async () => {
    const test = (await server.admin.request<any>(SECRET)).organizations[0].sharedSecret.secret;
    const liveKey = await server.issueKey(APIKeyRole.ADMIN, Environment.LIVE);
    const live = (await server.client(liveKey).request<any>(SECRET)).organizations[0].sharedSecret.secret;
    expect(live).not.toBe(test);
  });

  it("authenticates a JWT whose sub is an API key id, with that key's role", async () => {
    const secret = (await server.admin.request<any>(SECRET)).organizations[0].sharedSecret.secret;
    const readonlyKey = await server.issueKey(APIKeyRole.READONLY);
    const readonlyId = await keyIdOf(readonlyKey);
    const token = await jwt(secret, readonlyId);
    const viewer = await post(server, VIEWER, {}, bearerHeaders(token));
    expect(viewer.body.data.viewer).toEqual({ environment: "TEST", role: "READONLY", actor: { __typename: "APIKey", id: readonlyId } });
    const denied = await post(server, CREATE_KEY, {}, bearerHeaders(token));
    expect(denied.body.data.createSecretAPIKey.__typename).toBe("AccessDeniedError");

    const adminToken = await jwt(secret, await keyIdOf(server.adminKey));
    const created = await post(server, CREATE_KEY, {}, bearerHeaders(adminToken));
    expect(created.body.data.createSecretAPIKey.__typename).toBe("APIKey");
  });

  it("refuses other secrets, long lifetimes, expired tokens, unknown keys and keys of the other environment", async () => {
    const secret = (await server.admin.request<any>(SECRET)).organizations[0].sharedSecret.secret;
    const keyId = await keyIdOf(server.adminKey);
    const liveKey = await server.issueKey(APIKeyRole.ADMIN, Environment.LIVE);
    const refusals = [
      await jwt("another-secret-of-enough-length-123", keyId),
      await jwt(secret, keyId, 2 * 3600),
      await jwt(secret, keyId, 60, 600),
      await jwt(secret, encodeId("APIKey", "00000000-0000-4000-8000-000000000000")),
      await jwt(secret, await keyIdOf(liveKey)),
      await new SignJWT({}).setProtectedHeader({ alg: "HS256" }).setSubject(keyId).sign(new TextEncoder().encode(secret)),
    ];
    for (const token of refusals) {
      const result = await post(server, VIEWER, {}, bearerHeaders(token));
      expect(result.status).toBe(401);
      expect(result.body.errors[0].extensions.code).toBe("UNAUTHENTICATED");
    }
    const mismatch = await post(server, VIEWER, {}, bearerHeaders(await jwt(secret, keyId), Environment.LIVE));
    expect(mismatch.status).toBe(400);
    expect(mismatch.body.errors[0].extensions.code).toBe("ENVIRONMENT_MISMATCH");
  });

  it("refuses a JWT naming a revoked key with the key's reason", async () => {
    const secret = (await server.admin.request<any>(SECRET)).organizations[0].sharedSecret.secret;
    const key = await server.issueKey(APIKeyRole.READONLY);
    const keyId = await keyIdOf(key);
    await server.admin.request(`mutation($id: ID!) { revokeAPIKey(input: { apiKeyId: $id }) { __typename } }`, { id: keyId });
    const result = await post(server, VIEWER, {}, bearerHeaders(await jwt(secret, keyId)));
    expect(result.status).toBe(401);
    expect(result.body.errors[0].extensions.reason).toBe("REVOKED");
  });

  it("rotateSharedSecret replaces it; the previous one keeps working for 24 hours", async () => {
    const before = (await server.admin.request<any>(SECRET)).organizations[0].sharedSecret;
    const rotated = (await server.admin.request<any>(ROTATE)).rotateSharedSecret;
    expect(rotated.__typename).toBe("SharedSecret");
    expect(rotated.secret).not.toBe(before.secret);
    expect(rotated.id).not.toBe(before.id);
    const grace = Date.parse(rotated.previousSecretExpiresAt) - Date.now();
    expect(grace).toBeGreaterThan(24 * 3_600_000 - 60_000);
    expect(grace).toBeLessThanOrEqual(24 * 3_600_000);
    const { __typename, ...current } = rotated;
    expect((await server.admin.request<any>(SECRET)).organizations[0].sharedSecret).toEqual(current);

    const keyId = await keyIdOf(server.adminKey);
    for (const secret of [before.secret, rotated.secret]) {
      expect((await post(server, VIEWER, {}, bearerHeaders(await jwt(secret, keyId)))).status).toBe(200);
    }
    // Once the grace period is over, the old secret is refused.
    await server.app.services.dataSource.query("UPDATE shared_secrets SET expires_at = now() WHERE id = $1", [
      decodeId("SharedSecret", before.id),
    ]);
    expect((await post(server, VIEWER, {}, bearerHeaders(await jwt(before.secret, keyId)))).status).toBe(401);
    expect((await server.admin.request<any>(SECRET)).organizations[0].sharedSecret.previousSecretExpiresAt).toBeNull();

    const audit = await server.admin.request<any>(
      `{ organizations { auditLog(first: 1, filterBy: { action: "shared_secret.rotate" }) { edges { node { targetId } } } } }`,
    );
    expect(audit.organizations[0].auditLog.edges[0].node.targetId).toBe(rotated.id);
  });

  it("rotateSharedSecret is denied to everyone without secret:write", async () => {
    for (const credential of [
      await server.issueKey(APIKeyRole.READONLY),
      (await createUser(server, UserRole.DEVELOPER)).token,
      (await createUser(server, UserRole.SUPPORT)).token,
    ]) {
      const before = (await server.admin.request<any>(SECRET)).organizations[0].sharedSecret.secret;
      const denied = await post(server, ROTATE, {}, bearerHeaders(credential));
      expect(denied.body.data.rotateSharedSecret.__typename).toBe("AccessDeniedError");
      expect((await server.admin.request<any>(SECRET)).organizations[0].sharedSecret.secret).toBe(before);
    }
  });
});
