import { approvingEndpoint, Receiver } from "./receiver";
import { ADMIN_EMAIL, ADMIN_PASSWORD, bearer, TestServer } from "./server";
import { waitFor } from "./wait";

/** Settings a seeded server needs: room for more than a page of every list, one attempt per delivery. */
export const SEED_ENV: Record<string, string> = {
  KEYWAY_MAX_TARGETS_PER_ENVIRONMENT: "200",
  KEYWAY_MAX_COLLAB_ENDPOINTS_PER_ENVIRONMENT: "200",
  // One attempt per delivery: no retry comes later to change what a list returns.
  KEYWAY_RETRY_SCHEDULE: "0",
  // The expiry sweep runs at start and not again within a test: a later sweep records the rotated key's expiry
  // (its updatedAt moves) between two reads the list matrix compares, as it did once in a 64 s run.
  KEYWAY_EXPIRY_SWEEP_SECONDS: "3600",
  KEYWAY_WEBHOOK_ACTIVATION_TIMEOUT_MS: "10000",
  KEYWAY_COLLAB_TIMEOUT_MS: "10000",
};

export interface Seeded {
  /** Session token of the bootstrap admin user (ADMIN in TEST and LIVE). */
  adminSession: string;
  /** A target with more than `rows` deliveries, events and status changes. */
  richTargetId: string;
  /** An event delivered more than `rows` times to the rich target. */
  richEventId: string;
  receiver: Receiver;
  decisions: Receiver;
  stop(): Promise<void>;
}

const USER_ERROR = `__typename ... on UserError { errors { code errorPath description } }`;
const SUCCESS_FIELDS = `${USER_ERROR} ... on AccessDeniedError { message }`;

/** Runs a mutation (anonymously when `credential` is empty) and returns its payload, failing unless it succeeded. */
export async function mutate(
  server: TestServer,
  credential: string,
  field: string,
  query: string,
  variables: Record<string, unknown>,
): Promise<any> {
  const { status, body } = await server.post(query, variables, credential ? bearer(credential) : {});
  const payload = body.data?.[field];
  if (status !== 200 || body.errors || !payload || payload.__typename === "UserError" || payload.__typename === "AccessDeniedError") {
    throw new Error(`${field} failed: ${status} ${JSON.stringify(body)}`);
  }
  return payload;
}

/** Runs `work` for each item, `width` at a time. */
export async function inBatches<T, R>(items: T[], width: number, work: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(width, items.length) }, async () => {
      while (next < items.length) {
        const index = next++;
        results[index] = await work(items[index], index);
      }
    }),
  );
  return results;
}

// Mutations seeding and the corpus's fixtures send, each answering its object or its UserError.
export const CREATE_KEY = `mutation($input: CreateSecretAPIKeyInput!) { createSecretAPIKey(input: $input) { ${SUCCESS_FIELDS} ... on APIKey { id key } } }`;
export const KEY_ACTION = (name: string) =>
  `mutation($id: ID!) { ${name}(input: { apiKeyId: $id }) { ${SUCCESS_FIELDS} ... on APIKey { id key } } }`;
export const ADD_TARGET = `mutation($input: AddWebhookNotificationTargetInput!) { addWebhookNotificationTarget(input: $input) { ${SUCCESS_FIELDS} ... on WebhookNotificationTarget { id } } }`;
export const TARGET_ACTION = (name: string) =>
  `mutation($id: ID!) { ${name}(input: { targetId: $id }) { ${SUCCESS_FIELDS} ... on WebhookNotificationTarget { id status } } }`;
const REPLAY = `mutation($input: ReplayNotificationEventInput!) { replayNotificationEvent(input: $input) { ${SUCCESS_FIELDS} ... on NotificationEvent { id } } }`;
export const ADD_ENDPOINT = `mutation($input: AddCollaborativeAuthorizationEndpointInput!) { addCollaborativeAuthorizationEndpoint(input: $input) { ${SUCCESS_FIELDS} ... on CollaborativeAuthorizationEndpoint { id } } }`;
const ENDPOINT_ACTION = (name: string) =>
  `mutation($id: ID!) { ${name}(input: { endpointId: $id }) { ${SUCCESS_FIELDS} ... on CollaborativeAuthorizationEndpoint { id status } } }`;
const SIMULATE = `mutation($input: SimulateCollaborativeAuthorizationInput!) { simulateCollaborativeAuthorization(input: $input) { ${SUCCESS_FIELDS} ... on CollaborativeAuthorizationRequest { id } } }`;
export const INVITE = `mutation($input: InviteUserInput!) { inviteUser(input: $input) { ${SUCCESS_FIELDS} ... on UserInvitation { id token } } }`;
export const ACCEPT = `mutation($input: AcceptInvitationInput!) { acceptInvitation(input: $input) { ${USER_ERROR} ... on Session { token user { id } } } }`;
const LOGIN = `mutation($input: LoginInput!) { login(input: $input) { ${USER_ERROR} ... on Session { token } } }`;

export async function loginAdminUser(server: TestServer): Promise<string> {
  return (await mutate(server, "", "login", LOGIN, { input: { email: ADMIN_EMAIL, password: ADMIN_PASSWORD } })).token;
}

/**
 * Fills the server's TEST environment through the API, as clients would: more than `rows`
 * objects in every list (collaborative-authorization endpoints, targets, keys, events,
 * deliveries, status changes, memberships, invitations, requests, audit entries), and for
 * every nullable field rows with it set and rows with it null.
 */
export async function seed(server: TestServer, rows: number): Promise<Seeded> {
  // Everything through the admin user's session: a session counts no key usage, so no
  // usageCount or lastUsedAt changes under the lists once seeding is done.
  const adminSession = await loginAdminUser(server);
  const key = adminSession;
  const receiver = await Receiver.start();
  const decisions = await approvingEndpoint();

  // The rich target hears every key event from here on.
  const rich = await mutate(server, key, "addWebhookNotificationTarget", ADD_TARGET, {
    input: {
      name: "Rich target",
      uri: receiver.target("rich?token=s3cret"),
      email: "ops@example.test",
      subscriptions: ["API_KEY_CREATED", "API_KEY_UPDATED", "API_KEY_REVOKED", "API_KEY_DEACTIVATED"],
    },
  });
  // Events fan out to ACTIVE targets only: the key events below reach the rich target once its activation was answered.
  await waitFor(
    async () => ((await targetStatus(server, key, rich.id)) === "ACTIVE" ? true : undefined),
    30_000,
    "the rich target's activation",
  );

  // Keys: with and without description and expiry; one used, deactivated, revoked, rotated, deleted.
  const keys = await inBatches(
    Array.from({ length: rows }, (_, i) => i),
    8,
    (i) =>
      mutate(server, key, "createSecretAPIKey", CREATE_KEY, {
        input: {
          secretKey: {
            name: `Seeded key ${String(i).padStart(3, "0")}`,
            ...(i % 2 === 0 ? { description: `seeded #${i}` } : {}),
            ...(i % 3 === 0 ? { expiresAt: new Date(Date.now() + (i + 10) * 86_400_000).toISOString() } : {}),
            role: i % 4 === 0 ? "ADMIN" : "READONLY",
            ...(i % 5 === 0 ? { rateLimit: { limit: 1000 + i, windowSeconds: 60 }, metadata: { team: `team-${i}`, seeded: true } } : {}),
            ...(i % 7 === 0 ? { allowedIps: ["127.0.0.1", "10.0.0.0/8"] } : {}),
          },
        },
      }),
  );
  // The keys whose state the lists must show are the newest ones: a list's first page holds the newest
  // 100 rows, and which keys of a concurrent batch are the oldest (past that page) is down to timing.
  const newest = (n: number) => keys[keys.length - n];
  const used = await server.post("{ viewer { environment } }", {}, bearer(newest(1).key));
  if (used.status !== 200) throw new Error(`seeded key refused: ${JSON.stringify(used.body)}`);
  await mutate(server, key, "deactivateAPIKey", KEY_ACTION("deactivateAPIKey"), { id: newest(2).id });
  await mutate(server, key, "revokeAPIKey", KEY_ACTION("revokeAPIKey"), { id: newest(3).id });
  await mutate(server, key, "rotateAPIKey", KEY_ACTION("rotateAPIKey"), { id: newest(4).id });
  await mutate(server, key, "deleteAPIKey", KEY_ACTION("deleteAPIKey"), { id: newest(5).id });

  // Targets: with and without email and rate limit; one deactivated; one whose receiver is gone (no HTTP answer).
  await inBatches(
    Array.from({ length: rows }, (_, i) => i),
    8,
    (i) =>
      mutate(server, key, "addWebhookNotificationTarget", ADD_TARGET, {
        input: {
          name: `Seeded target ${String(i).padStart(3, "0")}`,
          uri: receiver.target(`t${i}`),
          ...(i % 2 === 0 ? { email: `t${i}@example.test` } : {}),
          ...(i % 3 === 0 ? { maxDeliveriesPerSecond: 100 } : {}),
          subscriptions: ["USER_REMOVED"],
        },
      }),
  );
  const closed = await Receiver.start();
  const unreachable = closed.target("gone");
  await closed.stop();
  await mutate(server, key, "addWebhookNotificationTarget", ADD_TARGET, {
    input: { name: "Unreachable target", uri: unreachable, subscriptions: ["USER_JOINED"] },
  });
  receiver.answer("refusing", 500);
  await mutate(server, key, "addWebhookNotificationTarget", ADD_TARGET, {
    input: { name: "Refusing target", uri: receiver.target("refusing"), subscriptions: ["USER_JOINED"] },
  });

  // The rich target's history: deactivations and re-activations.
  for (let i = 0; i < Math.ceil(rows / 2); i++) {
    await mutate(server, key, "deactivateNotificationTarget", TARGET_ACTION("deactivateNotificationTarget"), { id: rich.id });
    await mutate(server, key, "activateNotificationTarget", TARGET_ACTION("activateNotificationTarget"), { id: rich.id });
    // Each activation answered before the next deactivation, so every activation event is delivered.
    await waitFor(
      async () => ((await targetStatus(server, key, rich.id)) === "ACTIVE" ? true : undefined),
      30_000,
      "the rich target's re-activation",
    );
  }
  await mutate(server, key, "deactivateNotificationTarget", TARGET_ACTION("deactivateNotificationTarget"), {
    id: await firstTargetNamed(server, key, "Seeded target 000"),
  });

  // One event delivered again and again to the rich target.
  const richEventId = await waitFor(
    async () => {
      const { body } = await server.post(
        `query($id: ID!) { node(id: $id) { ... on WebhookNotificationTarget { webhookNotificationTargetEvents(first: 1, filterBy: { name: [API_KEY_CREATED] }) { edges { node { event { id } } } } } } }`,
        { id: rich.id },
        bearer(key),
      );
      return body.data?.node?.webhookNotificationTargetEvents.edges[0]?.node.event.id as string | undefined;
    },
    30_000,
    "a delivered key event",
  );
  // One replay at a time: a replay while the event's delivery to the target is still queued joins it.
  for (let i = 1; i <= rows; i++) {
    await mutate(server, key, "replayNotificationEvent", REPLAY, { input: { notificationEventId: richEventId, targetIds: [rich.id] } });
    await waitFor(
      async () => ((await attemptCount(server, key, richEventId)) > i ? true : undefined),
      30_000,
      `replay ${i} of the rich event`,
    );
  }

  // Collaborative authorization: many endpoints, one active, decisions by it and by the stand-in.
  const endpoints = await inBatches(
    Array.from({ length: rows }, (_, i) => i),
    8,
    (i) =>
      mutate(server, key, "addCollaborativeAuthorizationEndpoint", ADD_ENDPOINT, {
        input: {
          name: `Seeded endpoint ${String(i).padStart(3, "0")}`,
          uri: decisions.target(`/e${i}`),
          standInDecision: i % 2 ? "APPROVE" : "DECLINE",
        },
      }),
  );
  await mutate(server, key, "simulateCollaborativeAuthorization", SIMULATE, { input: { amount: 100, currencyCode: "USD" } });
  await mutate(server, key, "activateCollaborativeAuthorizationEndpoint", ENDPOINT_ACTION("activateCollaborativeAuthorizationEndpoint"), {
    id: endpoints[0].id,
  });
  await mutate(server, key, "activateCollaborativeAuthorizationEndpoint", ENDPOINT_ACTION("activateCollaborativeAuthorizationEndpoint"), {
    id: endpoints[1].id,
  });
  await inBatches(
    Array.from({ length: rows }, (_, i) => i),
    4,
    (i) =>
      mutate(server, key, "simulateCollaborativeAuthorization", SIMULATE, {
        input: { amount: 1000 + i, currencyCode: "EUR", ...(i % 2 === 0 ? { merchantName: `Shop ${i}` } : {}) },
      }),
  );

  // Team: accepted invitations (memberships, with and without names and logins) and pending ones.
  await inBatches(
    Array.from({ length: rows }, (_, i) => i),
    4,
    async (i) => {
      const invitation = await mutate(server, adminSession, "inviteUser", INVITE, {
        input: { email: `member${i}@example.test`, role: ["DEVELOPER", "SUPPORT", "ADMIN"][i % 3] },
      });
      await mutate(server, "", "acceptInvitation", ACCEPT, {
        input: { token: invitation.token, password: "member-password-1", ...(i % 2 === 0 ? { name: `Member ${i}` } : {}) },
      });
    },
  );
  await inBatches(
    Array.from({ length: rows }, (_, i) => i),
    8,
    (i) => mutate(server, adminSession, "inviteUser", INVITE, { input: { email: `pending${i}@example.test`, role: "SUPPORT" } }),
  );

  // Every delivery made: nothing changes under the lists afterwards.
  await waitFor(() => settled(server, key, rich.id, rows), 60_000, "every seeded delivery");

  return {
    adminSession,
    richTargetId: rich.id,
    richEventId,
    receiver,
    decisions,
    async stop() {
      await receiver.stop();
      await decisions.stop();
    },
  };
}

async function attemptCount(server: TestServer, credential: string, eventId: string): Promise<number> {
  const { body }: { body: any } = await server.post(
    `query($id: ID!) { node(id: $id) { ... on NotificationEvent { deliveryAttempts(first: 1) { totalCount } } } }`,
    { id: eventId },
    bearer(credential),
  );
  return body.data.node.deliveryAttempts.totalCount;
}

export async function targetStatus(server: TestServer, credential: string, id: string): Promise<string> {
  const { body }: { body: any } = await server.post(
    `query($id: ID!) { node(id: $id) { ... on WebhookNotificationTarget { status } } }`,
    { id },
    bearer(credential),
  );
  return body.data.node.status;
}

async function firstTargetNamed(server: TestServer, credential: string, name: string): Promise<string> {
  let after: string | null = null;
  for (;;) {
    const variables: Record<string, unknown> = { after };
    const { body }: { body: any } = await server.post(
      `query($after: String) { organizations { webhookNotificationTargets(first: 100, after: $after) { edges { node { id name } } pageInfo { hasNextPage endCursor } } } }`,
      variables,
      bearer(credential),
    );
    const page: any = body.data.organizations[0].webhookNotificationTargets;
    const found = page.edges.find((edge: any) => edge.node.name === name);
    if (found) return found.node.id;
    if (!page.pageInfo.hasNextPage) throw new Error(`no target named ${name}`);
    after = page.pageInfo.endCursor;
  }
}

/** No target still waits for its activation, and the rich target has every replay's attempt; throws what is missing. */
async function settled(server: TestServer, credential: string, richTargetId: string, rows: number): Promise<true> {
  const { body }: { body: any } = await server.post(
    `query($id: ID!) {
      node(id: $id) { ... on WebhookNotificationTarget { deliveryAttempts(first: 1) { totalCount } webhookNotificationTargetEvents(first: 100, filterBy: { hasSuccessfulDelivery: false }) { totalCount } } }
      organizations { webhookNotificationTargets(first: 100) { edges { node { status } } } }
    }`,
    { id: richTargetId },
    bearer(credential),
  );
  const target = body.data?.node;
  if (!target) throw new Error(JSON.stringify(body));
  const pending = body.data.organizations[0].webhookNotificationTargets.edges.filter(
    (edge: any) => edge.node.status === "PENDING_VERIFICATION",
  ).length;
  const state = { pending, attempts: target.deliveryAttempts.totalCount, undelivered: target.webhookNotificationTargetEvents.totalCount };
  if (pending > 0 || state.attempts < rows * 2 || state.undelivered > 0) throw new Error(`not yet: ${JSON.stringify(state)}`);
  return true;
}
