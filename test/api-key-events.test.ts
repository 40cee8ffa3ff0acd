import { startTestServer, TestServer } from "./helpers/server";
import { createKey } from "./helpers/keys";
import { waitFor } from "./helpers/wait";
import { decodeId } from "../src/db/ids";

/** Events API keys write for notification targets: one per change, and the expiry sweep's. */
let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({ KEYWAY_EXPIRY_SWEEP_SECONDS: "1" });
});
afterAll(async () => {
  await server?.stop();
});

const EVENTS = `query($names: [NotificationEventName!]) { organizations { notificationEvents(first: 100, filterBy: { name: $names }) {
  edges { node { id name environment data } } } } }`;

async function eventsFor(keyId: string, names?: string[]) {
  const data = await server.admin.request<any>(EVENTS, { names });
  return data.organizations[0].notificationEvents.edges.map((e: any) => e.node).filter((event: any) => event.data.id === keyId);
}

it("writes one event per change, without the secret", async () => {
  const key = await createKey(server.admin, { name: "evented" });
  for (const mutation of ["updateAPIKey", "deactivateAPIKey", "activateAPIKey", "revokeAPIKey", "deleteAPIKey"]) {
    const extra = mutation === "updateAPIKey" ? ', description: "d"' : "";
    await server.admin.request(`mutation { ${mutation}(input: { apiKeyId: "${key.id}"${extra} }) { __typename } }`);
  }
  const names = (await eventsFor(key.id)).map((event: any) => event.name).reverse();
  expect(names).toEqual([
    "API_KEY_CREATED",
    "API_KEY_UPDATED",
    "API_KEY_DEACTIVATED",
    "API_KEY_ACTIVATED",
    "API_KEY_REVOKED",
    "API_KEY_DELETED",
  ]);
  const [created] = await eventsFor(key.id, ["API_KEY_CREATED"]);
  expect(created).toMatchObject({ environment: "TEST", data: { object: "api_key", id: key.id, name: "evented", status: "ACTIVE" } });
  expect(JSON.stringify(created)).not.toContain(key.key);
});

it("writes API_KEY_ROTATED for the successor", async () => {
  const key = await createKey(server.admin, { name: "rotated" });
  const data = await server.admin.request<any>(
    `mutation { rotateAPIKey(input: { apiKeyId: "${key.id}", expireOldKeyInSeconds: 60 }) { ... on APIKey { id } } }`,
  );
  const [rotated] = await eventsFor(data.rotateAPIKey.id, ["API_KEY_ROTATED"]);
  expect(rotated.data).toMatchObject({ rotatedFrom: key.id });
});

it("leaves one revocation and one event when two revokes race", async () => {
  const key = await createKey(server.admin, { name: "raced" });
  const revoke = `mutation { revokeAPIKey(input: { apiKeyId: "${key.id}" }) { __typename } }`;
  const results = await Promise.all([server.admin.request<any>(revoke), server.admin.request<any>(revoke)]);
  expect(results.map((r) => r.revokeAPIKey.__typename).sort()).toEqual(["APIKey", "UserError"]);
  expect(await eventsFor(key.id, ["API_KEY_REVOKED"])).toHaveLength(1);
});

/** Time passes for one key only: its expiry moves into the past, by the database clock the sweep compares with. */
async function expireNow(keyId: string): Promise<void> {
  await server.app.services.dataSource.query("UPDATE api_keys SET expires_at = now() - interval '1 second' WHERE id = $1", [
    decodeId("APIKey", keyId),
  ]);
}

const announced = async (keyId: string) =>
  (await eventsFor(keyId, ["API_KEY_EXPIRING_SOON", "API_KEY_EXPIRED"])).map((e: any) => e.name).reverse();

it("announces API_KEY_EXPIRING_SOON once, then API_KEY_EXPIRED once", async () => {
  const key = await createKey(server.admin, { name: "short-lived", expiresAt: new Date(Date.now() + 86_400_000).toISOString() });
  const later = await createKey(server.admin, { name: "far-off", expiresAt: new Date(Date.now() + 30 * 86_400_000).toISOString() });
  await waitFor(async () => ((await announced(key.id)).length === 1 ? true : undefined), undefined, "API_KEY_EXPIRING_SOON");
  await expireNow(key.id);
  await waitFor(async () => ((await announced(key.id)).length === 2 ? true : undefined), undefined, "API_KEY_EXPIRED");
  // Sweeps that start after that announcement: each announces a marker key created after it, and would
  // announce the first key again if it forgot that it did.
  for (const name of ["marker 1", "marker 2"]) {
    const marker = await createKey(server.admin, { name, expiresAt: new Date(Date.now() + 86_400_000).toISOString() });
    await waitFor(async () => ((await announced(marker.id)).length ? true : undefined), undefined, `the warning for ${name}`);
  }
  expect(await announced(key.id)).toEqual(["API_KEY_EXPIRING_SOON", "API_KEY_EXPIRED"]);
  expect(await announced(later.id)).toEqual([]);
});

it("announces a new expiry afresh after updateAPIKey changes it", async () => {
  const key = await createKey(server.admin, { name: "extended", expiresAt: new Date(Date.now() + 86_400_000).toISOString() });
  await waitFor(async () => ((await eventsFor(key.id, ["API_KEY_EXPIRING_SOON"])).length ? true : undefined), 8000, "first warning");
  await server.admin.request(`mutation($at: DateTime) { updateAPIKey(input: { apiKeyId: "${key.id}", expiresAt: $at }) { __typename } }`, {
    at: new Date(Date.now() + 2 * 86_400_000).toISOString(),
  });
  await waitFor(async () => ((await eventsFor(key.id, ["API_KEY_EXPIRING_SOON"])).length === 2 ? true : undefined), 8000, "second warning");
});
