import { Webhook } from "standardwebhooks";
import { APIKeyRole, Environment, Plan } from "../src/entities/enums";
import { Answer, Behaviour, isDecisionRequest, Receiver, ReceivedRequest } from "./helpers/receiver";
import { bearer, startTestServer, TestServer } from "./helpers/server";
import { waitFor } from "./helpers/wait";
import { decodeId } from "../src/db/ids";
import { GraphQLClient } from "graphql-request";
import { App } from "../src/app";
import { loadConfig } from "../src/config";
import { startServer } from "../src/server";

const ENDPOINT = `id name uri status standInDecision createdAt updatedAt activatedAt deactivatedAt environment`;
const ERRORS = `... on UserError { errors { code errorPath description } } ... on AccessDeniedError { message }`;
const ENDPOINT_PAYLOAD = `__typename ... on CollaborativeAuthorizationEndpoint { ${ENDPOINT} signingKeys { id secret createdAt expiresAt } } ${ERRORS}`;
const REQUEST = `id createdAt amount currencyCode merchantName responseCode authorizedAmount decidedBy standInReason latencyMs endpoint { id name }`;

const ADD = `mutation($input: AddCollaborativeAuthorizationEndpointInput!) {
  result: addCollaborativeAuthorizationEndpoint(input: $input) { ${ENDPOINT_PAYLOAD} } }`;
const ACTIVATE = `mutation($input: ActivateCollaborativeAuthorizationEndpointInput!) {
  result: activateCollaborativeAuthorizationEndpoint(input: $input) { ${ENDPOINT_PAYLOAD} } }`;
const DEACTIVATE = `mutation($input: DeactivateCollaborativeAuthorizationEndpointInput!) {
  result: deactivateCollaborativeAuthorizationEndpoint(input: $input) { ${ENDPOINT_PAYLOAD} } }`;
const RENAME = `mutation($input: RenameCollaborativeAuthorizationEndpointInput!) {
  result: renameCollaborativeAuthorizationEndpoint(input: $input) { ${ENDPOINT_PAYLOAD} } }`;
const REMOVE = `mutation($input: RemoveCollaborativeAuthorizationEndpointInput!) {
  result: removeCollaborativeAuthorizationEndpoint(input: $input) { ${ENDPOINT_PAYLOAD} } }`;
const SIMULATE = `mutation($input: SimulateCollaborativeAuthorizationInput!) {
  result: simulateCollaborativeAuthorization(input: $input) { __typename ... on CollaborativeAuthorizationRequest { ${REQUEST} } ${ERRORS} } }`;
const ENDPOINTS = `{ organizations { collaborativeAuthorizationEndpoints(first: 10) { totalCount edges { node { ${ENDPOINT} } } } } }`;
const REQUESTS = `query($first: Int) { organizations { collaborativeAuthorizationRequests(first: $first) { totalCount edges { cursor node { ${REQUEST} } } } } }`;
const NODE = `query($id: ID!) { node(id: $id) { __typename id } }`;

const PUBLIC_HOST = "collab.example.com";
const PURCHASE = { amount: 1250, currencyCode: "USD", merchantName: "Corner Coffee" };

/** How the customer's endpoint answers decision requests. */
const json = (status: number, body: unknown): Answer => ({ status, body: JSON.stringify(body) });
const approve: Behaviour = () => json(200, { responseCode: "APPROVED" });
const decline: Behaviour = () => json(200, { responseCode: "DECLINED" });
const approveHalf: Behaviour = (m) => json(200, { responseCode: "APPROVED", authorizedAmount: Math.floor(m.json.transaction.amount / 2) });
const failWith500: Behaviour = { status: 500, body: "internal error" };
const garbage: Behaviour = { status: 200, body: "<html>not json</html>" };
const verified: Behaviour = { status: 200, body: "ok" };

let server: TestServer;
let endpoint: Receiver;
/** What the endpoint answers verification and decision requests, unless a test queues answers of its own. */
let verification: Behaviour;
let decision: Behaviour;

const dnsLookup = async (host: string) => {
  if (host === PUBLIC_HOST) return [{ address: "93.184.215.14", family: 4 }];
  throw new Error(`ENOTFOUND ${host}`);
};

beforeAll(async () => {
  // A budget far above what a loaded machine needs for a local answer: only the budget tests (below) run short ones.
  server = await startTestServer({ KEYWAY_COLLAB_TIMEOUT_MS: "15000" }, { dnsLookup });
  endpoint = await Receiver.start();
  endpoint.otherwise = (request) => {
    const behaviour = isDecisionRequest(request) ? decision : verification;
    return typeof behaviour === "function" ? behaviour(request) : behaviour;
  };
});
afterAll(async () => {
  await endpoint?.stop();
  await server?.stop();
});
beforeEach(() => {
  decision = approve;
  verification = verified;
});

/** Decision requests received on a path. */
function decisions(path: string): ReceivedRequest[] {
  return endpoint.to(path).filter(isDecisionRequest);
}

async function result(client: GraphQLClient, mutation: string, input: Record<string, unknown>): Promise<any> {
  return (await client.request<any>(mutation, { input })).result;
}

/** A fresh organization (PAID unless told) with an ADMIN key per environment: tests do not share endpoints. */
async function organization(plan = Plan.PAID) {
  const org = await server.otherOrganization(plan);
  return { ...org, test: server.client(org.testKey), live: server.client(org.liveKey) };
}

async function addEndpoint(client: GraphQLClient, path: string, extra: Record<string, unknown> = {}): Promise<any> {
  const added = await result(client, ADD, { name: `Endpoint ${path}`, uri: endpoint.target(path), ...extra });
  expect(added.__typename).toBe("CollaborativeAuthorizationEndpoint");
  return added;
}

async function addActive(client: GraphQLClient, path: string, extra: Record<string, unknown> = {}): Promise<any> {
  const added = await addEndpoint(client, path, extra);
  const activated = await result(client, ACTIVATE, { endpointId: added.id });
  expect(activated.status).toBe("ACTIVE");
  return activated;
}

async function endpointsOf(client: GraphQLClient): Promise<any[]> {
  const data = await client.request<any>(ENDPOINTS);
  return data.organizations[0].collaborativeAuthorizationEndpoints.edges.map((edge: any) => edge.node);
}

async function simulate(client: GraphQLClient, input: Record<string, unknown> = PURCHASE): Promise<any> {
  return result(client, SIMULATE, input);
}

function userError(code: string, errorPath: string[]) {
  return { __typename: "UserError", errors: [expect.objectContaining({ code, errorPath })] };
}

describe("adding an endpoint", () => {
  it("starts PENDING_VERIFICATION with DECLINE as stand-in and one whsec_ signing key", async () => {
    const org = await organization();
    const added = await addEndpoint(org.test, "/add");
    expect(added).toMatchObject({
      id: expect.stringMatching(/^cae_[0-9a-f]{32}$/),
      name: "Endpoint /add",
      uri: endpoint.target("/add"),
      status: "PENDING_VERIFICATION",
      standInDecision: "DECLINE",
      environment: "TEST",
      activatedAt: null,
      deactivatedAt: null,
    });
    expect(added.signingKeys).toEqual([
      {
        id: expect.stringMatching(/^sk_/),
        secret: expect.stringMatching(/^whsec_[A-Za-z0-9+/=]{40,}$/),
        createdAt: expect.any(String),
        expiresAt: null,
      },
    ]);
    expect((await org.test.request<any>(NODE, { id: added.id })).node).toEqual({
      __typename: "CollaborativeAuthorizationEndpoint",
      id: added.id,
    });
    const audit = await org.test.request<any>(`{ organizations { auditLog(first: 100) { edges { node { action targetId } } } } }`);
    const rows = audit.organizations[0].auditLog.edges.map((e: any) => e.node).filter((entry: any) => entry.targetId === added.id);
    expect(rows).toEqual([{ action: "collaborative_authorization_endpoint.add", targetId: added.id }]);
  });

  it("takes an APPROVE stand-in decision", async () => {
    const org = await organization();
    expect((await addEndpoint(org.test, "/stand-in", { standInDecision: "APPROVE" })).standInDecision).toBe("APPROVE");
  });

  it("refuses bad names and URIs with the field's path, changing nothing", async () => {
    const org = await organization();
    const cases: Array<[Record<string, unknown>, string, string[]]> = [
      [{ name: "", uri: endpoint.target("/decide") }, "INVALID_INPUT", ["input", "name"]],
      [{ name: "   ", uri: endpoint.target("/decide") }, "INVALID_INPUT", ["input", "name"]],
      [{ name: "x".repeat(101), uri: endpoint.target("/decide") }, "INVALID_INPUT", ["input", "name"]],
      [{ name: "ok", uri: `http://127.0.0.1/${"x".repeat(2100)}` }, "INVALID_INPUT", ["input", "uri"]],
      [{ name: "ok", uri: "not a url" }, "UNSAFE_URL", ["input", "uri"]],
      [{ name: "ok", uri: "ftp://127.0.0.1/decide" }, "UNSAFE_URL", ["input", "uri"]],
      [{ name: "ok", uri: "http://169.254.169.254/latest/meta-data" }, "UNSAFE_URL", ["input", "uri"]],
      [{ name: "ok", uri: "http://user:pass@127.0.0.1/decide" }, "UNSAFE_URL", ["input", "uri"]],
      [{ name: "ok", uri: "http://nowhere.invalid/decide" }, "UNSAFE_URL", ["input", "uri"]],
    ];
    for (const [input, code, path] of cases) {
      expect(await result(org.test, ADD, input)).toEqual(userError(code, path));
    }
    const unknownEnum = await server.post(
      ADD,
      { input: { name: "ok", uri: endpoint.target("/decide"), standInDecision: "MAYBE" } },
      bearer(org.testKey),
    );
    expect(unknownEnum.status).toBe(400);
    expect(await endpointsOf(org.test)).toEqual([]);
  });

  it("allows five per environment (LIMIT_EXCEEDED after), counting removed ones out", async () => {
    const org = await organization();
    const added = [];
    for (let i = 0; i < 5; i++) added.push(await addEndpoint(org.test, `/limit-${i}`));
    expect(await result(org.test, ADD, { name: "sixth", uri: endpoint.target("/decide") })).toEqual(userError("LIMIT_EXCEEDED", []));
    // LIVE has its own five.
    expect((await result(org.live, ADD, { name: "live", uri: `https://${PUBLIC_HOST}/decide` })).__typename).toBe(
      "CollaborativeAuthorizationEndpoint",
    );
    expect((await result(org.test, REMOVE, { endpointId: added[0].id })).__typename).toBe("CollaborativeAuthorizationEndpoint");
    expect((await result(org.test, ADD, { name: "sixth", uri: endpoint.target("/decide") })).__typename).toBe(
      "CollaborativeAuthorizationEndpoint",
    );
  });

  it("in LIVE requires https and a public address", async () => {
    const org = await organization();
    expect(await result(org.live, ADD, { name: "loopback", uri: endpoint.target("/decide") })).toEqual(
      userError("UNSAFE_URL", ["input", "uri"]),
    );
    expect(await result(org.live, ADD, { name: "plain http", uri: `http://${PUBLIC_HOST}/decide` })).toEqual(
      userError("UNSAFE_URL", ["input", "uri"]),
    );
    const added = await result(org.live, ADD, { name: "public", uri: `https://${PUBLIC_HOST}/decide` });
    expect(added).toMatchObject({ status: "PENDING_VERIFICATION", environment: "LIVE" });
  });

  it("on the FREE plan is refused in LIVE (UPGRADE_REQUIRED) and allowed in TEST", async () => {
    const org = await organization(Plan.FREE);
    expect(await result(org.live, ADD, { name: "live", uri: `https://${PUBLIC_HOST}/decide` })).toEqual(userError("UPGRADE_REQUIRED", []));
    expect(await endpointsOf(org.live)).toEqual([]);
    await addEndpoint(org.test, "/free-test");
  });
});

describe("activation", () => {
  it("sends a verification request signed with the endpoint's key, then makes it ACTIVE", async () => {
    const org = await organization();
    const added = await addEndpoint(org.test, "/verify");
    const activated = await result(org.test, ACTIVATE, { endpointId: added.id });
    expect(activated).toMatchObject({ status: "ACTIVE", activatedAt: expect.any(String) });

    const [message] = endpoint.to("/verify");
    expect(message.json).toMatchObject({
      type: "COLLABORATIVE_AUTHORIZATION_ENDPOINT_VERIFICATION",
      environment: "TEST",
      data: { endpointId: added.id },
    });
    expect(message.headers["webhook-id"]).toBe(message.json.id);
    expect(new Webhook(added.signingKeys[0].secret).verify(message.body, message.headers)).toEqual(message.json);
    expect(() =>
      new Webhook(`whsec_${Buffer.from("another secret of 32 bytes......").toString("base64")}`).verify(message.body, message.headers),
    ).toThrow();
  });

  it("becomes ACTIVATION_FAILED on a non-2xx answer, leaving the active endpoint active", async () => {
    const org = await organization();
    const active = await addActive(org.test, "/failing-active");
    verification = failWith500;
    const candidate = await addEndpoint(org.test, "/failing-candidate");
    expect(await result(org.test, ACTIVATE, { endpointId: candidate.id })).toMatchObject({ id: candidate.id, status: "ACTIVATION_FAILED" });
    await result(org.test, REMOVE, { endpointId: candidate.id });
    expect((await endpointsOf(org.test)).map((e) => [e.id, e.status])).toEqual([[active.id, "ACTIVE"]]);
    // activate… tries again.
    verification = { status: 204, body: "" };
    const retried = await addEndpoint(org.test, "/retry");
    verification = failWith500;
    expect((await result(org.test, ACTIVATE, { endpointId: retried.id })).status).toBe("ACTIVATION_FAILED");
    verification = { status: 204, body: "" };
    expect((await result(org.test, ACTIVATE, { endpointId: retried.id })).status).toBe("ACTIVE");
  });

  it("swaps: the new endpoint becomes ACTIVE and the previous one DEACTIVATED", async () => {
    const org = await organization();
    const first = await addActive(org.test, "/swap-1");
    const second = await addActive(org.test, "/swap-2");
    const statuses = Object.fromEntries((await endpointsOf(org.test)).map((e) => [e.id, e]));
    expect(statuses[first.id]).toMatchObject({ status: "DEACTIVATED", deactivatedAt: expect.any(String) });
    expect(statuses[second.id].status).toBe("ACTIVE");
    expect(await result(org.test, ACTIVATE, { endpointId: second.id })).toEqual(userError("INVALID_STATE", ["input", "endpointId"]));
  });

  it("leaves exactly one ACTIVE endpoint when different endpoints are activated at once", async () => {
    const org = await organization();
    const added = [];
    for (let i = 0; i < 5; i++) added.push(await addEndpoint(org.test, `/race-${i}`));
    const results = await Promise.all(added.map((e) => result(org.test, ACTIVATE, { endpointId: e.id })));
    expect(results.every((r) => r.__typename === "CollaborativeAuthorizationEndpoint" && r.status === "ACTIVE")).toBe(true);
    const statuses = (await endpointsOf(org.test)).map((e) => e.status).sort();
    expect(statuses).toEqual(["ACTIVE", "DEACTIVATED", "DEACTIVATED", "DEACTIVATED", "DEACTIVATED"]);
  });

  it("never leaves a gap: decisions during swaps all reach an endpoint", async () => {
    const org = await organization();
    const a = await addActive(org.test, "/gap-a");
    const b = await addEndpoint(org.test, "/gap-b");
    const decisions: any[] = [];
    for (const next of [b, a, b, a]) {
      const [swap, ...simulated] = await Promise.all([
        result(org.test, ACTIVATE, { endpointId: next.id }),
        ...Array.from({ length: 6 }, () => simulate(org.test)),
      ]);
      expect(swap.status).toBe("ACTIVE");
      decisions.push(...simulated);
    }
    expect(decisions).toHaveLength(24);
    for (const decision of decisions) {
      expect(decision).toMatchObject({ decidedBy: "ENDPOINT", standInReason: null, responseCode: "APPROVED" });
      expect([a.id, b.id]).toContain(decision.endpoint.id);
    }
  });

  it("reaches another Keyway process on the same database: its decisions follow each swap and deactivation", async () => {
    // Each process keeps the environment's ACTIVE endpoint in memory; a status change commits a NOTIFY that drops it.
    const app = await App.open(
      loadConfig({ NODE_ENV: "test", DATABASE_URL: server.app.databaseUrl, LOG_LEVEL: "silent", KEYWAY_COLLAB_TIMEOUT_MS: "15000" }),
      { dnsLookup },
    );
    await app.startBackground();
    const other = await startServer(app, 0, "127.0.0.1");
    try {
      const org = await organization();
      const elsewhere = new GraphQLClient(other.url, { headers: { authorization: `Bearer ${org.testKey}` } });
      const a = await addActive(org.test, "/other-process-a");
      expect((await simulate(elsewhere)).endpoint.id).toBe(a.id);
      const b = await addActive(org.test, "/other-process-b");
      await waitFor(async () => (await simulate(elsewhere)).endpoint?.id === b.id, 10_000, "the other process to decide with b");
      expect(decisions("/other-process-b").length).toBeGreaterThan(0);
      await result(org.test, DEACTIVATE, { endpointId: b.id });
      const declined = await waitFor(
        async () => {
          const decision = await simulate(elsewhere);
          return decision.standInReason === "NO_ACTIVE_ENDPOINT" && decision;
        },
        10_000,
        "the other process to see no active endpoint",
      );
      expect(declined).toMatchObject({ decidedBy: "STAND_IN", endpoint: null });
    } finally {
      await other.stop();
      await app.close();
    }
  });

  it("is enforced by the database: a second ACTIVE row is refused", async () => {
    const org = await organization();
    await addActive(org.test, "/db-1");
    const other = await addEndpoint(org.test, "/db-2");
    await expect(
      server.app.services.dataSource.query(`UPDATE collab_endpoints SET status = 'ACTIVE' WHERE id = $1`, [
        decodeId("CollaborativeAuthorizationEndpoint", other.id),
      ]),
    ).rejects.toThrow(/collab_endpoints_one_active_key/);
  });
});

describe("deactivate, rename, remove", () => {
  it("deactivating the active endpoint makes decisions DECLINED with NO_ACTIVE_ENDPOINT", async () => {
    const org = await organization();
    const active = await addActive(org.test, "/deactivate", { standInDecision: "APPROVE" });
    expect(await result(org.test, DEACTIVATE, { endpointId: active.id })).toMatchObject({
      status: "DEACTIVATED",
      deactivatedAt: expect.any(String),
    });
    expect(await simulate(org.test)).toMatchObject({
      responseCode: "DECLINED",
      authorizedAmount: 0,
      decidedBy: "STAND_IN",
      standInReason: "NO_ACTIVE_ENDPOINT",
      endpoint: null,
    });
    expect(await result(org.test, DEACTIVATE, { endpointId: active.id })).toEqual(userError("INVALID_STATE", ["input", "endpointId"]));
  });

  it("renames, refusing an empty name", async () => {
    const org = await organization();
    const added = await addEndpoint(org.test, "/rename");
    expect(await result(org.test, RENAME, { endpointId: added.id, name: "  Card decisions  " })).toMatchObject({ name: "Card decisions" });
    expect(await result(org.test, RENAME, { endpointId: added.id, name: "" })).toEqual(userError("INVALID_INPUT", ["input", "name"]));
    expect(await result(org.test, RENAME, { endpointId: added.id, name: " " })).toEqual(userError("INVALID_INPUT", ["input", "name"]));
    expect((await endpointsOf(org.test))[0].name).toBe("Card decisions");
  });

  it("refuses to remove the ACTIVE endpoint; a removed one is gone but its decisions still name it", async () => {
    const org = await organization();
    const active = await addActive(org.test, "/remove");
    const decided = await simulate(org.test);
    expect(await result(org.test, REMOVE, { endpointId: active.id })).toEqual(userError("INVALID_STATE", ["input", "endpointId"]));
    await result(org.test, DEACTIVATE, { endpointId: active.id });
    expect((await result(org.test, REMOVE, { endpointId: active.id })).id).toBe(active.id);

    expect(await endpointsOf(org.test)).toEqual([]);
    expect((await org.test.request<any>(NODE, { id: active.id })).node).toBeNull();
    for (const mutation of [ACTIVATE, DEACTIVATE, REMOVE]) {
      expect(await result(org.test, mutation, { endpointId: active.id })).toEqual(userError("NOT_FOUND", ["input", "endpointId"]));
    }
    const again = await org.test.request<any>(
      `query($id: ID!) { node(id: $id) { ... on CollaborativeAuthorizationRequest { endpoint { id name } } } }`,
      {
        id: decided.id,
      },
    );
    expect(again.node.endpoint).toEqual({ id: active.id, name: "Endpoint /remove" });
  });

  it("refuses ids of another type or shape with INVALID_INPUT and unknown ones with NOT_FOUND", async () => {
    const org = await organization();
    const cases: Array<[string, string]> = [
      ["key_0123456789abcdef0123456789abcdef", "INVALID_INPUT"],
      ["garbage", "INVALID_INPUT"],
      ["cae_0123456789abcdef0123456789abcdef", "NOT_FOUND"],
    ];
    for (const [endpointId, code] of cases) {
      for (const mutation of [ACTIVATE, DEACTIVATE, REMOVE]) {
        expect(await result(org.test, mutation, { endpointId })).toEqual(userError(code, ["input", "endpointId"]));
      }
      expect(await result(org.test, RENAME, { endpointId, name: "x" })).toEqual(userError(code, ["input", "endpointId"]));
    }
  });
});

describe("decisions", () => {
  it("sends the documented decision request signed with Standard Webhooks; id = webhook-id = the request's id", async () => {
    const org = await organization();
    const active = await addActive(org.test, "/payload");
    const [key] = (
      await org.test.request<any>(
        `query($id: ID!) { node(id: $id) { ... on CollaborativeAuthorizationEndpoint { signingKeys { secret } } } }`,
        {
          id: active.id,
        },
      )
    ).node.signingKeys;
    const decided = await simulate(org.test);
    expect(decided).toMatchObject({
      __typename: "CollaborativeAuthorizationRequest",
      id: expect.stringMatching(/^car_[0-9a-f]{32}$/),
      amount: 1250,
      currencyCode: "USD",
      merchantName: "Corner Coffee",
      responseCode: "APPROVED",
      authorizedAmount: 1250,
      decidedBy: "ENDPOINT",
      standInReason: null,
      endpoint: { id: active.id, name: "Endpoint /payload" },
    });
    const [message] = decisions("/payload");
    expect(message.json).toEqual({
      id: decided.id,
      type: "COLLABORATIVE_AUTHORIZATION_REQUEST",
      environment: "TEST",
      timestamp: expect.any(String),
      transaction: { amount: 1250, currencyCode: "USD", merchantName: "Corner Coffee" },
    });
    expect(message.headers["webhook-id"]).toBe(decided.id);
    expect(message.headers["content-type"]).toBe("application/json");
    expect(new Webhook(key.secret).verify(message.body, message.headers)).toEqual(message.json);
  });

  it("applies the endpoint's approval, decline and partial approval", async () => {
    const org = await organization();
    await addActive(org.test, "/answers");
    const cases: Array<[typeof approve, string, number]> = [
      [approve, "APPROVED", 1250],
      [decline, "DECLINED", 0],
      [approveHalf, "APPROVED", 625],
      [() => ({ status: 201, body: JSON.stringify({ responseCode: "DECLINED", authorizedAmount: 99 }) }), "DECLINED", 0],
      [() => ({ status: 200, body: JSON.stringify({ responseCode: "APPROVED", authorizedAmount: 0 }) }), "APPROVED", 0],
    ];
    for (const [behaviour, responseCode, authorizedAmount] of cases) {
      decision = behaviour;
      expect(await simulate(org.test)).toMatchObject({ responseCode, authorizedAmount, decidedBy: "ENDPOINT", standInReason: null });
    }
  });

  it("applies the stand-in decision on a 500, a body that is not JSON, or an unusable answer (ERROR)", async () => {
    const org = await organization();
    await addActive(org.test, "/error", { standInDecision: "APPROVE" });
    const unusable = [
      failWith500,
      garbage,
      () => ({ status: 200, body: JSON.stringify({ responseCode: "MAYBE" }) }),
      () => ({ status: 200, body: JSON.stringify({ responseCode: "APPROVED", authorizedAmount: 5000 }) }),
      () => ({ status: 200, body: JSON.stringify({ responseCode: "APPROVED", authorizedAmount: 12.5 }) }),
      () => ({ status: 200, body: JSON.stringify(["APPROVED"]) }),
      () => ({ status: 302, body: JSON.stringify({ responseCode: "DECLINED" }) }),
      () => ({ status: 200, body: JSON.stringify({ responseCode: "DECLINED", padding: "x".repeat(2000) }) }),
    ];
    for (const behaviour of unusable) {
      decision = behaviour;
      expect(await simulate(org.test)).toMatchObject({
        responseCode: "APPROVED",
        authorizedAmount: 1250,
        decidedBy: "STAND_IN",
        standInReason: "ERROR",
      });
    }
  });

  it("applies the stand-in decision when the endpoint is unreachable (ERROR)", async () => {
    const org = await organization();
    const gone = await Receiver.start();
    const added = await result(org.test, ADD, { name: "gone", uri: gone.target("/decide") });
    await result(org.test, ACTIVATE, { endpointId: added.id });
    await gone.stop();
    expect(await simulate(org.test)).toMatchObject({ responseCode: "DECLINED", decidedBy: "STAND_IN", standInReason: "ERROR" });
  });

  it("records each decision, lists them newest first and writes a COLLABORATIVE_AUTHORIZATION_DECIDED event", async () => {
    const org = await organization();
    await addActive(org.test, "/records");
    const first = await simulate(org.test, { amount: 100, currencyCode: "EUR" });
    decision = decline;
    const second = await simulate(org.test, { amount: 200, currencyCode: "EUR", merchantName: "  Bakery " });
    const data = await org.test.request<any>(REQUESTS, { first: 10 });
    const list = data.organizations[0].collaborativeAuthorizationRequests;
    expect(list.totalCount).toBe(2);
    expect(list.edges.map((e: any) => e.node.id)).toEqual([second.id, first.id]);
    expect(list.edges[0].node).toMatchObject({ amount: 200, merchantName: "Bakery", responseCode: "DECLINED" });
    expect(list.edges[1].node).toMatchObject({ amount: 100, merchantName: null, responseCode: "APPROVED" });
    expect((await org.test.request<any>(NODE, { id: first.id })).node).toEqual({
      __typename: "CollaborativeAuthorizationRequest",
      id: first.id,
    });

    const events = await org.test.request<any>(
      `{ organizations { notificationEvents(first: 100, filterBy: { name: [COLLABORATIVE_AUTHORIZATION_DECIDED] }) { edges { node { data } } } } }`,
    );
    expect(events.organizations[0].notificationEvents.edges.map((e: any) => e.node.data).reverse()).toEqual([
      expect.objectContaining({ id: first.id, responseCode: "APPROVED", authorizedAmount: 100, decidedBy: "ENDPOINT" }),
      expect.objectContaining({ id: second.id, responseCode: "DECLINED", authorizedAmount: 0, merchantName: "Bakery" }),
    ]);
  });

  it("refuses bad amounts and currency codes with the field's path", async () => {
    const org = await organization();
    const cases: Array<[Record<string, unknown>, string[]]> = [
      [{ amount: -1, currencyCode: "USD" }, ["input", "amount"]],
      [{ amount: 100, currencyCode: "usd" }, ["input", "currencyCode"]],
      [{ amount: 100, currencyCode: "US" }, ["input", "currencyCode"]],
      [{ amount: 100, currencyCode: "USD", merchantName: "m".repeat(201) }, ["input", "merchantName"]],
    ];
    for (const [input, path] of cases) expect(await simulate(org.test, input)).toEqual(userError("INVALID_INPUT", path));
    const fractional = await server.post(SIMULATE, { input: { amount: 12.5, currencyCode: "USD" } }, bearer(org.testKey));
    expect(fractional.status).toBe(400);
    expect((await org.test.request<any>(REQUESTS)).organizations[0].collaborativeAuthorizationRequests.totalCount).toBe(0);
  });

  it("is not available in LIVE", async () => {
    const org = await organization();
    expect(await simulate(org.live)).toEqual(userError("NOT_AVAILABLE_IN_LIVE", []));
  });
});

describe("budgets", () => {
  // The only tests with short budgets: each is about what happens when an answer comes too late. A late
  // answer is one that never comes ("hang"), so no test depends on how fast this machine is.
  let short: TestServer;
  let defaults: TestServer;
  beforeAll(async () => {
    short = await startTestServer({ KEYWAY_COLLAB_TIMEOUT_MS: "400" }, { dnsLookup });
    defaults = await startTestServer({}, { dnsLookup });
  });
  afterAll(async () => {
    await short?.stop();
    await defaults?.stop();
  });

  /** Activates until a verification is answered within the budget: a loaded machine may miss 400 ms now and then. */
  async function activateInTime(client: GraphQLClient, endpointId: string): Promise<any> {
    return waitFor(
      async () => {
        const activated = await result(client, ACTIVATE, { endpointId });
        return activated.status === "ACTIVE" && activated;
      },
      60_000,
      "an activation answered within the budget",
    );
  }

  it("makes an endpoint ACTIVATION_FAILED when its verification is not answered in time, leaving the active one active", async () => {
    const client = short.client((await short.otherOrganization()).testKey);
    const active = await addEndpoint(client, "/late-verification-active");
    await activateInTime(client, active.id);
    verification = "hang";
    const candidate = await addEndpoint(client, "/late-verification");
    expect(await result(client, ACTIVATE, { endpointId: candidate.id })).toMatchObject({ id: candidate.id, status: "ACTIVATION_FAILED" });
    expect((await endpointsOf(client)).map((e) => [e.id, e.status])).toEqual([
      [candidate.id, "ACTIVATION_FAILED"],
      [active.id, "ACTIVE"],
    ]);
  });

  it("applies the stand-in decision when the endpoint does not answer in time (TIMEOUT), after waiting the whole budget", async () => {
    const client = short.client((await short.otherOrganization()).testKey);
    const added = await addEndpoint(client, "/timeout");
    await activateInTime(client, added.id);
    decision = "hang";
    const decided = await simulate(client);
    expect(decided).toMatchObject({
      responseCode: "DECLINED",
      authorizedAmount: 0,
      decidedBy: "STAND_IN",
      standInReason: "TIMEOUT",
      endpoint: { id: added.id },
    });
    expect(decided.latencyMs).toBeGreaterThanOrEqual(399);
    expect(decisions("/timeout")).toHaveLength(1);
  });

  it("waits 2 s by default (KEYWAY_COLLAB_TIMEOUT_MS unset)", async () => {
    const added = await addEndpoint(defaults.admin, "/default-budget");
    expect((await activateInTime(defaults.admin, added.id)).status).toBe("ACTIVE");
    decision = "hang";
    const decided = await result(defaults.admin, SIMULATE, PURCHASE);
    expect(decided).toMatchObject({ decidedBy: "STAND_IN", standInReason: "TIMEOUT", responseCode: "DECLINED" });
    expect(decided.latencyMs).toBeGreaterThanOrEqual(1999);
  });
});

describe("tenancy", () => {
  it("hides endpoints and decisions from the other environment and other organizations", async () => {
    const org = await organization();
    const active = await addActive(org.test, "/tenancy");
    const decided = await simulate(org.test);
    const stranger = await organization();

    for (const client of [org.live, stranger.test]) {
      expect((await client.request<any>(NODE, { id: active.id })).node).toBeNull();
      expect((await client.request<any>(NODE, { id: decided.id })).node).toBeNull();
      expect(await endpointsOf(client)).toEqual([]);
      expect((await client.request<any>(REQUESTS)).organizations[0].collaborativeAuthorizationRequests.totalCount).toBe(0);
      for (const mutation of [ACTIVATE, DEACTIVATE, REMOVE]) {
        expect(await result(client, mutation, { endpointId: active.id })).toEqual(userError("NOT_FOUND", ["input", "endpointId"]));
      }
      expect(await result(client, RENAME, { endpointId: active.id, name: "stolen" })).toEqual(
        userError("NOT_FOUND", ["input", "endpointId"]),
      );
    }
    // The other organization's decisions do not reach this organization's endpoint.
    const before = decisions("/tenancy").length;
    expect(await simulate(stranger.test)).toMatchObject({ standInReason: "NO_ACTIVE_ENDPOINT", endpoint: null });
    expect(decisions("/tenancy")).toHaveLength(before);
    expect(await endpointsOf(org.test)).toEqual([expect.objectContaining({ id: active.id, name: "Endpoint /tenancy", status: "ACTIVE" })]);
  });
});

describe("roles", () => {
  it("lets READONLY keys read endpoints and decisions but not signing keys, and refuses every mutation", async () => {
    const org = await organization();
    const active = await addActive(org.test, "/roles");
    await simulate(org.test);
    const readonlyKey = await server.issueKey(APIKeyRole.READONLY, Environment.TEST, org.id);
    const readonly = server.client(readonlyKey);

    expect((await endpointsOf(readonly)).map((e) => e.id)).toEqual([active.id]);
    expect((await readonly.request<any>(REQUESTS)).organizations[0].collaborativeAuthorizationRequests.totalCount).toBe(1);
    const secrets = await server.post(
      `{ organizations { collaborativeAuthorizationEndpoints { edges { node { id signingKeys { secret } } } } } }`,
      {},
      bearer(readonlyKey),
    );
    expect(secrets.body.data?.organizations[0].collaborativeAuthorizationEndpoints.edges[0].node).toEqual({
      id: active.id,
      signingKeys: null,
    });
    expect(secrets.body.errors?.[0].extensions?.code).toBe("FORBIDDEN");

    const denied = { __typename: "AccessDeniedError", message: expect.any(String) };
    expect(await result(readonly, ADD, { name: "nope", uri: endpoint.target("/decide") })).toEqual(denied);
    for (const mutation of [ACTIVATE, DEACTIVATE, REMOVE])
      expect(await result(readonly, mutation, { endpointId: active.id })).toEqual(denied);
    expect(await result(readonly, RENAME, { endpointId: active.id, name: "nope" })).toEqual(denied);
    expect(await simulate(readonly)).toEqual(denied);

    expect(await endpointsOf(org.test)).toEqual([expect.objectContaining({ id: active.id, name: "Endpoint /roles", status: "ACTIVE" })]);
    expect((await org.test.request<any>(REQUESTS)).organizations[0].collaborativeAuthorizationRequests.totalCount).toBe(1);
  });

  it("lets ADMIN keys do everything (collab:write and collab:simulate)", async () => {
    const org = await organization();
    const active = await addActive(org.test, "/admin");
    expect((await simulate(org.test)).decidedBy).toBe("ENDPOINT");
    expect((await result(org.test, RENAME, { endpointId: active.id, name: "renamed" })).name).toBe("renamed");
    expect((await result(org.test, DEACTIVATE, { endpointId: active.id })).status).toBe("DEACTIVATED");
    expect((await result(org.test, REMOVE, { endpointId: active.id })).id).toBe(active.id);
  });
});
