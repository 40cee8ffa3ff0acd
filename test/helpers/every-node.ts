import { randomBytes } from "node:crypto";
import { isObjectType } from "graphql";
import { GraphQLClient } from "graphql-request";
import { createSchema } from "../../src/schema/build-schema";
import { Receiver } from "./receiver";
import { startTestServer, TestServer } from "./server";
import { waitFor } from "./wait";

/** Every list of the organization, with the objects inside them that implement Node. */
const EVERYTHING = `{ organizations { __typename id
  apiKeys(first: 3) { edges { node { __typename id } } }
  auditLog(first: 3) { edges { node { __typename id } } }
  collaborativeAuthorizationEndpoints(first: 3) { edges { node { __typename id } } }
  collaborativeAuthorizationRequests(first: 3) { edges { node { __typename id } } }
  invitations(first: 3) { edges { node { __typename id } } }
  notificationEvents(first: 3) { edges { node { __typename id } } }
  users(first: 3) { edges { node { __typename id user { __typename id } } } }
  webhookNotificationTargets(first: 3) { edges { node { __typename id deliveryAttempts(first: 3) { edges { node { __typename id } } } } } }
} }`;

function collect(value: unknown, into: Map<string, string>): void {
  if (Array.isArray(value)) value.forEach((item) => collect(item, into));
  else if (value && typeof value === "object") {
    const object = value as Record<string, unknown>;
    if (typeof object.__typename === "string" && typeof object.id === "string" && !into.has(object.__typename))
      into.set(object.__typename, object.id);
    Object.values(object).forEach((item) => collect(item, into));
  }
}

/**
 * Creates, through the API as `admin` (an ADMIN of a PAID organization), at least one
 * object of every kind, and returns one id per type name (`__typename` → id).
 * `receiverUrl` answers the target's activation, which makes a DeliveryAttempt.
 */
export async function oneOfEachNode(admin: GraphQLClient, receiverUrl: string): Promise<Map<string, string>> {
  const tag = randomBytes(3).toString("hex");
  await admin.request(`mutation($i: CreateSecretAPIKeyInput!) { createSecretAPIKey(input: $i) { __typename } }`, {
    i: { secretKey: { name: `every-${tag}` } },
  });
  await admin.request(`mutation($i: InviteUserInput!) { inviteUser(input: $i) { __typename } }`, {
    i: { email: `every-${tag}@example.test`, role: "SUPPORT" },
  });
  await admin.request(`mutation($i: AddWebhookNotificationTargetInput!) { addWebhookNotificationTarget(input: $i) { __typename } }`, {
    i: { name: `every-${tag}`, uri: `${receiverUrl}/every-${tag}?token=t0ken&x=1`, subscriptions: ["API_KEY_CREATED"] },
  });
  await admin.request(
    `mutation($i: AddCollaborativeAuthorizationEndpointInput!) { addCollaborativeAuthorizationEndpoint(input: $i) { __typename } }`,
    {
      i: { name: `every-${tag}`, uri: `${receiverUrl}/decide-${tag}` },
    },
  );
  await admin.request(
    `mutation($i: SimulateCollaborativeAuthorizationInput!) { simulateCollaborativeAuthorization(input: $i) { __typename } }`,
    {
      i: { amount: 100, currencyCode: "USD", merchantName: "Every" },
    },
  );
  return waitFor(
    async () => {
      const ids = new Map<string, string>();
      collect(await admin.request(EVERYTHING), ids);
      return ids.has("DeliveryAttempt") ? ids : undefined;
    },
    10000,
    "a delivery attempt of the activation",
  );
}

/** The names of the schema's object types that implement Node, sorted. */
export async function nodeTypeNames(): Promise<string[]> {
  const schema = await createSchema(null);
  return Object.values(schema.getTypeMap())
    .filter((type) => isObjectType(type) && type.getInterfaces().some((iface) => iface.name === "Node"))
    .map((type) => type.name)
    .sort();
}

export interface EveryNode {
  server: TestServer;
  /** One id per Node type name, from oneOfEachNode. */
  ids: Map<string, string>;
  /** Every Node type of the schema. */
  nodeTypes: string[];
}

/**
 * For the calling test file: a test server whose organization holds an object of every Node type (oneOfEachNode,
 * answered by a local receiver), started before its tests and stopped after them. Filled in by beforeAll.
 */
export function withEveryNode(): EveryNode {
  const everyNode = {} as EveryNode;
  let receiver: Receiver | undefined;
  beforeAll(async () => {
    receiver = await Receiver.start();
    everyNode.server = await startTestServer({ KEYWAY_WEBHOOK_ACTIVATION_TIMEOUT_MS: "2000", KEYWAY_COLLAB_TIMEOUT_MS: "500" });
    everyNode.ids = await oneOfEachNode(everyNode.server.admin, receiver.url);
    everyNode.nodeTypes = await nodeTypeNames();
  });
  afterAll(async () => {
    await everyNode.server?.stop();
    await receiver?.stop();
  });
  return everyNode;
}
