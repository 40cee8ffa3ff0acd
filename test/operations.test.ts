import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import {
  FieldNode,
  getNamedType,
  GraphQLObjectType,
  GraphQLSchema,
  InlineFragmentNode,
  isLeafType,
  isUnionType,
  Kind,
  OperationDefinitionNode,
  parse,
  SelectionSetNode,
} from "graphql";
import { generate } from "otplib";
import { EXAMPLE_OPERATIONS } from "../src/http/playground";
import { CorpusOperation, loadCorpus, normalize, readmeOperations } from "./helpers/operations";
import { approvingEndpoint, Receiver } from "./helpers/receiver";
import { connectionFields, introspect, nodeTypeOf } from "./helpers/schema-walk";
import {
  ACCEPT,
  ADD_ENDPOINT,
  ADD_TARGET,
  CREATE_KEY,
  INVITE,
  KEY_ACTION,
  loginAdminUser,
  mutate,
  SEED_ENV,
  TARGET_ACTION,
  targetStatus,
} from "./helpers/seed";
import { ADMIN_EMAIL, ADMIN_PASSWORD, bearer, startTestServer, TestServer } from "./helpers/server";
import { waitFor } from "./helpers/wait";

/**
 * What clients send, sent as they send it: every operation of README.md, the playground's
 * examples, a dashboard-sized page of every list and every mutation with its whole payload
 * (test/operations/). Each runs twice, interpreted and then compiled: 200, no errors, and for
 * queries the same answer both times.
 */
const corpus = loadCorpus();
const MEMBER_PASSWORD = "member-password-1";

let server: TestServer;
let schema: GraphQLSchema;
let receiver: Receiver;
let decisions: Receiver;
/**
 * The bootstrap admin user's session: fixtures and reads go through it, so no API key's
 * usageCount or lastUsedAt (which may lag by a flush) changes between a query's two runs.
 */
let adminSession: string;
const seeded: Record<string, string> = {};

const ENABLE_2FA = `mutation { enableTwoFactor { __typename ... on TwoFactorSetup { secret } ... on UserError { errors { code description } } } }`;
const CONFIRM_2FA = `mutation($input: ConfirmTwoFactorInput!) { confirmTwoFactor(input: $input) { __typename ... on TwoFactorRecoveryCodes { recoveryCodes } ... on UserError { errors { code description } } } }`;

async function activeTarget(unique: string): Promise<string> {
  const target = await mutate(server, adminSession, "addWebhookNotificationTarget", ADD_TARGET, {
    input: {
      name: `Fixture ${unique}`,
      uri: receiver.target(`f-${unique}`),
      email: "fixture@example.test",
      subscriptions: ["API_KEY_CREATED", "USER_JOINED"],
    },
  });
  await waitFor(
    async () => ((await targetStatus(server, adminSession, target.id)) === "ACTIVE" ? true : undefined),
    20_000,
    "the fixture target's activation",
  );
  return target.id;
}

async function member(unique: string): Promise<{ userId: string; session: string }> {
  const { token } = await mutate(server, adminSession, "inviteUser", INVITE, {
    input: { email: `member-${unique}@example.test`, role: "ADMIN" },
  });
  const session = await mutate(server, "", "acceptInvitation", ACCEPT, { input: { token, password: MEMBER_PASSWORD } });
  return { userId: session.user.id, session: session.token };
}

/**
 * The objects one run of an operation needs, created fresh for that run through the API:
 * `{{key.id}}` is a new key, `{{target.id}}` a new ACTIVE target, and so on;
 * `{{member.pendingTwoFactorCode}}` a current code of the member's new authenticator,
 * `{{member.recoveryCode}}` one of the member's recovery codes (two-factor on).
 */
class Fixtures {
  private readonly made = new Map<string, Promise<string>>();
  readonly unique = randomBytes(4).toString("hex");
  private memberPromise: Promise<{ userId: string; session: string }> | null = null;

  member(): Promise<{ userId: string; session: string }> {
    this.memberPromise ??= member(this.unique);
    return this.memberPromise;
  }

  private make(name: string): Promise<string> {
    const key = adminSession;
    const unique = this.unique;
    switch (name) {
      case "unique":
        return Promise.resolve(unique);
      case "hourAgo":
        return Promise.resolve(new Date(Date.now() - 3_600_000).toISOString());
      case "future":
        return Promise.resolve(new Date(Date.now() + 90 * 86_400_000).toISOString());
      case "admin.email":
        return Promise.resolve(ADMIN_EMAIL);
      case "admin.password":
        return Promise.resolve(ADMIN_PASSWORD);
      case "receiver.url":
        return Promise.resolve(receiver.target(`r-${unique}`));
      case "decisions.url":
        return Promise.resolve(decisions.target(`/d-${unique}`));
      case "key.id":
        return mutate(server, key, "createSecretAPIKey", CREATE_KEY, {
          input: { secretKey: { name: `Fixture ${unique}`, role: "ADMIN" } },
        }).then((k) => k.id);
      case "deactivatedKey.id":
        return this.make("key.id").then(
          async (id) => (await mutate(server, key, "deactivateAPIKey", KEY_ACTION("deactivateAPIKey"), { id })).id,
        );
      case "target.id":
        return activeTarget(unique);
      case "deactivatedTarget.id":
        return activeTarget(unique).then(
          async (id) =>
            (await mutate(server, key, "deactivateNotificationTarget", TARGET_ACTION("deactivateNotificationTarget"), { id })).id,
        );
      case "endpoint.id":
        return mutate(server, key, "addCollaborativeAuthorizationEndpoint", ADD_ENDPOINT, {
          input: { name: `Fixture ${unique}`, uri: decisions.target(`/f-${unique}`) },
        }).then((e) => e.id);
      case "invitation.token":
        return mutate(server, adminSession, "inviteUser", INVITE, {
          input: { email: `invited-${unique}@example.test`, role: "SUPPORT" },
        }).then((i) => i.token);
      case "member.userId":
        return this.member().then((m) => m.userId);
      case "member.pendingTwoFactorCode":
        return this.member().then(async (m) =>
          generate({ secret: (await mutate(server, m.session, "enableTwoFactor", ENABLE_2FA, {})).secret }),
        );
      case "member.recoveryCode":
        return this.value("member.pendingTwoFactorCode").then(async (code) => {
          const confirmed = await mutate(server, (await this.member()).session, "confirmTwoFactor", CONFIRM_2FA, { input: { code } });
          return confirmed.recoveryCodes[0];
        });
      case "event.id":
        return Promise.resolve(seeded.eventId);
      default:
        if (name.startsWith("seed.") && seeded[name.slice(5)]) return Promise.resolve(seeded[name.slice(5)]);
        throw new Error(`unknown placeholder {{${name}}}`);
    }
  }

  value(name: string): Promise<string> {
    if (!this.made.has(name)) this.made.set(name, this.make(name));
    return this.made.get(name)!;
  }

  async resolve(value: unknown): Promise<unknown> {
    if (typeof value === "string") {
      let result = value;
      for (const [placeholder, name] of value.matchAll(/\{\{([\w.]+)\}\}/g)) result = result.replace(placeholder, await this.value(name));
      return result;
    }
    if (Array.isArray(value)) return Promise.all(value.map((item) => this.resolve(item)));
    if (value && typeof value === "object") {
      return Object.fromEntries(await Promise.all(Object.entries(value).map(async ([name, item]) => [name, await this.resolve(item)])));
    }
    return value;
  }
}

async function headersFor(actor: string, fixtures: Fixtures): Promise<Record<string, string>> {
  switch (actor) {
    case "session":
      return bearer(adminSession);
    case "key":
      return bearer(server.adminKey);
    case "anonymous":
      return {};
    case "member":
      return bearer((await fixtures.member()).session);
    default:
      throw new Error(`unknown actor ${actor}`);
  }
}

async function send(
  operation: CorpusOperation,
  name: string | null,
  variables: Record<string, unknown> | undefined,
  headers: Record<string, string>,
) {
  const response = await fetch(server.url, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify({ query: operation.document, variables, operationName: name }),
  });
  const body = (await response.json()) as { data?: any; errors?: unknown[] };
  expect({ file: operation.file, operation: name, status: response.status, errors: body.errors }).toEqual({
    file: operation.file,
    operation: name,
    status: 200,
    errors: undefined,
  });
  return body.data;
}

beforeAll(async () => {
  server = await startTestServer(SEED_ENV);
  schema = await introspect(server);
  receiver = await Receiver.start();
  decisions = await approvingEndpoint();
  adminSession = await loginAdminUser(server);
  // A little of everything, so that pages have rows and detail pages something to show.
  const fixtures = new Fixtures();
  seeded.targetId = await activeTarget(`seed-${fixtures.unique}`);
  for (let i = 0; i < 5; i++) {
    await mutate(server, adminSession, "createSecretAPIKey", CREATE_KEY, {
      input: { secretKey: { name: `Seed ${i}`, description: i % 2 ? "odd" : null } },
    });
  }
  await member(`seed-${fixtures.unique}`);
  await mutate(server, adminSession, "inviteUser", INVITE, { input: { email: `seed-pending@example.test`, role: "SUPPORT" } });
  await mutate(server, adminSession, "addCollaborativeAuthorizationEndpoint", ADD_ENDPOINT, {
    input: { name: "Seed endpoint", uri: decisions.target("/seed") },
  });
  await server.post(
    `mutation { simulateCollaborativeAuthorization(input: { amount: 100, currencyCode: "USD" }) { __typename } }`,
    {},
    bearer(adminSession),
  );
  seeded.eventId = await waitFor(
    async () => {
      const { body } = await server.post(
        `query($id: ID!) { node(id: $id) { ... on WebhookNotificationTarget { webhookNotificationTargetEvents(first: 1, filterBy: { name: [API_KEY_CREATED], hasSuccessfulDelivery: true }) { edges { node { event { id } } } } } } }`,
        { id: seeded.targetId },
        bearer(adminSession),
      );
      return body.data?.node?.webhookNotificationTargetEvents.edges[0]?.node.event.id as string | undefined;
    },
    20_000,
    "a delivered event",
  );
}, 120_000);

afterAll(async () => {
  await receiver?.stop();
  await decisions?.stop();
  await server?.stop();
});

const cases = corpus.flatMap((operation) => operation.operations.map((op) => ({ operation, name: op.name, type: op.type })));

describe("the operation corpus", () => {
  it("holds every kind of client operation", () => {
    const dirs = new Set(corpus.map((operation) => operation.file.split(path.sep)[0]));
    expect([...dirs].sort()).toEqual(expect.arrayContaining(["lists", "mutations", "playground", "readme"]));
    expect(cases.length).toBeGreaterThanOrEqual(60);
  });

  it.each(cases.filter((c) => c.type === "query").map((c) => [c.operation.file, c.name, c] as const))(
    "%s %s answers the same twice",
    async (_file, name, { operation }) => {
      const fixtures = new Fixtures();
      const variables = (await fixtures.resolve(operation.variables ?? {})) as Record<string, unknown>;
      const headers = await headersFor(operation.actor, fixtures);
      const first = await send(operation, name, variables, headers);
      expect(await send(operation, name, variables, headers)).toEqual(first);

      if (!operation.file.startsWith(`lists${path.sep}`)) return;
      // The same list two rows at a time, forward and back: pages line up either way.
      const page = (data: any) => Object.values(data.organizations?.[0] ?? data.node).find((value: any) => value?.edges) as any;
      const one = page(await send(operation, name, { ...variables, first: 2 }, headers));
      expect(one.edges.length).toBeGreaterThan(0);
      if (!one.pageInfo.hasNextPage) return;
      const two = page(await send(operation, name, { ...variables, first: 2, after: one.pageInfo.endCursor }, headers));
      expect(two.pageInfo.hasPreviousPage).toBe(true);
      const back = page(await send(operation, name, { ...variables, first: null, last: 2, before: two.pageInfo.startCursor }, headers));
      expect(back.edges).toEqual(one.edges);
      expect(page(await send(operation, name, { ...variables, first: null, last: 2, before: two.pageInfo.startCursor }, headers))).toEqual(
        back,
      );
    },
    60_000,
  );

  it.each(cases.filter((c) => c.type === "mutation").map((c) => [c.operation.file, c.name, c] as const))(
    "%s %s succeeds twice",
    async (_file, name, { operation }) => {
      for (let run = 0; run < 2; run++) {
        const fixtures = new Fixtures();
        const variables = (await fixtures.resolve(operation.variables ?? {})) as Record<string, unknown>;
        const data = await send(operation, name, variables, await headersFor(operation.actor, fixtures));
        const payload = Object.values(data)[0] as any;
        // The corpus's own mutations and the dashboard's are bound to succeed; README's and the
        // playground's may meet what an earlier run left (a name already taken, an unreachable host).
        if (!/^(mutations|dashboard)\//.test(operation.file.split(path.sep).join("/"))) continue;
        if (typeof payload === "boolean") expect(payload).toBe(true);
        else if (operation.expect) expect(payload.__typename).toBe(operation.expect);
        else
          expect({ file: operation.file, payload }).toEqual({
            file: operation.file,
            payload: expect.objectContaining({ __typename: expect.not.stringMatching(/^(UserError|AccessDeniedError)$/) }),
          });
      }
    },
    60_000,
  );
});

describe("the corpus stays in step with what clients are shown", () => {
  const normalized = new Set(corpus.map((operation) => normalize(operation.document)));

  it("holds every example of README.md", () => {
    const examples = readmeOperations(readFileSync(path.join(__dirname, "..", "README.md"), "utf8"));
    expect(examples.length).toBeGreaterThanOrEqual(10);
    expect(examples.filter((example) => !normalized.has(normalize(example)))).toEqual([]);
  });

  it("holds the playground's examples", () => {
    expect(normalized.has(normalize(EXAMPLE_OPERATIONS))).toBe(true);
  });

  it("has a page of every list and every mutation, selecting every field of their nodes and payloads", () => {
    const files = new Map(corpus.map((operation) => [operation.file, operation]));
    const organization = schema.getType("Organization") as GraphQLObjectType;
    const lists = connectionFields(organization);
    expect(lists.length).toBeGreaterThanOrEqual(8);
    for (const { field, connection } of lists) {
      const file = files.get(path.join("lists", `${field}.graphql`));
      expect({ field, file: !!file }).toEqual({ field, file: true });
      const nodeType = nodeTypeOf(connection);
      expect({ field, missing: missingFromList(file!.document, field, nodeType) }).toEqual({ field, missing: [] });
    }
    const mutations = Object.values(schema.getMutationType()!.getFields());
    expect(mutations.length).toBeGreaterThanOrEqual(30);
    for (const mutation of mutations) {
      const file = files.get(path.join("mutations", `${mutation.name}.graphql`));
      expect({ mutation: mutation.name, file: !!file }).toEqual({ mutation: mutation.name, file: true });
      expect({ mutation: mutation.name, missing: missingFromPayload(file!.document, mutation.name) }).toEqual({
        mutation: mutation.name,
        missing: [],
      });
    }
  });
});

/** Leaf fields of `type` (no arguments) that `selectionSet` leaves out. */
function unselectedLeaves(type: GraphQLObjectType, selectionSet: SelectionSetNode | undefined): string[] {
  const selected = new Set(
    (selectionSet?.selections ?? []).filter((s): s is FieldNode => s.kind === Kind.FIELD).map((field) => field.name.value),
  );
  return Object.values(type.getFields())
    .filter((field) => isLeafType(getNamedType(field.type)) && field.args.length === 0 && !selected.has(field.name))
    .map((field) => `${type.name}.${field.name}`);
}

function fieldIn(selectionSet: SelectionSetNode | undefined, name: string): FieldNode | undefined {
  return selectionSet?.selections.find((s): s is FieldNode => s.kind === Kind.FIELD && s.name.value === name);
}

function operationOf(document: string): OperationDefinitionNode {
  return parse(document).definitions.find((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION)!;
}

/** What a list page of `organizations { <field> { edges { node } } }` leaves out of the node type. */
function missingFromList(document: string, field: string, nodeType: GraphQLObjectType): string[] {
  const connection = fieldIn(fieldIn(operationOf(document).selectionSet, "organizations")?.selectionSet, field);
  const node = fieldIn(fieldIn(connection?.selectionSet, "edges")?.selectionSet, "node");
  return unselectedLeaves(nodeType, node?.selectionSet);
}

/** What a mutation's payload selection leaves out: a member of the union, or a field of one. */
function missingFromPayload(document: string, mutation: string): string[] {
  const payload = fieldIn(operationOf(document).selectionSet, mutation);
  const type = getNamedType(schema.getMutationType()!.getFields()[mutation].type);
  if (!isUnionType(type)) return [];
  const fragments = (payload?.selectionSet?.selections ?? []).filter((s): s is InlineFragmentNode => s.kind === Kind.INLINE_FRAGMENT);
  return type.getTypes().flatMap((member) => {
    const fragment = fragments.find((f) => f.typeCondition?.name.value === member.name);
    return fragment ? unselectedLeaves(member, fragment.selectionSet) : [`${type.name} member ${member.name}`];
  });
}
