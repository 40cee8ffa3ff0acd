import {
  getNamedType,
  GraphQLInputObjectType,
  GraphQLObjectType,
  isInputObjectType,
  isListType,
  isNonNullType,
  GraphQLInputType,
} from "graphql";
import type { GraphQLClient } from "graphql-request";
import { queueDrained } from "./helpers/database";
import { createKey } from "./helpers/keys";
import { Receiver } from "./helpers/receiver";
import { startTestServer, TestServer } from "./helpers/server";
import { createUser, INVITE } from "./helpers/users";
import { waitFor } from "./helpers/wait";
import { APIKeyRole, Environment, UserRole } from "../src/entities/enums";
import { createSchema } from "../src/schema/build-schema";
import { ID_PREFIXES, NodeTypeName, parseId } from "../src/db/ids";

/**
 * Generated from the schema: every ID argument of every mutation, and node() for every Node type, tried with ids
 * that must not reach anything — of the other environment, of another organization, of another type, malformed,
 * unknown. An id of another tenant behaves exactly like one that does not exist (mutation → UserError
 * NOT_FOUND, node → null); an id that is not an id of the expected type is INVALID_INPUT. Nothing changes: the
 * object, the audit log and the events stay as they were.
 */

/** Which type each ID argument names, written by hand: a new ID argument fails the test until it is added here. */
const ID_ARGUMENT_TYPES: Record<string, NodeTypeName> = {
  apiKeyId: "APIKey",
  targetId: "WebhookNotificationTarget",
  targetIds: "WebhookNotificationTarget",
  endpointId: "CollaborativeAuthorizationEndpoint",
  userId: "User",
  notificationEventId: "NotificationEvent",
};

/** The valid rest of each input (the ID arguments are filled per case). */
const REST_OF_INPUT: Record<string, Record<string, unknown>> = {
  updateAPIKey: { name: "matrix rename" },
  renameNotificationTarget: { name: "matrix rename" },
  renameCollaborativeAuthorizationEndpoint: { name: "matrix rename" },
  addSubscriptionsToNotificationTarget: { subscriptions: ["USER_INVITED"] },
  removeSubscriptionsFromNotificationTarget: { subscriptions: ["API_KEY_CREATED"] },
  setEmailForNotificationTarget: { email: "matrix@example.test" },
  updateUserRole: { role: "SUPPORT" },
  setNotificationTargetRateLimit: { maxDeliveriesPerSecond: 5 },
  recoverNotificationEvents: { since: new Date(Date.now() - 3_600_000).toISOString() },
};

interface IdArgument {
  mutation: string;
  inputType: string;
  /** The field's name in the input, e.g. apiKeyId. */
  name: string;
  type: NodeTypeName;
  list: boolean;
  required: boolean;
}

/** Every field of type ID (or [ID]) in the inputs of the Mutation type. */
function idArguments(mutationType: GraphQLObjectType): IdArgument[] {
  const found: IdArgument[] = [];
  for (const field of Object.values(mutationType.getFields())) {
    const input = field.args.find((arg) => arg.name === "input");
    if (!input) continue;
    const inputType = getNamedType(input.type) as GraphQLInputObjectType;
    for (const inner of Object.values(inputType.getFields())) {
      // Nested inputs (createSecretAPIKey's secretKey) hold no ids today; fail loudly if one ever does.
      if (isInputObjectType(getNamedType(inner.type))) {
        const nested = getNamedType(inner.type) as GraphQLInputObjectType;
        expect([
          field.name,
          Object.values(nested.getFields())
            .filter((f) => getNamedType(f.type).name === "ID")
            .map((f) => f.name),
        ]).toEqual([field.name, []]);
        continue;
      }
      if (getNamedType(inner.type).name !== "ID") continue;
      expect([inner.name, ID_ARGUMENT_TYPES[inner.name] !== undefined]).toEqual([inner.name, true]);
      const unwrapped: GraphQLInputType = isNonNullType(inner.type) ? inner.type.ofType : inner.type;
      found.push({
        mutation: field.name,
        inputType: inputType.name,
        name: inner.name,
        type: ID_ARGUMENT_TYPES[inner.name],
        list: isListType(unwrapped),
        required: isNonNullType(inner.type),
      });
    }
  }
  return found;
}

let server: TestServer;
let receiver: Receiver;
let schema: Awaited<ReturnType<typeof createSchema>>;
/** The bootstrap organization's TEST environment: it owns the objects the others reach for. */
let owner: GraphQLClient;
let sameOrganizationLive: GraphQLClient;
let otherOrganization: GraphQLClient;
/** The credential behind each client, for requests sent as plain POSTs. */
const credentials = new Map<GraphQLClient, string>();
const credentialOf = (client: GraphQLClient) => credentials.get(client)!;
/** An id of each type, owned by `owner`. */
const owned: Partial<Record<NodeTypeName, string>> = {};
/** Each actor's own notification event (replay's other argument). */
const ownEvent = new Map<GraphQLClient, string>();

async function firstEventId(client: GraphQLClient): Promise<string> {
  const data = await client.request<any>(`{ organizations { notificationEvents(first: 1) { edges { node { id } } } } }`);
  return data.organizations[0].notificationEvents.edges[0].node.id;
}

beforeAll(async () => {
  schema = await createSchema(null);
  receiver = await Receiver.start();
  server = await startTestServer();
  const liveKey = await server.issueKey(APIKeyRole.ADMIN, Environment.LIVE);
  const otherKey = (await server.otherOrganization()).testKey;
  owner = server.admin;
  sameOrganizationLive = server.client(liveKey);
  otherOrganization = server.client(otherKey);
  credentials.set(owner, server.adminKey).set(sameOrganizationLive, liveKey).set(otherOrganization, otherKey);

  owned.APIKey = (await createKey(owner, { name: "matrix key", description: "unchanged" })).id;
  const target = await owner.request<any>(
    `mutation($uri: String!) { addWebhookNotificationTarget(input: { name: "matrix target", uri: $uri, subscriptions: [API_KEY_CREATED] }) {
      ... on WebhookNotificationTarget { id signingKeys { id } } } }`,
    { uri: receiver.target("matrix") },
  );
  owned.WebhookNotificationTarget = target.addWebhookNotificationTarget.id;
  const endpoint = await owner.request<any>(
    `mutation($uri: String!) { addCollaborativeAuthorizationEndpoint(input: { name: "matrix endpoint", uri: $uri }) {
      ... on CollaborativeAuthorizationEndpoint { id } } }`,
    { uri: receiver.target("matrix-endpoint") },
  );
  owned.CollaborativeAuthorizationEndpoint = endpoint.addCollaborativeAuthorizationEndpoint.id;
  owned.User = (await createUser(server, UserRole.DEVELOPER)).userId;
  const invited = await owner.request<any>(INVITE, { input: { email: "matrix-invitee@example.test", role: "SUPPORT" } });
  owned.UserInvitation = invited.inviteUser.id;
  const simulated = await owner.request<any>(
    `mutation { simulateCollaborativeAuthorization(input: { amount: 100, currencyCode: "USD" }) { ... on CollaborativeAuthorizationRequest { id } } }`,
  );
  owned.CollaborativeAuthorizationRequest = simulated.simulateCollaborativeAuthorization.id;
  for (const client of [sameOrganizationLive, otherOrganization]) {
    await createKey(client);
    ownEvent.set(client, await firstEventId(client));
  }
  // Settled: the target's activation has been delivered, nothing runs in the background any more.
  await waitFor(
    async () => (await node(owner, owned.WebhookNotificationTarget!, "... on WebhookNotificationTarget { status }"))?.status === "ACTIVE",
    undefined,
    "the target's activation",
  );
  await queueDrained(server.app.databaseUrl);

  const view = await owner.request<any>(
    `query($target: ID!) {
    organizations { id auditLog(first: 1) { edges { node { id } } } notificationEvents(first: 1) { edges { node { id } } }
      users(first: 20) { edges { node { id user { id } } } } }
    node(id: $target) { ... on WebhookNotificationTarget { deliveryAttempts(first: 1) { edges { node { id } } } } }
  }`,
    { target: owned.WebhookNotificationTarget },
  );
  const organization = view.organizations[0];
  owned.Organization = organization.id;
  owned.AuditLogEntry = organization.auditLog.edges[0].node.id;
  owned.NotificationEvent = organization.notificationEvents.edges[0].node.id;
  owned.UserMembership = organization.users.edges.find((e: any) => e.node.user.id === owned.User).node.id;
  owned.DeliveryAttempt = view.node.deliveryAttempts.edges[0].node.id;
  ownEvent.set(owner, owned.NotificationEvent!);
});
afterAll(async () => {
  await server?.stop();
  await receiver?.stop();
});

async function node(client: GraphQLClient, id: string, selection = "__typename id"): Promise<any> {
  return (await client.request<any>(`query($id: ID!) { node(id: $id) { ${selection} } }`, { id })).node;
}

/** What an owner sees of each type that a mutation could change. */
const SNAPSHOTS: Partial<Record<NodeTypeName, string>> = {
  APIKey: "... on APIKey { name description role status expiresAt updatedAt deactivatedAt revokedAt rotatedTo { id } }",
  WebhookNotificationTarget:
    "... on WebhookNotificationTarget { name email subscriptions maxDeliveriesPerSecond status updatedAt deactivatedAt signingKeys { id } }",
  CollaborativeAuthorizationEndpoint:
    "... on CollaborativeAuthorizationEndpoint { name status standInDecision updatedAt signingKeys { id } }",
  NotificationEvent: "... on NotificationEvent { id name deliveryAttempts { totalCount } }",
};

async function snapshot(type: NodeTypeName): Promise<unknown> {
  if (type === "User") {
    const data = await owner.request<any>(
      `{ organizations { users(first: 20) { edges { node { id role environment user { id email name } } } } } }`,
    );
    return data.organizations[0].users.edges.find((e: any) => e.node.user.id === owned.User)?.node ?? null;
  }
  return node(owner, owned[type]!, SNAPSHOTS[type]);
}

/** The audit log's and the events' sizes as `client` sees them. */
async function journal(client: GraphQLClient): Promise<{ audit: number; events: number }> {
  const data = await client.request<any>(`{ organizations { auditLog { totalCount } notificationEvents { totalCount } } }`);
  return { audit: data.organizations[0].auditLog.totalCount, events: data.organizations[0].notificationEvents.totalCount };
}

/** A 32-hex uuid body nobody has. */
function unknownId(type: NodeTypeName): string {
  return `${ID_PREFIXES[type]}_${"f".repeat(24)}${Math.floor(Math.random() * 0xffffffff)
    .toString(16)
    .padStart(8, "0")}`;
}

/** An existing id of the owner, but of another type than `type`. */
function idOfAnotherType(type: NodeTypeName): string {
  return type === "APIKey" ? owned.WebhookNotificationTarget! : owned.APIKey!;
}

interface Variant {
  name: string;
  actor: () => GraphQLClient;
  id: (type: NodeTypeName) => string;
  code: "NOT_FOUND" | "INVALID_INPUT";
}

const VARIANTS: Variant[] = [
  { name: "the owner's id, from the other environment", actor: () => sameOrganizationLive, id: (type) => owned[type]!, code: "NOT_FOUND" },
  { name: "the owner's id, from another organization", actor: () => otherOrganization, id: (type) => owned[type]!, code: "NOT_FOUND" },
  { name: "an existing id of another type", actor: () => owner, id: idOfAnotherType, code: "INVALID_INPUT" },
  { name: "a malformed id", actor: () => owner, id: () => "not-an-id", code: "INVALID_INPUT" },
  {
    name: "the right prefix with a malformed body",
    actor: () => owner,
    id: (type) => `${ID_PREFIXES[type]}_${"z".repeat(32)}`,
    code: "INVALID_INPUT",
  },
  { name: "an unknown id of the right type", actor: () => owner, id: unknownId, code: "NOT_FOUND" },
];

describe("every ID argument of every mutation", () => {
  it("answers ids of other tenants NOT_FOUND and bad ids INVALID_INPUT, changing nothing, writing no audit row and no event", async () => {
    const args = idArguments(schema.getMutationType()!);
    // 6 key mutations, 9 target mutations, 4 endpoint mutations, 2 user mutations, replay's two: 23 when written.
    expect(args.length).toBeGreaterThanOrEqual(23);
    const mutations = new Set(args.map((arg) => arg.mutation));
    expect(mutations.size).toBeGreaterThanOrEqual(22);

    const mismatches: string[] = [];
    let cases = 0;
    const journals = async () => Promise.all([owner, sameOrganizationLive, otherOrganization].map(journal));
    for (const arg of args) {
      const before = await snapshot(arg.type);
      const journalsBefore = await journals();
      expect([arg.mutation, arg.name, before]).not.toEqual([arg.mutation, arg.name, null]);
      for (const variant of VARIANTS) {
        const actor = variant.actor();
        const bad = variant.id(arg.type);
        const input: Record<string, unknown> = { ...REST_OF_INPUT[arg.mutation] };
        // The other ID arguments of the input, valid for the actor.
        for (const other of args.filter((a) => a.mutation === arg.mutation && a.name !== arg.name && a.required)) {
          input[other.name] = other.type === "NotificationEvent" ? ownEvent.get(actor) : undefined;
        }
        input[arg.name] = arg.list ? [bad] : bad;
        const result = await server.post(
          `mutation($input: ${arg.inputType}!) { result: ${arg.mutation}(input: $input) { __typename ... on UserError { errors { code errorPath } } } }`,
          { input },
          { authorization: `Bearer ${credentialOf(actor)}` },
        );
        cases++;
        const label = `${arg.mutation}.${arg.name} with ${variant.name}`;
        const expected = {
          __typename: "UserError",
          errors: [{ code: variant.code, errorPath: ["input", arg.name, ...(arg.list ? ["0"] : [])] }],
        };
        const payload = result.body.data?.result;
        if (result.status !== 200 || JSON.stringify(payload) !== JSON.stringify(expected)) {
          mismatches.push(`${label}: HTTP ${result.status} ${JSON.stringify(payload ?? result.body.errors)}`);
        }
      }
      // The audit log and the events of all three tenants, after the six attempts on this argument.
      const journalsAfter = await journals();
      if (JSON.stringify(journalsAfter) !== JSON.stringify(journalsBefore)) {
        mismatches.push(`${arg.mutation}.${arg.name}: audit log or events changed ${JSON.stringify([journalsBefore, journalsAfter])}`);
      }
      const after = await snapshot(arg.type);
      if (JSON.stringify(after) !== JSON.stringify(before))
        mismatches.push(`${arg.mutation}.${arg.name}: the object changed ${JSON.stringify([before, after])}`);
    }
    expect(mismatches).toEqual([]);
    expect(cases).toBe(args.length * VARIANTS.length);
    process.stdout.write(
      `mutation id matrix: ${args.length} ID arguments (${mutations.size} mutations) × ${VARIANTS.length} ids = ${cases} cases\n`,
    );
  });
});

describe("node() for every Node type", () => {
  it("is null for ids of the other environment, another organization, another type, malformed or unknown", async () => {
    const nodeTypes = Object.values(schema.getTypeMap())
      .filter((type): type is GraphQLObjectType => type instanceof GraphQLObjectType && type.getInterfaces().some((i) => i.name === "Node"))
      .map((type) => type.name as NodeTypeName);
    expect(nodeTypes.length).toBeGreaterThanOrEqual(11);
    const mismatches: string[] = [];
    let cases = 0;
    let loadable = 0;
    for (const type of nodeTypes) {
      const id = owned[type];
      if (!id) {
        mismatches.push(`${type}: no object of this type was created for the matrix`);
        continue;
      }
      expect([type, parseId(id)?.type]).toEqual([type, type]);
      // The owner's own view: the object or (for types node() does not load yet) null, never an error.
      const own = await server.post(
        `query($id: ID!) { node(id: $id) { __typename id } }`,
        { id },
        { authorization: `Bearer ${server.adminKey}` },
      );
      if (own.body.errors) mismatches.push(`${type}: the owner's node() errs ${JSON.stringify(own.body.errors)}`);
      if (own.body.data?.node) {
        loadable++;
        if (own.body.data.node.id !== id || own.body.data.node.__typename !== type)
          mismatches.push(`${type}: the owner loads ${JSON.stringify(own.body.data.node)}`);
      }
      const hex = id.slice(id.indexOf("_") + 1);
      const anotherPrefix = Object.values(ID_PREFIXES).find((prefix) => prefix !== ID_PREFIXES[type])!;
      const attempts: Array<[string, GraphQLClient, string]> = [
        // The organization owns both environments: from LIVE it is the viewer's own (checked below).
        ...(type === "Organization"
          ? []
          : ([["from the other environment", sameOrganizationLive, id]] as Array<[string, GraphQLClient, string]>)),
        ["from another organization", otherOrganization, id],
        ["with another type's prefix", owner, `${anotherPrefix}_${hex}`],
        ["malformed", owner, `${ID_PREFIXES[type]}_${hex.slice(1)}`],
        ["unknown", owner, unknownId(type)],
      ];
      for (const [how, client, candidate] of attempts) {
        const result = await server.post(
          `query($id: ID!) { node(id: $id) { __typename id } }`,
          { id: candidate },
          { authorization: `Bearer ${credentialOf(client)}` },
        );
        cases++;
        if (result.status !== 200 || result.body.errors || result.body.data?.node !== null) {
          mismatches.push(`${type} ${how}: HTTP ${result.status} ${JSON.stringify(result.body)}`);
        }
      }
    }
    const organization = await sameOrganizationLive.request<any>(`query($id: ID!) { node(id: $id) { id } }`, { id: owned.Organization });
    expect(organization.node).toEqual({ id: owned.Organization });
    expect(mismatches).toEqual([]);
    expect(cases).toBeGreaterThanOrEqual(11 * 5 - 1);
    // Every type but DeliveryAttempt loads for its owner when this was written.
    expect(loadable).toBeGreaterThanOrEqual(10);
    process.stdout.write(
      `node matrix: ${nodeTypes.length} Node types × 5 ids = ${cases} cases (${loadable} types loadable by their owner)\n`,
    );
  });
});
