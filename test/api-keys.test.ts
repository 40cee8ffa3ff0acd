import { GraphQLClient } from "graphql-request";
import { APIKeyRole, Environment, Plan, UserRole } from "../src/entities/enums";
import { bearer, startTestServer, TestServer } from "./helpers/server";
import { API_KEY_FIELDS, API_KEY_PAYLOAD, CREATE_KEY as CREATE, createKey } from "./helpers/keys";
import { createUser } from "./helpers/users";
import { waitFor } from "./helpers/wait";

let server: TestServer;
let readonlyKey: string;
let liveAdminKey: string;
let other: { id: string; testKey: string; liveKey: string };

beforeAll(async () => {
  server = await startTestServer();
  readonlyKey = await server.issueKey(APIKeyRole.READONLY);
  liveAdminKey = await server.issueKey(APIKeyRole.ADMIN, Environment.LIVE);
  other = await server.otherOrganization();
});
afterAll(async () => {
  await server?.stop();
});

const KEY_FIELDS = API_KEY_FIELDS;
const PAYLOAD = API_KEY_PAYLOAD;

function mutate(client: GraphQLClient, name: string, input: Record<string, unknown>, inputType?: string) {
  const type = inputType ?? `${name[0].toUpperCase()}${name.slice(1)}Input`;
  return client.request<any>(`mutation($input: ${type}!) { ${name}(input: $input) { ${PAYLOAD} } }`, { input }).then((data) => data[name]);
}

async function node(id: string, client: GraphQLClient = server.admin) {
  return (await client.request<any>(`query($id: ID!) { node(id: $id) { ... on APIKey { ${KEY_FIELDS} } } }`, { id })).node;
}

async function viewerStatus(key: string) {
  return server.post("{ viewer { role } }", {}, bearer(key));
}

describe("createSecretAPIKey", () => {
  it("creates a READONLY key by default and shows the secret only in the payload", async () => {
    const key = await createKey(server.admin, { name: "  Backend  ", description: "billing service" });
    expect(key).toMatchObject({
      __typename: "APIKey",
      name: "Backend",
      description: "billing service",
      environment: "TEST",
      role: "READONLY",
      status: "ACTIVE",
      usageCount: 0,
      lastUsedAt: null,
      expiresAt: null,
      createdBy: { __typename: "APIKey" },
    });
    expect(key.id).toMatch(/^key_[0-9a-f]{32}$/);
    expect(key.key).toMatch(/^kw_test_[0-9A-Za-z]{36}$/);
    expect(key.prefix).toBe(key.key.slice(0, 12));
    expect(key.redactedKey).toBe(`${key.key.slice(0, 12)}…${key.key.slice(-4)}`);
    expect((await node(key.id)).key).toBeNull();
    const viewer = await server.client(key.key).request<any>("{ viewer { role environment } }");
    expect(viewer.viewer).toEqual({ role: "READONLY", environment: "TEST" });
  });

  it("creates an ADMIN key with an expiry", async () => {
    const expiresAt = new Date(Date.now() + 86_400_000).toISOString();
    const key = await createKey(server.admin, { role: "ADMIN", expiresAt });
    expect(key).toMatchObject({ role: "ADMIN", expiresAt });
  });

  it("creates LIVE keys with a live prefix", async () => {
    const key = await createKey(server.client(liveAdminKey));
    expect(key.key).toMatch(/^kw_live_/);
    expect(key.environment).toBe("LIVE");
  });

  it("refuses a READONLY key", async () => {
    const result = await createKey(server.client(readonlyKey));
    expect(result.__typename).toBe("AccessDeniedError");
  });

  it("refuses empty, blank and overlong names and past expiry with the field's path", async () => {
    for (const [secretKey, path] of [
      [{ name: "" }, ["input", "secretKey", "name"]],
      [{ name: "   " }, ["input", "secretKey", "name"]],
      [{ name: "x".repeat(101) }, ["input", "secretKey", "name"]],
      [{ name: "ok", description: "d".repeat(501) }, ["input", "secretKey", "description"]],
      [{ name: "ok", expiresAt: new Date(Date.now() - 1000).toISOString() }, ["input", "secretKey", "expiresAt"]],
    ] as const) {
      const result = await server.admin.request<any>(CREATE, { input: { secretKey } });
      expect(result.createSecretAPIKey).toMatchObject({
        __typename: "UserError",
        errors: [{ code: "INVALID_INPUT", errorPath: path }],
      });
    }
  });

  it("refuses a name already used in the environment, ignoring case", async () => {
    await createKey(server.admin, { name: "Unique Name" });
    const clash = await createKey(server.admin, { name: "unique name" });
    expect(clash).toMatchObject({
      __typename: "UserError",
      errors: [{ code: "ALREADY_EXISTS", errorPath: ["input", "secretKey", "name"] }],
    });
    // The same name in LIVE is another environment: allowed.
    expect((await createKey(server.client(liveAdminKey), { name: "Unique Name" })).__typename).toBe("APIKey");
  });

  it("refuses LIVE keys on the FREE plan with UPGRADE_REQUIRED", async () => {
    const free = await server.otherOrganization(Plan.FREE);
    const result = await createKey(server.client(free.liveKey));
    expect(result).toMatchObject({ __typename: "UserError", errors: [{ code: "UPGRADE_REQUIRED", description: "Upgrade required" }] });
    expect((await createKey(server.client(free.testKey))).__typename).toBe("APIKey");
  });

  it("answers a wrongly typed enum with a GraphQL error, not a 500", async () => {
    const result = await server.post(CREATE, { input: { secretKey: { name: "x", role: "ROOT" } } }, bearer(server.adminKey));
    expect(result.status).toBe(400);
    expect(result.body.errors?.[0].extensions?.code).toBe("BAD_USER_INPUT");
  });
});

describe("every mutation on an existing key", () => {
  const cases: Array<[string, Record<string, unknown>]> = [
    ["updateAPIKey", { name: "renamed" }],
    ["activateAPIKey", {}],
    ["deactivateAPIKey", {}],
    ["rotateAPIKey", {}],
    ["revokeAPIKey", {}],
    ["deleteAPIKey", {}],
  ];

  it.each(cases)("%s: READONLY keys are denied and nothing changes", async (mutation, extra) => {
    const key = await createKey(server.admin);
    const result = await mutate(server.client(readonlyKey), mutation, { apiKeyId: key.id, ...extra });
    expect(result.__typename).toBe("AccessDeniedError");
    expect(await node(key.id)).toMatchObject({ name: key.name, status: "ACTIVE", updatedAt: key.updatedAt });
  });

  it.each(cases)("%s: a key of the other environment or organization is NOT_FOUND and unchanged", async (mutation, extra) => {
    const key = await createKey(server.admin);
    for (const credential of [liveAdminKey, other.testKey]) {
      const result = await mutate(server.client(credential), mutation, { apiKeyId: key.id, ...extra });
      expect(result).toEqual({
        __typename: "UserError",
        errors: [expect.objectContaining({ code: "NOT_FOUND", errorPath: ["input", "apiKeyId"] })],
      });
    }
    expect(await node(key.id)).toMatchObject({ name: key.name, status: "ACTIVE", updatedAt: key.updatedAt });
  });

  it.each(cases)("%s: an unknown id is NOT_FOUND, an id of another type INVALID_INPUT", async (mutation, extra) => {
    const unknown = await mutate(server.admin, mutation, { apiKeyId: `key_${"0".repeat(32)}`, ...extra });
    expect(unknown).toMatchObject({ __typename: "UserError", errors: [{ code: "NOT_FOUND", errorPath: ["input", "apiKeyId"] }] });
    for (const apiKeyId of [`usr_${"0".repeat(32)}`, "not-an-id"]) {
      const wrong = await mutate(server.admin, mutation, { apiKeyId, ...extra });
      expect(wrong).toMatchObject({ __typename: "UserError", errors: [{ code: "INVALID_INPUT", errorPath: ["input", "apiKeyId"] }] });
    }
  });

  /** What each mutation must have done to `key`, seen in its payload and through node(id) afterwards. */
  const effects: Record<string, (key: any, result: any) => Promise<void>> = {
    updateAPIKey: async (key, result) => {
      expect(result).toMatchObject({ id: key.id, name: "renamed" });
      expect(await node(key.id)).toMatchObject({ name: "renamed", status: "ACTIVE" });
    },
    activateAPIKey: async (key, result) => {
      expect(result).toMatchObject({ id: key.id, status: "ACTIVE", deactivatedAt: null });
      expect((await viewerStatus(key.key)).status).toBe(200);
    },
    deactivateAPIKey: async (key, result) => {
      expect(result).toMatchObject({ id: key.id, status: "DEACTIVATED", deactivatedAt: expect.any(String) });
      expect((await node(key.id)).status).toBe("DEACTIVATED");
      expect((await viewerStatus(key.key)).status).toBe(401);
    },
    rotateAPIKey: async (key, result) => {
      expect(result).toMatchObject({
        name: key.name,
        status: "ACTIVE",
        rotatedFrom: { id: key.id },
        key: expect.stringMatching(/^kw_test_/),
      });
      expect(result.id).not.toBe(key.id);
      expect((await node(key.id)).rotatedTo).toEqual({ id: result.id });
      expect((await viewerStatus(result.key)).status).toBe(200);
    },
    revokeAPIKey: async (key, result) => {
      expect(result).toMatchObject({ id: key.id, status: "REVOKED", revokedAt: expect.any(String) });
      expect((await viewerStatus(key.key)).body.errors?.[0].extensions?.reason).toBe("REVOKED");
    },
    deleteAPIKey: async (key, result) => {
      expect(result).toMatchObject({ id: key.id });
      expect(await node(key.id)).toBeNull();
      expect((await viewerStatus(key.key)).body.errors?.[0].extensions?.reason).toBe("DELETED");
    },
  };

  it.each(cases)("%s: an ADMIN key of the same environment may, and it takes effect", async (mutation, extra) => {
    const key = await createKey(server.admin);
    // Used first, so that a change must also reach the key cache.
    expect((await viewerStatus(key.key)).status).toBe(200);
    if (mutation === "activateAPIKey") {
      await mutate(server.admin, "deactivateAPIKey", { apiKeyId: key.id });
      expect((await viewerStatus(key.key)).status).toBe(401);
    }
    const result = await mutate(server.admin, mutation, { apiKeyId: key.id, ...extra });
    expect(result.__typename).toBe("APIKey");
    await effects[mutation](key, result);
  });
});

describe("updateAPIKey", () => {
  it("changes name, description, expiry and role, and clears the expiry with null", async () => {
    const key = await createKey(server.admin);
    const expiresAt = new Date(Date.now() + 3_600_000).toISOString();
    const updated = await mutate(server.admin, "updateAPIKey", {
      apiKeyId: key.id,
      name: "New name",
      description: "why",
      expiresAt,
      role: "ADMIN",
    });
    expect(updated).toMatchObject({ name: "New name", description: "why", expiresAt, role: "ADMIN" });
    expect(Date.parse(updated.updatedAt)).toBeGreaterThan(Date.parse(key.updatedAt));
    expect((await node(key.id)).updatedAt).toBe(updated.updatedAt);
    const cleared = await mutate(server.admin, "updateAPIKey", { apiKeyId: key.id, expiresAt: null });
    expect(cleared).toMatchObject({ expiresAt: null, name: "New name", role: "ADMIN" });
  });

  it("refuses bad input with the field's path", async () => {
    const key = await createKey(server.admin);
    const taken = await createKey(server.admin);
    for (const [input, code, path] of [
      [{ name: "" }, "INVALID_INPUT", ["input", "name"]],
      [{ name: "y".repeat(101) }, "INVALID_INPUT", ["input", "name"]],
      [{ expiresAt: "2001-01-01T00:00:00Z" }, "INVALID_INPUT", ["input", "expiresAt"]],
      [{ name: taken.name.toUpperCase() }, "ALREADY_EXISTS", ["input", "name"]],
    ] as const) {
      const result = await mutate(server.admin, "updateAPIKey", { apiKeyId: key.id, ...input });
      expect(result).toMatchObject({ __typename: "UserError", errors: [{ code, errorPath: path }] });
    }
    expect(await node(key.id)).toMatchObject({ name: key.name, expiresAt: null });
  });
});

describe("rotateAPIKey", () => {
  it("refuses a grace period outside 0..604800 seconds", async () => {
    const key = await createKey(server.admin);
    for (const expireOldKeyInSeconds of [-1, 604_801]) {
      const result = await mutate(server.admin, "rotateAPIKey", { apiKeyId: key.id, expireOldKeyInSeconds });
      expect(result).toMatchObject({
        __typename: "UserError",
        errors: [{ code: "INVALID_INPUT", errorPath: ["input", "expireOldKeyInSeconds"] }],
      });
    }
  });

  it("refuses to rotate a key twice", async () => {
    const key = await createKey(server.admin);
    await mutate(server.admin, "rotateAPIKey", { apiKeyId: key.id, expireOldKeyInSeconds: 60 });
    const again = await mutate(server.admin, "rotateAPIKey", { apiKeyId: key.id });
    expect(again).toMatchObject({ __typename: "UserError", errors: [{ code: "INVALID_STATE" }] });
  });
});

describe("the lifecycle of a key", () => {
  it("create → use → deactivate → activate → rotate with grace → revoke → delete", async () => {
    const created = await createKey(server.admin, { role: "ADMIN", name: "lifecycle" });
    const secret: string = created.key;

    // use: every authenticated request counts
    for (let i = 0; i < 3; i++) expect((await viewerStatus(secret)).status).toBe(200);
    const used = await waitFor(
      async () => {
        const k = await node(created.id);
        return k.usageCount === 3 ? k : undefined;
      },
      3000,
      "usage to be flushed",
    );
    expect(used.lastUsedAt).not.toBeNull();

    // deactivate: refused at once, with the reason
    await mutate(server.admin, "deactivateAPIKey", { apiKeyId: created.id });
    let refused = await viewerStatus(secret);
    expect(refused.status).toBe(401);
    expect(refused.body.errors?.[0].extensions).toMatchObject({ code: "UNAUTHENTICATED", reason: "DEACTIVATED" });

    // activate: works again
    const activated = await mutate(server.admin, "activateAPIKey", { apiKeyId: created.id });
    expect(activated).toMatchObject({ status: "ACTIVE", deactivatedAt: null });
    expect((await viewerStatus(secret)).status).toBe(200);

    // rotate with a 2 s grace: both work, then the old one expires
    const successor = await mutate(server.admin, "rotateAPIKey", { apiKeyId: created.id, expireOldKeyInSeconds: 2 });
    expect(successor).toMatchObject({
      __typename: "APIKey",
      name: "lifecycle",
      role: "ADMIN",
      status: "ACTIVE",
      rotatedFrom: { id: created.id },
    });
    expect(successor.key).toMatch(/^kw_test_/);
    expect(successor.key).not.toBe(secret);
    expect((await viewerStatus(secret)).status).toBe(200);
    expect((await viewerStatus(successor.key)).status).toBe(200);
    expect((await node(created.id)).rotatedTo).toEqual({ id: successor.id });
    const expired = await waitFor(
      async () => {
        const r = await viewerStatus(secret);
        return r.status === 401 ? r : undefined;
      },
      5000,
      "the old key to expire",
    );
    expect(expired.body.errors?.[0].extensions?.reason).toBe("EXPIRED");
    expect((await node(created.id)).status).toBe("EXPIRED");
    expect((await viewerStatus(successor.key)).status).toBe(200);

    // revoke: refused, and activation is refused too
    const revoked = await mutate(server.admin, "revokeAPIKey", { apiKeyId: successor.id });
    expect(revoked.status).toBe("REVOKED");
    expect(revoked.revokedAt).not.toBeNull();
    refused = await viewerStatus(successor.key);
    expect(refused.status).toBe(401);
    expect(refused.body.errors?.[0].extensions?.reason).toBe("REVOKED");
    const reactivate = await mutate(server.admin, "activateAPIKey", { apiKeyId: successor.id });
    expect(reactivate).toMatchObject({ __typename: "UserError", errors: [{ code: "INVALID_STATE" }] });

    // delete: gone from lists and node, refused with DELETED
    await mutate(server.admin, "deleteAPIKey", { apiKeyId: successor.id });
    expect(await node(successor.id)).toBeNull();
    const list = await server.admin.request<any>(
      `{ organizations { apiKeys(first: 100, filterBy: { search: "lifecycle" }) { edges { node { id } } } } }`,
    );
    expect(list.organizations[0].apiKeys.edges.map((e: any) => e.node.id)).toEqual([created.id]);
    refused = await viewerStatus(successor.key);
    expect(refused.body.errors?.[0].extensions?.reason).toBe("DELETED");
  });

  it("is accepted before expiresAt and refused with EXPIRED from then on", async () => {
    const key = await createKey(server.admin, { expiresAt: new Date(Date.now() + 1500).toISOString() });
    const expiresAt = Date.parse(key.expiresAt);
    // Asked again and again until refused: every answer is checked against the moment it was asked or received,
    // so a slow machine can delay the refusal but never make a wrong answer pass.
    const acceptedLate: number[] = [];
    let refusedAt = 0;
    const refused = await waitFor(
      async () => {
        const askedAt = Date.now();
        const answer = await viewerStatus(key.key);
        if (answer.status === 200) {
          if (askedAt >= expiresAt) acceptedLate.push(askedAt - expiresAt);
          return undefined;
        }
        refusedAt = Date.now();
        return answer;
      },
      30_000,
      "the key to expire",
    );
    expect(acceptedLate).toEqual([]);
    expect(refusedAt).toBeGreaterThanOrEqual(expiresAt);
    expect(refused.status).toBe(401);
    expect(refused.body.errors?.[0].extensions?.reason).toBe("EXPIRED");
    expect((await node(key.id)).status).toBe("EXPIRED");
  });

  it("two simultaneous revokes leave one revocation", async () => {
    const key = await createKey(server.admin);
    const results = await Promise.all([1, 2].map(() => mutate(server.admin, "revokeAPIKey", { apiKeyId: key.id })));
    const types = results.map((r) => r.__typename).sort();
    expect(types).toEqual(["APIKey", "UserError"]);
    expect(results.find((r) => r.__typename === "UserError").errors[0].code).toBe("INVALID_STATE");
  });
});

describe("the inventory", () => {
  let tenant: TestServer["admin"];
  const names: string[] = [];

  beforeAll(async () => {
    // A fresh organization so the list holds only these keys.
    const org = await server.otherOrganization();
    tenant = server.client(org.testKey);
    for (let i = 0; i < 7; i++) {
      const role = i % 3 === 0 ? "ADMIN" : "READONLY";
      const key = await createKey(tenant, { name: `inventory ${i}`, role, description: i === 4 ? "100%_special" : null });
      names.push(key.name);
    }
    const third = await tenant.request<any>(
      `{ organizations { apiKeys(first: 1, filterBy: { search: "inventory 2" }) { edges { node { id } } } } }`,
    );
    await mutate(tenant, "deactivateAPIKey", { apiKeyId: third.organizations[0].apiKeys.edges[0].node.id });
  });

  const LIST = `query($first: Int, $after: String, $last: Int, $before: String, $filterBy: APIKeyFilterInput) {
    organizations { apiKeys(first: $first, after: $after, last: $last, before: $before, filterBy: $filterBy) {
      totalCount edges { cursor node { name status role } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } } }`;
  const list = async (variables: Record<string, unknown>, client = tenant) =>
    (await client.request<any>(LIST, variables)).organizations[0].apiKeys;

  it("pages forward and back, newest first", async () => {
    const all = await list({ first: 100 });
    const everything = all.edges.map((e: any) => e.node.name);
    // The org's own TEST admin key plus the seven.
    expect(all.totalCount).toBe(8);
    expect(everything.slice(0, 7)).toEqual([...names].reverse());

    const page1 = await list({ first: 3 });
    expect(page1.edges.map((e: any) => e.node.name)).toEqual(everything.slice(0, 3));
    expect(page1.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: false });
    const page2 = await list({ first: 3, after: page1.pageInfo.endCursor });
    expect(page2.edges.map((e: any) => e.node.name)).toEqual(everything.slice(3, 6));
    const page3 = await list({ first: 3, after: page2.pageInfo.endCursor });
    expect(page3.edges.map((e: any) => e.node.name)).toEqual(everything.slice(6));
    expect(page3.pageInfo.hasNextPage).toBe(false);

    const back = await list({ last: 3, before: page3.pageInfo.startCursor });
    expect(back.edges.map((e: any) => e.node.name)).toEqual(everything.slice(3, 6));
    expect(back.pageInfo).toMatchObject({ hasPreviousPage: true, hasNextPage: true });
    const tail = await list({ last: 2 });
    expect(tail.edges.map((e: any) => e.node.name)).toEqual(everything.slice(-2));
  });

  it("filters by search, status and role", async () => {
    expect((await list({ filterBy: { search: "INVENTORY 5" } })).edges.map((e: any) => e.node.name)).toEqual(["inventory 5"]);
    expect((await list({ filterBy: { search: "100%_" } })).edges.map((e: any) => e.node.name)).toEqual(["inventory 4"]);
    expect((await list({ filterBy: { search: "%" } })).totalCount).toBe(1);
    expect((await list({ filterBy: { status: ["DEACTIVATED"] } })).edges.map((e: any) => e.node.name)).toEqual(["inventory 2"]);
    const admins = await list({ filterBy: { role: ["ADMIN"], search: "inventory" } });
    expect(admins.edges.map((e: any) => e.node.name)).toEqual(["inventory 6", "inventory 3", "inventory 0"]);
  });

  it("lets READONLY keys read it, the same inventory an ADMIN sees", async () => {
    const key = await createKey(server.admin);
    const seen = await list({ first: 100 }, server.client(readonlyKey));
    expect(seen).toEqual(await list({ first: 100 }, server.admin));
    expect(seen.edges[0].node.name).toBe(key.name);
  });
});

describe("dashboard users", () => {
  let developer: GraphQLClient;
  let support: GraphQLClient;
  let adminUser: GraphQLClient;

  beforeAll(async () => {
    developer = server.client((await createUser(server, UserRole.DEVELOPER)).token);
    support = server.client((await createUser(server, UserRole.SUPPORT)).token);
    adminUser = server.client((await createUser(server, UserRole.ADMIN)).token);
  });

  it("an ADMIN user creates keys of either role, recorded as createdBy", async () => {
    const key = await createKey(adminUser, { role: "ADMIN" });
    expect(key).toMatchObject({ __typename: "APIKey", role: "ADMIN", createdBy: { __typename: "User" } });
  });

  it("a DEVELOPER creates only READONLY keys and cannot raise one to ADMIN", async () => {
    const readonly = await createKey(developer, { role: "READONLY" });
    expect(readonly.__typename).toBe("APIKey");
    expect((await createKey(developer, { role: "ADMIN" })).__typename).toBe("AccessDeniedError");
    const raise = await mutate(developer, "updateAPIKey", { apiKeyId: readonly.id, role: "ADMIN" });
    expect(raise.__typename).toBe("AccessDeniedError");
    expect((await node(readonly.id)).role).toBe("READONLY");
  });

  it("a DEVELOPER cannot edit or rotate an ADMIN key but can block a leaked one", async () => {
    const adminKey = await createKey(server.admin, { role: "ADMIN" });
    expect((await mutate(developer, "updateAPIKey", { apiKeyId: adminKey.id, name: "mine now" })).__typename).toBe("AccessDeniedError");
    expect((await mutate(developer, "rotateAPIKey", { apiKeyId: adminKey.id })).__typename).toBe("AccessDeniedError");
    expect((await mutate(developer, "deactivateAPIKey", { apiKeyId: adminKey.id })).status).toBe("DEACTIVATED");
    expect((await mutate(developer, "revokeAPIKey", { apiKeyId: adminKey.id })).status).toBe("REVOKED");
  });

  it("SUPPORT reads the inventory but changes nothing", async () => {
    const key = await createKey(server.admin);
    const INVENTORY = `{ organizations { apiKeys(first: 100) { totalCount edges { node { id name status } } } } }`;
    const seen = (await support.request<any>(INVENTORY)).organizations[0].apiKeys;
    expect(seen).toEqual((await server.admin.request<any>(INVENTORY)).organizations[0].apiKeys);
    expect(seen.edges.map((e: any) => e.node.id)).toContain(key.id);
    expect((await createKey(support)).__typename).toBe("AccessDeniedError");
    for (const [mutation, extra] of [
      ["updateAPIKey", { name: "x" }],
      ["deactivateAPIKey", {}],
      ["revokeAPIKey", {}],
      ["rotateAPIKey", {}],
      ["deleteAPIKey", {}],
    ] as const) {
      expect((await mutate(support, mutation, { apiKeyId: key.id, ...extra })).__typename).toBe("AccessDeniedError");
    }
    expect((await node(key.id)).status).toBe("ACTIVE");
  });
});
