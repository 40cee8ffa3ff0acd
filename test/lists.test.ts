import { getNamedType, GraphQLObjectType, GraphQLSchema, isLeafType, isNonNullType, isObjectType } from "graphql";
import { introspect, connectionFields, nodeFragment, nodeTypeOf, nodeTypes, selectAll } from "./helpers/schema-walk";
import { Seeded, SEED_ENV, seed } from "./helpers/seed";
import { bearer, startTestServer, TestServer } from "./helpers/server";

/**
 * Every list of the schema, as a dashboard reads it: a page of 100 with every field and its
 * single nested objects, each row equal to what node(id) answers, paged forward and back to
 * the end; and every field of every type selected once through a list and through node().
 * Each query runs twice: its first run is interpreted, later runs are compiled.
 */
const ROWS = 101;
const PAGE = 100;
const STEP = 30;

let server: TestServer;
let seeded: Seeded;
let schema: GraphQLSchema;

beforeAll(async () => {
  server = await startTestServer(SEED_ENV);
  seeded = await seed(server, ROWS);
  schema = await introspect(server);
}, 300_000);

afterAll(async () => {
  await seeded?.stop();
  await server?.stop();
});

async function read(query: string, variables: Record<string, unknown> = {}): Promise<any> {
  const { status, body } = await server.post(query, variables, bearer(seeded.adminSession));
  expect({ status, errors: body.errors }).toEqual({ status: 200, errors: undefined });
  return body.data;
}

/** Runs a query twice (interpreted, then compiled) and returns the data, the same both times. */
async function readTwice(query: string, variables: Record<string, unknown> = {}): Promise<any> {
  const first = await read(query, variables);
  const second = await read(query, variables);
  expect(second).toEqual(first);
  return first;
}

const VARIABLE_TYPES: Record<string, string> = {
  id: "ID!",
  eventAfter: "String",
  first: "Int",
  after: "String",
  last: "Int",
  before: "String",
};

/** A query declaring exactly the variables its selection uses. */
function declared(selection: string): string {
  const used = [...new Set([...selection.matchAll(/\$(\w+)/g)].map((match) => match[1]))];
  return used.length ? `query(${used.map((name) => `$${name}: ${VARIABLE_TYPES[name]}`).join(", ")}) ${selection}` : selection;
}

/** How a connection field is reached: the query around it and the way back to the connection in the answer. */
interface Route {
  wrap(connection: string): string;
  variables: Record<string, unknown>;
  unwrap(data: any): any;
}

const organizationRoute = (field: string): Route => ({
  wrap: (connection) => declared(`{ organizations { ${field}${connection} } }`),
  variables: {},
  unwrap: (data) => data.organizations[0][field],
});

const nodeRoute = (id: () => string, type: string, field: string): Route => ({
  wrap: (connection) => declared(`{ node(id: $id) { ... on ${type} { ${field}${connection} } } }`),
  get variables() {
    return { id: id() };
  },
  unwrap: (data) => data.node[field],
});

/** The rich event as one of the rich target's events: reached by the cursor of the edge before it. */
async function targetEventRoute(field: string): Promise<Route> {
  let after: string | null = null;
  let previous: string | null = null;
  for (;;) {
    const data = await read(
      `query($id: ID!, $after: String) { node(id: $id) { ... on WebhookNotificationTarget { webhookNotificationTargetEvents(first: 100, after: $after) { edges { cursor node { event { id } } } pageInfo { hasNextPage endCursor } } } } }`,
      { id: seeded.richTargetId, after },
    );
    const page = data.node.webhookNotificationTargetEvents;
    for (const edge of page.edges) {
      if (edge.node.event.id === seeded.richEventId) {
        return {
          wrap: (connection) =>
            declared(
              `{ node(id: $id) { ... on WebhookNotificationTarget { webhookNotificationTargetEvents(first: 1, after: $eventAfter) { edges { node { ${field}${connection} } } } } } }`,
            ),
          variables: { id: seeded.richTargetId, eventAfter: previous },
          unwrap: (data) => data.node.webhookNotificationTargetEvents.edges[0].node[field],
        };
      }
      previous = edge.cursor;
    }
    if (!page.pageInfo.hasNextPage) throw new Error("the rich event is not among the rich target's events");
    after = page.pageInfo.endCursor;
  }
}

/** Every connection field of the schema, each with the route to a parent holding more than a page of rows. */
const ROUTES: Record<string, () => Route | Promise<Route>> = {
  "Organization.apiKeys": () => organizationRoute("apiKeys"),
  "Organization.auditLog": () => organizationRoute("auditLog"),
  "Organization.collaborativeAuthorizationEndpoints": () => organizationRoute("collaborativeAuthorizationEndpoints"),
  "Organization.collaborativeAuthorizationRequests": () => organizationRoute("collaborativeAuthorizationRequests"),
  "Organization.invitations": () => organizationRoute("invitations"),
  "Organization.notificationEvents": () => organizationRoute("notificationEvents"),
  "Organization.users": () => organizationRoute("users"),
  "Organization.webhookNotificationTargets": () => organizationRoute("webhookNotificationTargets"),
  "WebhookNotificationTarget.deliveryAttempts": () => nodeRoute(() => seeded.richTargetId, "WebhookNotificationTarget", "deliveryAttempts"),
  "WebhookNotificationTarget.statusHistory": () => nodeRoute(() => seeded.richTargetId, "WebhookNotificationTarget", "statusHistory"),
  "WebhookNotificationTarget.webhookNotificationTargetEvents": () =>
    nodeRoute(() => seeded.richTargetId, "WebhookNotificationTarget", "webhookNotificationTargetEvents"),
  "NotificationEvent.deliveryAttempts": () => nodeRoute(() => seeded.richEventId, "NotificationEvent", "deliveryAttempts"),
  "WebhookNotificationTargetEvent.deliveryAttempts": () => targetEventRoute("deliveryAttempts"),
};

/** Every object type's connection fields, found by walking the schema. */
function schemaConnections(): Array<{ name: string; connection: GraphQLObjectType }> {
  return Object.values(schema.getTypeMap())
    .filter((type): type is GraphQLObjectType => isObjectType(type) && !type.name.startsWith("__"))
    .flatMap((type) => connectionFields(type).map(({ field, connection }) => ({ name: `${type.name}.${field}`, connection })));
}

const PAGE_INFO = "pageInfo { hasNextPage hasPreviousPage startCursor endCursor }";

/**
 * Nullable fields that are null in every row of a list, or set in every row, by design (the
 * only exceptions to "every nullable field both ways"), with the reason.
 */
const ALWAYS_ONE_WAY: Record<string, string> = {
  "APIKey.key": "the plaintext is returned by create and rotate only, never in a list",
  "UserInvitation.token": "the token is returned by inviteUser only, never in a list",
  "AuditLogEntry.requestId": "every seeded change was made by a request",
  "AuditLogEntry.targetId": "every seeded change has an object",
  "WebhookNotificationTarget.signingKeys": "set for an actor with targets:write, which the reading admin is",
  "CollaborativeAuthorizationEndpoint.signingKeys": "set for an actor with collab:write, which the reading admin is",
  "CollaborativeAuthorizationEndpoint.activatedAt": "the two activated endpoints are older than the newest page",
  "CollaborativeAuthorizationEndpoint.deactivatedAt": "the one deactivated endpoint is older than the newest page",
  "APIKey.createdBy": "every seeded key was created by someone",
  "DeliveryAttempt.errorMessage": "the unreachable target's attempt is not among the rich parent's rows",
  "DeliveryAttempt.httpStatus": "the unreachable target's attempt is not among the rich parent's rows",
  "DeliveryAttempt.responseBody": "every answering receiver sends a body",
  "WebhookNotificationTargetEvent.nextAttemptAt": "with one attempt per delivery no retry is ever scheduled",
  "CollaborativeAuthorizationRequest.endpoint": "one request was decided with no active endpoint, older than the newest page",
  "CollaborativeAuthorizationRequest.standInReason": "every request of the newest page was decided by the endpoint",
  "WebhookNotificationTarget.deactivatedAt": "the deactivated target is older than the newest page",
  "UserInvitation.acceptedAt": "the pending invitations are newer than every accepted one",
};

/** Fields that may be null and take no arguments: scalars and single objects alike. */
function nullableFields(type: GraphQLObjectType): string[] {
  return Object.values(type.getFields())
    .filter((field) => !isNonNullType(field.type) && field.args.length === 0)
    .map((field) => field.name);
}

describe("every list, a page of 100 with every field", () => {
  let checked = 0;

  afterAll(() => {
    // Thirteen connections in the schema today; a lost route shows up here.
    expect(checked).toBeGreaterThanOrEqual(13);
  });

  it("has a route for every connection field of the schema", () => {
    const names = schemaConnections().map((entry) => entry.name);
    expect(names.length).toBeGreaterThanOrEqual(13);
    expect(names.filter((name) => !(name in ROUTES))).toEqual([]);
  });

  it.each(Object.keys(ROUTES))(
    "%s: rows equal node(id), pages cover every row once, in both directions",
    async (name) => {
      const entry = schemaConnections().find((candidate) => candidate.name === name);
      expect(entry).toBeDefined();
      const nodeType = nodeTypeOf(entry!.connection);
      const route = await ROUTES[name]();
      const fields = selectAll(schema, nodeType, { depth: 1, connections: false });

      // The dashboard-sized page, twice.
      const page = route.unwrap(
        await readTwice(route.wrap(`(first: $first) { totalCount edges { cursor node { ${fields} } } ${PAGE_INFO} }`), {
          ...route.variables,
          first: PAGE,
        }),
      );
      expect(page.totalCount).toBeGreaterThan(PAGE);
      expect(page.edges).toHaveLength(PAGE);
      expect(page.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: false });
      const rows = page.edges.map((edge: any) => edge.node);

      // Each row is what node(id) answers, when the type is a Node.
      if (nodeTypes(schema).some((type) => type.name === nodeType.name)) {
        const batch = 10;
        const ids = Array.from({ length: batch }, (_, i) => `$id${i}: ID!`).join(", ");
        const aliases = Array.from(
          { length: batch },
          (_, i) => `n${i}: node(id: $id${i}) { ${nodeFragment(schema, nodeType, { depth: 1, connections: false })} }`,
        ).join(" ");
        for (let start = 0; start < rows.length; start += batch) {
          const chunk = rows.slice(start, start + batch);
          const padded = Array.from({ length: batch }, (_, i) => (chunk[i] ?? chunk[0]).id);
          const data = await read(`query(${ids}) { ${aliases} }`, Object.fromEntries(padded.map((id, i) => [`id${i}`, id])));
          chunk.forEach((row: any, i: number) => expect(data[`n${i}`]).toEqual(row));
        }
      }

      // Forward to the end and back to the start, twice each; ids only.
      const forward = async () => {
        const seen: string[] = [];
        let after: string | null = null;
        let pages = 0;
        for (;;) {
          const data = await read(
            route.wrap(
              `(first: $first, after: $after) { totalCount edges { cursor node { __typename ${nodeTypeHasId(nodeType) ? "id" : ""} } } ${PAGE_INFO} }`,
            ),
            { ...route.variables, first: STEP, after },
          );
          const current = route.unwrap(data);
          expect(current.pageInfo.hasPreviousPage).toBe(after !== null);
          seen.push(...current.edges.map((edge: any) => edge.cursor));
          pages++;
          if (!current.pageInfo.hasNextPage) break;
          expect(current.edges).toHaveLength(STEP);
          after = current.pageInfo.endCursor;
        }
        expect(pages).toBe(Math.ceil(page.totalCount / STEP));
        return seen;
      };
      const backward = async () => {
        const seen: string[] = [];
        let before: string | null = null;
        for (;;) {
          const data = await read(route.wrap(`(last: $last, before: $before) { edges { cursor } ${PAGE_INFO} }`), {
            ...route.variables,
            last: STEP,
            before,
          });
          const current = route.unwrap(data);
          expect(current.pageInfo.hasNextPage).toBe(before !== null);
          seen.unshift(...current.edges.map((edge: any) => edge.cursor));
          if (!current.pageInfo.hasPreviousPage) break;
          before = current.pageInfo.startCursor;
        }
        return seen;
      };
      const forwardOnce = await forward();
      expect(await forward()).toEqual(forwardOnce);
      const backwardOnce = await backward();
      expect(await backward()).toEqual(backwardOnce);
      expect(new Set(forwardOnce).size).toBe(forwardOnce.length);
      expect(forwardOnce).toHaveLength(page.totalCount);
      expect(backwardOnce).toEqual(forwardOnce);
      expect(forwardOnce.slice(0, PAGE)).toEqual(page.edges.map((edge: any) => edge.cursor));

      // Every nullable field both null and set among the page's rows, but for the listed exceptions.
      for (const field of nullableFields(nodeType)) {
        const label = `${nodeType.name}.${field}`;
        if (label in ALWAYS_ONE_WAY) continue;
        const values = rows.map((row: any) => row[field]);
        expect({ field: label, someNull: values.some((value: unknown) => value === null) }).toEqual({ field: label, someNull: true });
        expect({ field: label, someSet: values.some((value: unknown) => value !== null) }).toEqual({ field: label, someSet: true });
      }
      checked++;
    },
    120_000,
  );
});

function nodeTypeHasId(type: GraphQLObjectType): boolean {
  return "id" in type.getFields();
}

describe("every field of every type, through lists and node(id)", () => {
  it("answers without errors, interpreted and compiled", async () => {
    const covered = new Set<string>();
    const mark = (type: GraphQLObjectType, depth: number) => {
      for (const field of Object.values(type.getFields())) {
        covered.add(`${type.name}.${field.name}`);
        const named = getNamedType(field.type);
        if (depth > 0 && isObjectType(named)) mark(named, depth - 1);
      }
    };

    // The roots a client starts from, every field two levels deep (connections through the lists below).
    const query = schema.getQueryType()!;
    const roots = Object.values(query.getFields()).filter((field) => field.args.length === 0);
    const rootSelection = roots.map((field) => {
      const named = getNamedType(field.type);
      return isLeafType(named) ? field.name : `${field.name} { ${selectAll(schema, named, { depth: 2, connections: false })} }`;
    });
    await readTwice(`{ ${rootSelection.join(" ")} }`);
    for (const field of roots) {
      covered.add(`Query.${field.name}`);
      const named = getNamedType(field.type);
      if (isObjectType(named)) mark(named, 2);
    }

    // Each list with every field, nested lists at their default page size.
    for (const name of Object.keys(ROUTES)) {
      const entry = schemaConnections().find((candidate) => candidate.name === name)!;
      const nodeType = nodeTypeOf(entry.connection);
      const route = await ROUTES[name]();
      const fields = selectAll(schema, nodeType, { depth: 1, connections: true });
      const page = route.unwrap(
        await readTwice(route.wrap(`(first: $first) { totalCount edges { cursor node { ${fields} } } ${PAGE_INFO} }`), {
          ...route.variables,
          first: 3,
        }),
      );
      expect(page.edges).toHaveLength(3);
      mark(entry.connection, 3);
      mark(nodeType, 1);
    }

    // Each Node type through node(id), every field two levels deep.
    const samples: Record<string, string> = {};
    for (const type of nodeTypes(schema)) {
      samples[type.name] = await sampleId(type);
      // Objects two levels deep; nested lists one level deep, at their default page size.
      for (const options of [
        { depth: 2, connections: false },
        { depth: 1, connections: true },
      ]) {
        const data = await readTwice(`query($id: ID!) { node(id: $id) { __typename ${nodeFragment(schema, type, options)} } }`, {
          id: samples[type.name],
        });
        expect(data.node).toMatchObject({ __typename: type.name, id: samples[type.name] });
      }
      mark(type, 2);
      covered.add(`Query.node`);
    }
    expect(Object.keys(samples).length).toBeGreaterThanOrEqual(11);

    // What was never selected: fields that need arguments a client must invent. Mutation results that no
    // query reaches (sessions, two-factor set-up, recoveries) are selected whole by the mutation corpus.
    const reachable = Object.values(schema.getTypeMap())
      .filter((type): type is GraphQLObjectType => isObjectType(type) && !type.name.startsWith("__") && type !== schema.getMutationType())
      .flatMap((type) => Object.keys(type.getFields()).map((field) => `${type.name}.${field}`));
    const missed = reachable.filter(
      (field) =>
        !covered.has(field) &&
        !/Payload|UserError|FieldUserError|AccessDeniedError|^Session\.|SessionPayload|^TwoFactor(Setup|RecoveryCodes)\.|^NotificationEventRecovery\./.test(
          field,
        ),
    );
    expect(missed).toEqual([]);
    expect(covered.size).toBeGreaterThanOrEqual(150);
    // Types × fields checked, for the record.
    process.stdout.write(
      `field coverage: ${new Set([...covered].map((field) => field.split(".")[0])).size} types, ${covered.size} fields\n`,
    );
  }, 300_000);
});

/** An id of a real object of each Node type, read through the lists. */
async function sampleId(type: GraphQLObjectType): Promise<string> {
  const byType: Record<string, string> = {
    APIKey: "organizations { apiKeys(first: 1) { edges { node { id } } } }",
    AuditLogEntry: "organizations { auditLog(first: 1) { edges { node { id } } } }",
    CollaborativeAuthorizationEndpoint: "organizations { collaborativeAuthorizationEndpoints(first: 1) { edges { node { id } } } }",
    CollaborativeAuthorizationRequest: "organizations { collaborativeAuthorizationRequests(first: 1) { edges { node { id } } } }",
    DeliveryAttempt:
      "organizations { webhookNotificationTargets(first: 1) { edges { node { deliveryAttempts(first: 1) { edges { node { id } } } } } } }",
    NotificationEvent: "organizations { notificationEvents(first: 1) { edges { node { id } } } }",
    Organization: "organizations { id }",
    User: "organizations { users(first: 1) { edges { node { user { id } } } } }",
    UserInvitation: "organizations { invitations(first: 1) { edges { node { id } } } }",
    UserMembership: "organizations { users(first: 1) { edges { node { id } } } }",
    WebhookNotificationTarget: "organizations { webhookNotificationTargets(first: 1) { edges { node { id } } } }",
  };
  expect(byType[type.name]).toBeDefined();
  const data = await read(`{ ${byType[type.name]} }`);
  const ids = JSON.stringify(data).match(/"id":"([^"]+)"/g) ?? [];
  const id = ids[ids.length - 1]?.slice(6, -1);
  expect(id).toBeTruthy();
  return id;
}
