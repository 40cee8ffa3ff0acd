import { UserRole } from "../src/entities/enums";
import { callWith, createKey, KEY_FIELDS, restrictedKey, updateKey, windowSecondsWithTimeLeft } from "./helpers/api-key-controls";
import { sharedSecretJwt } from "./helpers/keys";
import { bearer, startTestServer, TestServer } from "./helpers/server";
import { createUser } from "./helpers/users";
import { waitFor } from "./helpers/wait";

/** API key controls in one process: RESTRICTED keys, allowlists, rate limits, metadata, daily usage. */
let server: TestServer;

beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server?.stop();
});

const unique = (label: string) => `${label} ${Math.random().toString(36).slice(2, 8)}`;

async function keyById(id: string, extra = "") {
  const data = await server.admin.request<any>(`query($id: ID!) { node(id: $id) { ... on APIKey { ${KEY_FIELDS} ${extra} } } }`, { id });
  return data.node;
}

function errorsOf(payload: any) {
  expect(payload.__typename).toBe("UserError");
  return payload.errors.map((e: any) => ({ code: e.code, errorPath: e.errorPath }));
}

describe("RESTRICTED keys", () => {
  it("hold exactly the permissions given, in the permission list's order, and every key lists its own", async () => {
    const created = await createKey(server, server.adminKey, {
      name: unique("events reader"),
      role: "RESTRICTED",
      permissions: ["events:read", "keys:read", "events:read"],
    });
    expect(created).toMatchObject({ __typename: "APIKey", role: "RESTRICTED", permissions: ["keys:read", "events:read"] });
    const viewer = await callWith(server, created.key);
    expect(viewer.body.data.viewer).toEqual({ role: "RESTRICTED", permissions: ["events:read", "keys:read"] });

    const readonly = await createKey(server, server.adminKey, { name: unique("reader"), role: "READONLY" });
    expect(readonly.permissions).toEqual(["keys:read", "users:read", "targets:read", "events:read", "collab:read", "audit:read"]);
    const admin = await createKey(server, server.adminKey, { name: unique("admin"), role: "ADMIN" });
    expect(admin.permissions).toHaveLength(14);
  });

  it("reads what its permissions allow and is refused the rest", async () => {
    const key = await restrictedKey(server, ["events:read"]);
    const events = await server.post(`{ organizations { notificationEvents(first: 1) { totalCount } } }`, {}, bearer(key.key));
    expect(events.body.data.organizations[0].notificationEvents.totalCount).toBeGreaterThan(0);
    const keys = await server.post(`{ organizations { apiKeys(first: 1) { totalCount } } }`, {}, bearer(key.key));
    expect(keys.body.errors).toEqual([
      expect.objectContaining({ path: ["organizations", 0, "apiKeys"], extensions: { code: "FORBIDDEN" } }),
    ]);
    const denied = await createKey(server, key.key, { name: unique("nope") });
    expect(denied).toEqual({ __typename: "AccessDeniedError", message: expect.stringContaining("lacks the permission") });
  });

  it("refuses bad permission lists with INVALID_INPUT at the field or the element, creating nothing", async () => {
    const name = unique("bad permissions");
    expect(errorsOf(await createKey(server, server.adminKey, { name, role: "RESTRICTED" }))).toEqual([
      { code: "INVALID_INPUT", errorPath: ["input", "secretKey", "permissions"] },
    ]);
    expect(errorsOf(await createKey(server, server.adminKey, { name, role: "RESTRICTED", permissions: [] }))).toEqual([
      { code: "INVALID_INPUT", errorPath: ["input", "secretKey", "permissions"] },
    ]);
    expect(
      errorsOf(await createKey(server, server.adminKey, { name, role: "RESTRICTED", permissions: ["keys:read", "keys:admin"] })),
    ).toEqual([{ code: "INVALID_INPUT", errorPath: ["input", "secretKey", "permissions", "1"] }]);
    expect(errorsOf(await createKey(server, server.adminKey, { name, role: "READONLY", permissions: ["keys:read"] }))).toEqual([
      { code: "INVALID_INPUT", errorPath: ["input", "secretKey", "permissions"] },
    ]);
    expect(errorsOf(await createKey(server, server.adminKey, { name, permissions: ["keys:read"] }))).toEqual([
      { code: "INVALID_INPUT", errorPath: ["input", "secretKey", "permissions"] },
    ]);
    // Nothing was created under that name.
    expect((await createKey(server, server.adminKey, { name })).__typename).toBe("APIKey");
  });

  it("never grants more than the creator holds", async () => {
    const manager = await restrictedKey(server, ["keys:read", "keys:write"]);
    const wider = await createKey(server, manager.key, {
      name: unique("wider"),
      role: "RESTRICTED",
      permissions: ["keys:write", "events:read"],
    });
    expect(wider).toEqual({ __typename: "AccessDeniedError", message: expect.stringContaining("permissions you do not have") });
    expect((await createKey(server, manager.key, { name: unique("readonly") })).__typename).toBe("AccessDeniedError");
    const narrower = await createKey(server, manager.key, { name: unique("narrower"), role: "RESTRICTED", permissions: ["keys:read"] });
    expect(narrower).toMatchObject({ __typename: "APIKey", permissions: ["keys:read"] });
    // Nor through rotation or update of a key that holds more.
    const strong = await restrictedKey(server, ["keys:read", "secret:read"]);
    const rotate = await server.post(
      `mutation($id: ID!) { rotateAPIKey(input: { apiKeyId: $id }) { __typename } }`,
      { id: strong.id },
      bearer(manager.key),
    );
    expect(rotate.body.data.rotateAPIKey.__typename).toBe("AccessDeniedError");
    expect((await updateKey(server, manager.key, { apiKeyId: strong.id, name: unique("renamed") })).__typename).toBe("AccessDeniedError");
    expect((await updateKey(server, manager.key, { apiKeyId: narrower.id, permissions: ["keys:read", "audit:read"] })).__typename).toBe(
      "AccessDeniedError",
    );
    expect((await updateKey(server, manager.key, { apiKeyId: narrower.id, permissions: ["keys:write"] })).permissions).toEqual([
      "keys:write",
    ]);
  });

  it("is created by users whose role holds the permissions: DEVELOPER yes (not secret:*), SUPPORT and READONLY keys not at all", async () => {
    const developer = await createUser(server, UserRole.DEVELOPER);
    const support = await createUser(server, UserRole.SUPPORT);
    const readonlyKey = await server.issueKey("READONLY" as any);
    const ok = await createKey(server, developer.token, {
      name: unique("dev"),
      role: "RESTRICTED",
      permissions: ["events:replay", "keys:write"],
    });
    expect(ok).toMatchObject({ __typename: "APIKey", permissions: ["keys:write", "events:replay"] });
    const secret = await createKey(server, developer.token, {
      name: unique("dev secret"),
      role: "RESTRICTED",
      permissions: ["secret:read"],
    });
    expect(secret.__typename).toBe("AccessDeniedError");
    const changed = await updateKey(server, developer.token, {
      apiKeyId: ok.id,
      allowedIps: ["10.0.0.0/8"],
      rateLimit: { limit: 5, windowSeconds: 5 },
      metadata: { by: "developer" },
    });
    expect(changed).toMatchObject({
      __typename: "APIKey",
      allowedIps: ["10.0.0.0/8"],
      rateLimit: { limit: 5, windowSeconds: 5 },
      metadata: { by: "developer" },
    });
    for (const credential of [support.token, readonlyKey]) {
      const refused = await createKey(server, credential, { name: unique("refused"), role: "RESTRICTED", permissions: ["keys:read"] });
      expect(refused).toEqual({ __typename: "AccessDeniedError", message: expect.stringContaining("lacks the permission") });
      expect((await updateKey(server, credential, { apiKeyId: ok.id, allowedIps: ["10.0.0.0/8"] })).__typename).toBe("AccessDeniedError");
    }
  });

  it("changes permissions and role on update, effective on the key's next request", async () => {
    const key = await restrictedKey(server, ["events:read"]);
    const apiKeys = `{ organizations { apiKeys(first: 1) { totalCount } } }`;
    expect((await server.post(apiKeys, {}, bearer(key.key))).body.errors?.[0].extensions?.code).toBe("FORBIDDEN");
    expect((await updateKey(server, server.adminKey, { apiKeyId: key.id, permissions: ["keys:read"] })).permissions).toEqual(["keys:read"]);
    expect((await server.post(apiKeys, {}, bearer(key.key))).body.errors).toBeUndefined();

    expect(errorsOf(await updateKey(server, server.adminKey, { apiKeyId: key.id, permissions: ["keys:read", "nope"] }))).toEqual([
      { code: "INVALID_INPUT", errorPath: ["input", "permissions", "1"] },
    ]);
    const readonly = await updateKey(server, server.adminKey, { apiKeyId: key.id, role: "READONLY" });
    expect(readonly).toMatchObject({ role: "READONLY", permissions: expect.arrayContaining(["audit:read", "users:read"]) });
    expect(errorsOf(await updateKey(server, server.adminKey, { apiKeyId: key.id, permissions: ["keys:read"] }))).toEqual([
      { code: "INVALID_INPUT", errorPath: ["input", "permissions"] },
    ]);
    expect(errorsOf(await updateKey(server, server.adminKey, { apiKeyId: key.id, role: "RESTRICTED" }))).toEqual([
      { code: "INVALID_INPUT", errorPath: ["input", "permissions"] },
    ]);
    const back = await updateKey(server, server.adminKey, { apiKeyId: key.id, role: "RESTRICTED", permissions: ["audit:read"] });
    expect(back).toMatchObject({ role: "RESTRICTED", permissions: ["audit:read"] });
    expect((await callWith(server, key.key)).body.data.viewer.permissions).toEqual(["audit:read"]);
  });

  it("answers NOT_FOUND for a key of another environment or organization, whatever the new fields", async () => {
    const liveKey = await server.issueKey("ADMIN" as any, "LIVE" as any);
    const live = await createKey(server, liveKey, { name: unique("live"), role: "RESTRICTED", permissions: ["keys:read"] });
    const other = await server.otherOrganization();
    const foreign = await createKey(server, other.testKey, { name: unique("foreign"), role: "RESTRICTED", permissions: ["keys:read"] });
    for (const id of [live.id, foreign.id]) {
      for (const change of [
        { permissions: ["events:read"] },
        { allowedIps: ["10.0.0.0/8"] },
        { rateLimit: { limit: 1, windowSeconds: 1 } },
        { metadata: { a: 1 } },
      ]) {
        expect(errorsOf(await updateKey(server, server.adminKey, { apiKeyId: id, ...change }))).toEqual([
          { code: "NOT_FOUND", errorPath: ["input", "apiKeyId"] },
        ]);
      }
    }
    expect(await keyById(live.id)).toBeNull();
  });
});

describe("nested fields honour the permissions too", () => {
  it("a key without keys:read still reads itself as the viewer, but not the keys it links to", async () => {
    const key = await restrictedKey(server, ["events:read"]);
    const own = await server.post(`{ viewer { actor { ... on APIKey { id name permissions } } } }`, {}, bearer(key.key));
    expect(own.body).toEqual({ data: { viewer: { actor: { id: key.id, name: expect.any(String), permissions: ["events:read"] } } } });
    for (const field of ["rotatedFrom { id }", "usage(days: 1) { requestCount }", "createdBy { __typename }"]) {
      const linked = await server.post(`{ viewer { actor { ... on APIKey { ${field} } } } }`, {}, bearer(key.key));
      expect(linked.body.errors).toEqual([
        expect.objectContaining({ path: ["viewer", "actor", field.split(/[ (]/)[0]], extensions: { code: "FORBIDDEN" } }),
      ]);
    }
  });
});

describe("linked objects take their own permission", () => {
  it("a simulation's endpoint needs collab:read; a delivery attempt's target targets:read and its event events:read", async () => {
    const simulator = await restrictedKey(server, ["collab:simulate"]);
    const simulated = await server.post(
      `mutation { simulateCollaborativeAuthorization(input: { amount: 5, currencyCode: "USD" }) {
      ... on CollaborativeAuthorizationRequest { id endpoint { id } } } }`,
      {},
      bearer(simulator.key),
    );
    expect(simulated.body.errors).toEqual([
      expect.objectContaining({ path: ["simulateCollaborativeAuthorization", "endpoint"], extensions: { code: "FORBIDDEN" } }),
    ]);

    await server.admin
      .request(`mutation { addWebhookNotificationTarget(input: { name: "${unique("attempted")}", uri: "http://127.0.0.1:9/refused",
      subscriptions: [API_KEY_CREATED] }) { __typename } }`);
    const attempts = `{ organizations { notificationEvents(first: 5, filterBy: { name: [NOTIFICATION_ACTIVATION] }) { edges { node {
      deliveryAttempts(first: 1) { edges { node { id SELECTION } } } } } } } }`;
    await waitFor(
      async () => {
        const data = await server.admin.request<any>(attempts.replace("SELECTION", ""));
        return data.organizations[0].notificationEvents.edges.some((e: any) => e.node.deliveryAttempts.edges.length > 0) ? true : undefined;
      },
      10_000,
      "an activation attempt",
    );
    const reader = await restrictedKey(server, ["events:read"]);
    const eventSide = await server.post(attempts.replace("SELECTION", "event { id }"), {}, bearer(reader.key));
    expect(eventSide.body.errors).toBeUndefined();
    const targetSide = await server.post(attempts.replace("SELECTION", "target { id }"), {}, bearer(reader.key));
    expect(targetSide.body.errors?.[0]).toMatchObject({ extensions: { code: "FORBIDDEN" }, message: "Missing permission: targets:read" });
    const targetReader = await restrictedKey(server, ["targets:read"]);
    const fromTarget = await server.post(
      `{ organizations { webhookNotificationTargets(first: 5) { edges { node { deliveryAttempts(first: 1) {
      edges { node { target { id } event { id } } } } } } } } }`,
      {},
      bearer(targetReader.key),
    );
    expect(fromTarget.body.errors?.[0]).toMatchObject({ extensions: { code: "FORBIDDEN" }, message: "Missing permission: events:read" });
  });
});

describe("IP allowlists", () => {
  it("stores addresses and ranges in canonical form", async () => {
    const created = await createKey(server, server.adminKey, {
      name: unique("allowlisted"),
      allowedIps: [" 10.1.2.3/8", "2001:DB8:0:0::1/32", "::ffff:127.0.0.1", "::ffff:192.168.0.0/112", "203.0.113.7", "10.0.0.0/8"],
    });
    expect(created.allowedIps).toEqual(["10.0.0.0/8", "2001:db8::/32", "127.0.0.1", "192.168.0.0/16", "203.0.113.7"]);
  });

  it.each([
    ["10.0.0.0/33", ["input", "secretKey", "allowedIps", "1"]],
    ["not-an-ip", ["input", "secretKey", "allowedIps", "1"]],
    ["10", ["input", "secretKey", "allowedIps", "1"]],
    ["2001:db8::/129", ["input", "secretKey", "allowedIps", "1"]],
    ["fe80::1%eth0", ["input", "secretKey", "allowedIps", "1"]],
  ])("refuses %j with INVALID_INPUT at its index", async (entry, errorPath) => {
    const payload = await createKey(server, server.adminKey, { name: unique("bad ip"), allowedIps: ["127.0.0.1", entry] });
    expect(errorsOf(payload)).toEqual([{ code: "INVALID_INPUT", errorPath }]);
    const key = await restrictedKey(server, ["keys:read"], { allowedIps: ["127.0.0.1"] });
    expect(errorsOf(await updateKey(server, server.adminKey, { apiKeyId: key.id, allowedIps: [entry] }))).toEqual([
      { code: "INVALID_INPUT", errorPath: ["input", "allowedIps", "0"] },
    ]);
    expect((await keyById(key.id)).allowedIps).toEqual(["127.0.0.1"]);
  });

  it("accepts at most 50 entries", async () => {
    const many = Array.from({ length: 51 }, (_, i) => `10.0.0.${i}`);
    expect(errorsOf(await createKey(server, server.adminKey, { name: unique("many"), allowedIps: many }))).toEqual([
      { code: "INVALID_INPUT", errorPath: ["input", "secretKey", "allowedIps"] },
    ]);
    expect((await createKey(server, server.adminKey, { name: unique("fifty"), allowedIps: many.slice(0, 50) })).allowedIps).toHaveLength(
      50,
    );
  });

  it("refuses requests from other addresses with 401 IP_NOT_ALLOWED, ignoring X-Forwarded-For from an untrusted peer", async () => {
    const elsewhere = await createKey(server, server.adminKey, { name: unique("elsewhere"), allowedIps: ["10.0.0.0/8", "2001:db8::/32"] });
    const attempts: Array<Record<string, string>> = [{}, { "x-forwarded-for": "10.1.2.3" }];
    for (const headers of attempts) {
      const refused = await callWith(server, elsewhere.key, headers);
      expect(refused.status).toBe(401);
      expect(refused.body.errors[0].extensions).toMatchObject({ code: "UNAUTHENTICATED", reason: "IP_NOT_ALLOWED" });
      expect(refused.body.errors[0].message).toContain("127.0.0.1");
    }
    const local = await createKey(server, server.adminKey, { name: unique("local"), allowedIps: ["127.0.0.0/8"] });
    expect((await callWith(server, local.key, { "x-forwarded-for": "192.0.2.1" })).status).toBe(200);
    // A refused request is not usage.
    await waitFor(async () => ((await keyById(local.id)).usageCount === 1 ? true : undefined), 3000, "usage of the admitted request");
    expect((await keyById(elsewhere.id)).usageCount).toBe(0);

    // Cleared: any address again.
    expect((await updateKey(server, server.adminKey, { apiKeyId: elsewhere.id, allowedIps: null })).allowedIps).toEqual([]);
    expect((await callWith(server, elsewhere.key)).status).toBe(200);
  });

  it("follows KEYWAY_TRUST_PROXY: the forwarded address decides, IPv6 and IPv4-mapped IPv6 included", async () => {
    const proxied = await startTestServer({ KEYWAY_TRUST_PROXY: "loopback" });
    try {
      const create = (allowedIps: string[]) => createKey(proxied, proxied.adminKey, { name: unique("proxied"), allowedIps });
      const v4 = await create(["10.0.0.0/8"]);
      const v6 = await create(["2001:db8::/32"]);
      const loopback = await create(["127.0.0.0/8"]);
      const cases: Array<[string, string, number]> = [
        [v4.key, "10.20.30.40", 200],
        [v4.key, "192.0.2.1", 401],
        [v4.key, "::ffff:10.9.9.9", 200],
        [v4.key, "2001:db8::5", 401],
        [v6.key, "2001:db8::5", 200],
        [v6.key, "2001:db9::5", 401],
        [v6.key, "10.20.30.40", 401],
        [loopback.key, "::ffff:127.0.0.1", 200],
        [loopback.key, "127.1.2.3", 200],
        [loopback.key, "::1", 401],
        // The rightmost untrusted hop counts: a client cannot prepend its own choice.
        [v4.key, "10.1.1.1, 192.0.2.1", 401],
        [v4.key, "192.0.2.1, 10.1.1.1", 200],
      ];
      for (const [key, forwarded, status] of cases) {
        const result = await callWith(proxied, key, { "x-forwarded-for": forwarded });
        expect({ forwarded, status: result.status, reason: result.body.errors?.[0]?.extensions?.reason }).toEqual({
          forwarded,
          status,
          reason: status === 401 ? "IP_NOT_ALLOWED" : undefined,
        });
      }
    } finally {
      await proxied.stop();
    }
  });
});

describe("shared-secret JWTs act as their key", () => {
  it("with the key's permissions, allowlist and rate limit", async () => {
    const data = await server.admin.request<any>("{ organizations { sharedSecret { secret } } }");
    const tokenFor = (keyId: string) => sharedSecretJwt(data.organizations[0].sharedSecret.secret, keyId);
    const restricted = await restrictedKey(server, ["audit:read"]);
    expect((await callWith(server, await tokenFor(restricted.id))).body.data.viewer).toEqual({
      role: "RESTRICTED",
      permissions: ["audit:read"],
    });

    const fenced = await restrictedKey(server, ["audit:read"], { allowedIps: ["10.0.0.0/8"] });
    const refused = await callWith(server, await tokenFor(fenced.id));
    expect([refused.status, refused.body.errors?.[0].extensions.reason]).toEqual([401, "IP_NOT_ALLOWED"]);

    const limited = await restrictedKey(server, ["audit:read"], { rateLimit: { limit: 2, windowSeconds: windowSecondsWithTimeLeft() } });
    // The key and its JWTs share one limit.
    expect((await callWith(server, limited.key)).status).toBe(200);
    expect((await callWith(server, await tokenFor(limited.id))).status).toBe(200);
    expect((await callWith(server, await tokenFor(limited.id))).status).toBe(429);
    expect((await callWith(server, limited.key)).status).toBe(429);
  });
});

describe("rate limits", () => {
  it("answer 429 RATE_LIMITED with Retry-After past the limit, and count only admitted requests", async () => {
    const windowSeconds = windowSecondsWithTimeLeft();
    const key = await createKey(server, server.adminKey, { name: unique("limited"), rateLimit: { limit: 3, windowSeconds } });
    expect(key.rateLimit).toEqual({ limit: 3, windowSeconds });
    for (let i = 0; i < 3; i++) expect((await callWith(server, key.key)).status).toBe(200);
    const response = await fetch(server.url, {
      method: "POST",
      headers: { "content-type": "application/json", ...bearer(key.key) },
      body: JSON.stringify({ query: "{ viewer { role } }" }),
    });
    expect(response.status).toBe(429);
    const retryAfter = Number(response.headers.get("retry-after"));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(windowSeconds);
    const body: any = await response.json();
    expect(body.errors[0].extensions).toMatchObject({ code: "RATE_LIMITED", retryAfterSeconds: retryAfter });
    await waitFor(async () => ((await keyById(key.id)).usageCount === 3 ? true : undefined), 3000, "usage of 3");

    // Lifted: admitted again at once.
    expect((await updateKey(server, server.adminKey, { apiKeyId: key.id, rateLimit: null })).rateLimit).toBeNull();
    expect((await callWith(server, key.key)).status).toBe(200);
  });

  it("admit again when the window ends", async () => {
    const key = await createKey(server, server.adminKey, { name: unique("per second"), rateLimit: { limit: 2, windowSeconds: 1 } });
    // Within one window (the first request may fall at its very end, so look for the refusal).
    const statuses: number[] = [];
    while (!statuses.includes(429) && statuses.length < 10) statuses.push((await callWith(server, key.key)).status);
    expect(statuses).toContain(429);
    await waitFor(async () => ((await callWith(server, key.key)).status === 200 ? true : undefined), 3000, "the next window");
  });

  it.each([
    [{ limit: 0, windowSeconds: 60 }, "limit"],
    [{ limit: 1_000_001, windowSeconds: 60 }, "limit"],
    [{ limit: 10, windowSeconds: 0 }, "windowSeconds"],
    [{ limit: 10, windowSeconds: 86_401 }, "windowSeconds"],
  ])("refuses %j with INVALID_INPUT", async (rateLimit, field) => {
    expect(errorsOf(await createKey(server, server.adminKey, { name: unique("bad limit"), rateLimit }))).toEqual([
      { code: "INVALID_INPUT", errorPath: ["input", "secretKey", "rateLimit", field] },
    ]);
    const key = await restrictedKey(server, ["keys:read"]);
    expect(errorsOf(await updateKey(server, server.adminKey, { apiKeyId: key.id, rateLimit }))).toEqual([
      { code: "INVALID_INPUT", errorPath: ["input", "rateLimit", field] },
    ]);
  });

  it("accepts the bounds", async () => {
    const low = await createKey(server, server.adminKey, { name: unique("low"), rateLimit: { limit: 1, windowSeconds: 1 } });
    const high = await createKey(server, server.adminKey, { name: unique("high"), rateLimit: { limit: 1_000_000, windowSeconds: 86_400 } });
    expect([low.rateLimit, high.rateLimit]).toEqual([
      { limit: 1, windowSeconds: 1 },
      { limit: 1_000_000, windowSeconds: 86_400 },
    ]);
  });
});

describe("metadata", () => {
  it("is returned exactly as given, key order included", async () => {
    const metadata = { zeta: 1, alpha: { nested: [1, "two", null, true, 2.5] }, ü: "✓", empty: {} };
    const created = await createKey(server, server.adminKey, { name: unique("tagged"), metadata });
    expect(JSON.stringify(created.metadata)).toBe(JSON.stringify(metadata));
    expect(JSON.stringify((await keyById(created.id)).metadata)).toBe(JSON.stringify(metadata));
    const changed = await updateKey(server, server.adminKey, { apiKeyId: created.id, metadata: { b: 2, a: 1 } });
    expect(JSON.stringify(changed.metadata)).toBe('{"b":2,"a":1}');
    expect((await updateKey(server, server.adminKey, { apiKeyId: created.id, name: unique("renamed") })).metadata).toEqual({ b: 2, a: 1 });
    expect((await updateKey(server, server.adminKey, { apiKeyId: created.id, metadata: null })).metadata).toBeNull();
  });

  it("is at most 4 KB serialized", async () => {
    const fits = { note: "x".repeat(4096 - '{"note":""}'.length) };
    expect((await createKey(server, server.adminKey, { name: unique("fits"), metadata: fits })).__typename).toBe("APIKey");
    const tooBig = { note: "x".repeat(4097 - '{"note":""}'.length) };
    expect(errorsOf(await createKey(server, server.adminKey, { name: unique("too big"), metadata: tooBig }))).toEqual([
      { code: "INVALID_INPUT", errorPath: ["input", "secretKey", "metadata"] },
    ]);
    const key = await restrictedKey(server, ["keys:read"]);
    expect(errorsOf(await updateKey(server, server.adminKey, { apiKeyId: key.id, metadata: tooBig }))).toEqual([
      { code: "INVALID_INPUT", errorPath: ["input", "metadata"] },
    ]);
  });

  it("must be an object (400 BAD_USER_INPUT otherwise)", async () => {
    const result: any = await server.post(
      `mutation($input: CreateSecretAPIKeyInput!) { createSecretAPIKey(input: $input) { __typename } }`,
      {
        input: { secretKey: { name: unique("list"), metadata: [1, 2] } },
      },
      bearer(server.adminKey),
    );
    expect(result.status).toBe(400);
    expect(result.body.errors[0].extensions.code).toBe("BAD_USER_INPUT");
  });
});

describe("daily usage", () => {
  it("has one entry per UTC day, zero days included, adding up to usageCount", async () => {
    const key = await restrictedKey(server, ["events:read"]);
    for (let i = 0; i < 4; i++) expect((await callWith(server, key.key)).status).toBe(200);
    const read = await waitFor(
      async () => {
        const node = await keyById(key.id, "week: usage(days: 7) { date requestCount } month: usage { date }");
        return node.usageCount === 4 ? node : undefined;
      },
      3000,
      "usage of 4",
    );
    const today = new Date().toISOString().slice(0, 10);
    expect(read.week).toHaveLength(7);
    expect(read.week.at(-1)).toEqual({ date: today, requestCount: 4 });
    expect(read.week.slice(0, 6).every((day: any) => day.requestCount === 0)).toBe(true);
    const dates = read.week.map((day: any) => day.date);
    expect(dates).toEqual([...dates].sort());
    expect(new Set(dates).size).toBe(7);
    expect(Date.parse(`${dates[6]}T00:00:00Z`) - Date.parse(`${dates[0]}T00:00:00Z`)).toBe(6 * 86_400_000);
    expect(read.month).toHaveLength(30);
  });

  it.each([0, -1, 367])("refuses days: %d with BAD_USER_INPUT", async (days) => {
    const result: any = await server.post(
      `query($id: ID!, $days: Int) { node(id: $id) { ... on APIKey { usage(days: $days) { date } } } }`,
      {
        id: (await restrictedKey(server, ["keys:read"])).id,
        days,
      },
      bearer(server.adminKey),
    );
    expect(result.body.errors[0].extensions.code).toBe("BAD_USER_INPUT");
    expect(result.body.errors[0].message).toContain("between 1 and 366");
  });

  it("accepts 1 and 366 days", async () => {
    const node = await keyById(
      (await restrictedKey(server, ["keys:read"])).id,
      "one: usage(days: 1) { date } year: usage(days: 366) { date }",
    );
    expect([node.one.length, node.year.length]).toEqual([1, 366]);
  });
});

describe("lists, audit and events", () => {
  it("lists keys with their controls and usage", async () => {
    const key = await restrictedKey(server, ["audit:read"], {
      allowedIps: ["10.0.0.0/8"],
      rateLimit: { limit: 5, windowSeconds: 60 },
      metadata: { team: "lists" },
    });
    const data = await server.admin.request<any>(`{ organizations { apiKeys(first: 20, filterBy: { role: [RESTRICTED] }) {
      edges { node { ${KEY_FIELDS} usage(days: 30) { date requestCount } } } } } }`);
    const node = data.organizations[0].apiKeys.edges.map((e: any) => e.node).find((n: any) => n.id === key.id);
    expect(node).toMatchObject({
      role: "RESTRICTED",
      permissions: ["audit:read"],
      allowedIps: ["10.0.0.0/8"],
      rateLimit: { limit: 5, windowSeconds: 60 },
      metadata: { team: "lists" },
      usage: Array.from({ length: 30 }, () => expect.objectContaining({ requestCount: 0 })),
    });
  });

  it("audits every change and announces it with API_KEY_UPDATED, never with the secret", async () => {
    const key = await restrictedKey(server, ["events:read"]);
    const changes = [
      { permissions: ["events:read", "keys:read"] },
      { allowedIps: ["192.0.2.0/24"] },
      { rateLimit: { limit: 10, windowSeconds: 60 } },
      { metadata: { owner: "billing" } },
    ];
    for (const change of changes)
      expect((await updateKey(server, server.adminKey, { apiKeyId: key.id, ...change })).__typename).toBe("APIKey");
    const data = await server.admin.request<any>(`{ organizations {
      auditLog(first: 100, filterBy: { action: "api_key.update" }) { edges { node { targetId } } }
      notificationEvents(first: 100, filterBy: { name: [API_KEY_UPDATED] }) { edges { node { data } } } } }`);
    expect(data.organizations[0].auditLog.edges.filter((e: any) => e.node.targetId === key.id)).toHaveLength(4);
    const events = data.organizations[0].notificationEvents.edges
      .map((e: any) => e.node.data)
      .filter((d: any) => d.id === key.id)
      .reverse();
    expect(events).toHaveLength(4);
    expect(events[3]).toMatchObject({
      permissions: ["keys:read", "events:read"],
      allowedIps: ["192.0.2.0/24"],
      rateLimit: { limit: 10, windowSeconds: 60 },
      metadata: { owner: "billing" },
    });
    expect(JSON.stringify(events)).not.toContain(key.key);
    expect(JSON.stringify(events)).not.toContain(key.key.slice(8, 30));
  });

  it("rotation keeps the controls", async () => {
    const key = await restrictedKey(server, ["events:read"], {
      allowedIps: ["127.0.0.1"],
      rateLimit: { limit: 9, windowSeconds: 9 },
      metadata: { k: "v" },
    });
    const result = await server.post(
      `mutation($id: ID!) { rotateAPIKey(input: { apiKeyId: $id }) { ... on APIKey { ${KEY_FIELDS} key } } }`,
      { id: key.id },
      bearer(server.adminKey),
    );
    expect(result.body.data.rotateAPIKey).toMatchObject({
      role: "RESTRICTED",
      permissions: ["events:read"],
      allowedIps: ["127.0.0.1"],
      rateLimit: { limit: 9, windowSeconds: 9 },
      metadata: { k: "v" },
    });
    expect((await callWith(server, result.body.data.rotateAPIKey.key)).body.data.viewer.permissions).toEqual(["events:read"]);
  });
});
