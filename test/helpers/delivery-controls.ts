import type { GraphQLClient } from "graphql-request";
import { APIKeyRole, UserRole } from "../../src/entities/enums";
import type { Receiver } from "./receiver";
import type { TestServer } from "./server";
import { createUser } from "./users";
import { waitFor } from "./wait";

export const PAYLOAD_ERRORS = `... on UserError { errors { code errorPath description } } ... on AccessDeniedError { message }`;

export const ADD = `mutation($input: AddWebhookNotificationTargetInput!) { addWebhookNotificationTarget(input: $input) {
  __typename ... on WebhookNotificationTarget { id maxDeliveriesPerSecond } ${PAYLOAD_ERRORS} } }`;

export const SET_RATE_LIMIT = `mutation($input: SetNotificationTargetRateLimitInput!) { setNotificationTargetRateLimit(input: $input) {
  __typename ... on WebhookNotificationTarget { id maxDeliveriesPerSecond } ${PAYLOAD_ERRORS} } }`;

export const RECOVER = `mutation($input: RecoverNotificationEventsInput!) { recoverNotificationEvents(input: $input) {
  __typename ... on NotificationEventRecovery { id since until eventCount createdAt target { id } } ${PAYLOAD_ERRORS} } }`;

const STATUS = `query($id: ID!) { node(id: $id) { ... on WebhookNotificationTarget { status } } }`;

/** A target on `receiver` at `path`, subscribed to API_KEY_CREATED, once its activation was answered (ACTIVE). */
export async function activeTarget(
  client: GraphQLClient,
  receiver: Receiver,
  path: string,
  extra: Record<string, unknown> = {},
): Promise<string> {
  const added = await client.request<any>(ADD, {
    input: { name: `target ${path}`, uri: receiver.target(path), subscriptions: ["API_KEY_CREATED"], ...extra },
  });
  const id: string = added.addWebhookNotificationTarget.id;
  if (!id) throw new Error(JSON.stringify(added));
  await waitFor(async () => (await client.request<any>(STATUS, { id })).node.status === "ACTIVE", undefined, `${path} to be ACTIVE`);
  return id;
}

/** One API_KEY_CREATED event, created through the API; returns its event id (the webhook-id receivers get). */
export async function keyCreatedEvent(client: GraphQLClient, name: string): Promise<string> {
  await client.request(`mutation($name: String!) { createSecretAPIKey(input: { secretKey: { name: $name } }) { __typename } }`, { name });
  const events = await client.request<any>(
    `{ organizations { notificationEvents(first: 1, filterBy: { name: [API_KEY_CREATED] }) { edges { node { id } } } } }`,
  );
  return events.organizations[0].notificationEvents.edges[0].node.id;
}

/** The API_KEY_CREATED requests `receiver` got on `path`, as webhook-ids in arrival order. */
export function deliveredIds(receiver: Receiver, path: string): string[] {
  return receiver
    .to(path)
    .filter((request) => request.json?.type === "API_KEY_CREATED")
    .map((request) => request.headers["webhook-id"]);
}

/** Clients per role of the bootstrap organization's TEST environment: keys and user sessions. */
export type RoleClients = Record<"adminKey" | "readonlyKey" | "adminUser" | "developerUser" | "supportUser", GraphQLClient>;

export async function roleClients(server: TestServer): Promise<RoleClients> {
  const user = async (role: UserRole) => server.client((await createUser(server, role)).token);
  return {
    adminKey: server.admin,
    readonlyKey: server.client(await server.issueKey(APIKeyRole.READONLY)),
    adminUser: await user(UserRole.ADMIN),
    developerUser: await user(UserRole.DEVELOPER),
    supportUser: await user(UserRole.SUPPORT),
  };
}
