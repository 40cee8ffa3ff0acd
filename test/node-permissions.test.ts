import { withEveryNode } from "./helpers/every-node";
import { PermissionActor, roleActors, singlePermissionKeys } from "./helpers/permissions";
import { bearer } from "./helpers/server";

/**
 * node(id) must not be a side door around the lists: for every Node type × every kind of actor (the three user
 * roles, ADMIN and READONLY keys, and a RESTRICTED key holding each single permission), one object is read by
 * node(id) and through the list that shows it, and both must answer alike: the object, or the same error.
 */

const EDGES = (selection: string, first = 100) => `(first: ${first}) { edges { node { ${selection} } } }`;

/** Where each Node type is listed, and the ids that list holds (written by hand: how a client finds each type). */
const LISTS: Record<string, { selection: string; ids: (organization: any) => string[] }> = {
  Organization: { selection: "id", ids: (organization) => [organization.id] },
  User: { selection: `users${EDGES("user { id }")}`, ids: (o) => o.users.edges.map((e: any) => e.node.user.id) },
  UserMembership: { selection: `users${EDGES("id")}`, ids: (o) => o.users.edges.map((e: any) => e.node.id) },
  UserInvitation: { selection: `invitations${EDGES("id")}`, ids: (o) => o.invitations.edges.map((e: any) => e.node.id) },
  APIKey: { selection: `apiKeys${EDGES("id")}`, ids: (o) => o.apiKeys.edges.map((e: any) => e.node.id) },
  AuditLogEntry: { selection: `auditLog${EDGES("id")}`, ids: (o) => o.auditLog.edges.map((e: any) => e.node.id) },
  CollaborativeAuthorizationEndpoint: {
    selection: `collaborativeAuthorizationEndpoints${EDGES("id")}`,
    ids: (o) => o.collaborativeAuthorizationEndpoints.edges.map((e: any) => e.node.id),
  },
  CollaborativeAuthorizationRequest: {
    selection: `collaborativeAuthorizationRequests${EDGES("id")}`,
    ids: (o) => o.collaborativeAuthorizationRequests.edges.map((e: any) => e.node.id),
  },
  WebhookNotificationTarget: {
    selection: `webhookNotificationTargets${EDGES("id")}`,
    ids: (o) => o.webhookNotificationTargets.edges.map((e: any) => e.node.id),
  },
  NotificationEvent: { selection: `notificationEvents${EDGES("id")}`, ids: (o) => o.notificationEvents.edges.map((e: any) => e.node.id) },
  // Attempts are listed under their target. This organization has one (a page of one keeps the query under the cost
  // limit); it is subscribed to API_KEY_CREATED, so each actor's key adds an attempt before the one looked up.
  DeliveryAttempt: {
    selection: `webhookNotificationTargets${EDGES(`deliveryAttempts${EDGES("id")}`, 1)}`,
    ids: (o) => o.webhookNotificationTargets.edges.flatMap((e: any) => e.node.deliveryAttempts.edges.map((a: any) => a.node.id)),
  },
};

const every = withEveryNode();
let actors: PermissionActor[];
beforeAll(async () => {
  actors = [...(await roleActors(every.server)), ...(await singlePermissionKeys(every.server))];
});

/** What one side answered: "the object", "not the object" (allowed, but the id is not there) or its errors. */
function outcome(errors: any[], found: boolean): string {
  if (errors.length) return errors.map((e) => `${e.extensions?.code}: ${e.message}`).join("; ");
  return found ? "the object" : "not the object";
}

it("has a real object and a list for every Node type of the schema, and every kind of actor", () => {
  expect(every.nodeTypes.length).toBeGreaterThanOrEqual(11);
  expect(every.nodeTypes.filter((type) => !every.ids.has(type))).toEqual([]);
  expect(Object.keys(LISTS).sort()).toEqual(every.nodeTypes);
  expect(actors.map((actor) => actor.name).slice(0, 5)).toEqual([
    "ADMIN user",
    "DEVELOPER user",
    "SUPPORT user",
    "ADMIN key",
    "READONLY key",
  ]);
  expect(actors.length).toBe(5 + 14);
});

it("answers node(id) exactly as the type's list: the object to the actors that may list it, the list's error to the others", async () => {
  const mismatches: string[] = [];
  let cells = 0;
  let refused = 0;
  for (const type of every.nodeTypes) {
    const id = every.ids.get(type)!;
    // Two requests: a refused list field nulls the whole answer (its parents are non-null), node(id)'s with it.
    const node = `query($id: ID!) { node(id: $id) { __typename id } }`;
    const list = `{ organizations { ${LISTS[type].selection} } }`;
    for (const actor of actors) {
      const byNode = await every.server.post(node, { id }, bearer(actor.credential));
      const byList = await every.server.post(list, {}, bearer(actor.credential));
      cells++;
      if (byNode.status !== 200 || byList.status !== 200) {
        mismatches.push(
          `${type} as ${actor.name}: HTTP ${byNode.status} ${JSON.stringify(byNode.body)}, ${byList.status} ${JSON.stringify(byList.body)}`,
        );
        continue;
      }
      const listErrors = byList.body.errors ?? [];
      if (listErrors.length) refused++;
      const organization = byList.body.data?.organizations?.[0];
      const nodeSays = outcome(byNode.body.errors ?? [], byNode.body.data?.node?.id === id && byNode.body.data.node.__typename === type);
      const listSays = outcome(listErrors, organization ? LISTS[type].ids(organization).includes(id) : false);
      if (nodeSays !== listSays || nodeSays === "not the object")
        mismatches.push(`${type} as ${actor.name}: node(id) gives ${nodeSays}, the list gives ${listSays}`);
    }
  }
  expect(mismatches).toEqual([]);
  expect(cells).toBe(every.nodeTypes.length * actors.length);
  // Both outcomes occur: each single-permission key is refused most lists, the ADMINs none.
  expect(refused).toBeGreaterThanOrEqual(10 * 12);
  expect(refused).toBeLessThan(cells - 2 * every.nodeTypes.length);
  process.stdout.write(`node permissions: ${every.nodeTypes.length} Node types × ${actors.length} actors = ${cells} cells checked\n`);
});
