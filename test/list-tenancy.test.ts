import type { GraphQLClient } from "graphql-request";
import { createKey } from "./helpers/keys";
import { startTestServer, TestServer } from "./helpers/server";
import { createUser, INVITE } from "./helpers/users";
import { APIKeyRole, Environment, UserRole } from "../src/entities/enums";

/** The lists of people and of the audit log show the request's organization and environment only. */
let server: TestServer;
let test: GraphQLClient;
let live: GraphQLClient;
let other: GraphQLClient;

beforeAll(async () => {
  server = await startTestServer({ KEYWAY_MAX_KEYS_PER_ENVIRONMENT: "4" });
  test = server.admin;
  live = server.client(await server.issueKey(APIKeyRole.ADMIN, Environment.LIVE));
  other = server.client((await server.otherOrganization()).testKey);
});
afterAll(async () => {
  await server?.stop();
});

const PEOPLE = `{ organizations { id
  users(first: 50) { totalCount edges { node { id environment user { id email } } } }
  invitations(first: 50) { totalCount edges { node { id email environment } } } } }`;

async function people(client: GraphQLClient) {
  const { organizations } = await client.request<any>(PEOPLE);
  const [organization] = organizations;
  return {
    organization: organization.id as string,
    members: organization.users.edges.map((e: any) => e.node),
    memberCount: organization.users.totalCount as number,
    invitations: organization.invitations.edges.map((e: any) => e.node),
    invitationCount: organization.invitations.totalCount as number,
  };
}

describe("users and invitations", () => {
  it("list the members and invitations of the request's environment and organization only", async () => {
    const testMember = await createUser(server, UserRole.SUPPORT);
    const liveMember = await createUser(server, UserRole.DEVELOPER, Environment.LIVE);
    const testInvitation = (await test.request<any>(INVITE, { input: { email: "pending-test@example.test", role: "SUPPORT" } })).inviteUser;
    const liveInvitation = (await live.request<any>(INVITE, { input: { email: "pending-live@example.test", role: "SUPPORT" } })).inviteUser;
    const otherInvitation = (await other.request<any>(INVITE, { input: { email: "pending-other@example.test", role: "SUPPORT" } }))
      .inviteUser;

    const inTest = await people(test);
    const inLive = await people(live);
    const elsewhere = await people(other);

    expect(inTest.members.map((m: any) => m.user.id)).toContain(testMember.userId);
    expect(inTest.members.map((m: any) => m.user.id)).not.toContain(liveMember.userId);
    expect(inTest.members.every((m: any) => m.environment === "TEST")).toBe(true);
    expect(inLive.members.map((m: any) => m.user.id)).toContain(liveMember.userId);
    expect(inLive.members.map((m: any) => m.user.id)).not.toContain(testMember.userId);
    expect(inLive.members.every((m: any) => m.environment === "LIVE")).toBe(true);
    // The bootstrap admin is a member of both environments, each with a membership of its own.
    const admins = [inTest, inLive].map((view) => view.members.find((m: any) => m.user.email === "admin@example.test"));
    expect(admins[0].user.id).toBe(admins[1].user.id);
    expect(admins[0].id).not.toBe(admins[1].id);
    // The counts are those of the lists, not of the organization.
    expect(inTest.memberCount).toBe(inTest.members.length);
    expect(inLive.memberCount).toBe(inLive.members.length);

    expect(inTest.invitations.map((i: any) => i.id)).toEqual(expect.arrayContaining([testInvitation.id]));
    expect(inTest.invitations.map((i: any) => i.id)).not.toContain(liveInvitation.id);
    expect(inLive.invitations.map((i: any) => i.id)).toContain(liveInvitation.id);
    expect(inLive.invitations.map((i: any) => i.id)).not.toContain(testInvitation.id);
    expect(inTest.invitationCount).toBe(inTest.invitations.length);

    // Another organization sees none of it, and only its own invitation.
    expect(elsewhere.organization).not.toBe(inTest.organization);
    expect(elsewhere.members).toEqual([]);
    expect(elsewhere.invitations.map((i: any) => i.id)).toEqual([otherInvitation.id]);
    for (const view of [inTest, inLive]) expect(view.invitations.map((i: any) => i.id)).not.toContain(otherInvitation.id);
  });
});

describe("the audit log", () => {
  const AUDIT = `{ organizations { auditLog(first: 100) { totalCount edges { node { id action targetId } } } } }`;
  const entries = async (client: GraphQLClient) => (await client.request<any>(AUDIT)).organizations[0].auditLog;

  it("shows each environment its own entries, and another organization none of them", async () => {
    const testKey = await createKey(test, { name: "audited in TEST" });
    const liveKey = await createKey(live, { name: "audited in LIVE" });
    const inTest = await entries(test);
    const inLive = await entries(live);
    const elsewhere = await entries(other);
    const targets = (log: any) => log.edges.map((e: any) => e.node.targetId);
    expect(targets(inTest)).toContain(testKey.id);
    expect(targets(inTest)).not.toContain(liveKey.id);
    expect(targets(inLive)).toContain(liveKey.id);
    expect(targets(inLive)).not.toContain(testKey.id);
    expect(targets(elsewhere)).not.toContain(testKey.id);
    expect(targets(elsewhere)).not.toContain(liveKey.id);
    // No entry is listed in two places.
    const ids = [inTest, inLive, elsewhere].flatMap((log) => log.edges.map((e: any) => e.node.id));
    expect(new Set(ids).size).toBe(ids.length);
    // Nor reachable by id from elsewhere.
    const [entry] = inTest.edges.filter((e: any) => e.node.targetId === testKey.id);
    for (const client of [live, other]) {
      expect((await client.request<any>(`query($id: ID!) { node(id: $id) { id } }`, { id: entry.node.id })).node).toBeNull();
    }
  });
});

describe("the key limit", () => {
  it("refuses a key past KEYWAY_MAX_KEYS_PER_ENVIRONMENT with LIMIT_EXCEEDED, per environment, counting deleted keys out", async () => {
    // An organization of its own: it starts with its ADMIN key in each environment, so three more fill TEST.
    const org = await server.otherOrganization();
    const client = server.client(org.testKey);
    const KEYS = `{ organizations { apiKeys { totalCount } } }`;
    const created = [];
    for (let i = 0; i < 3; i++) created.push(await createKey(client, { name: `limit ${i}` }));
    expect(created.map((k) => k.__typename)).toEqual(["APIKey", "APIKey", "APIKey"]);
    const refused = await createKey(client, { name: "one too many" });
    expect(refused).toEqual({ __typename: "UserError", errors: [expect.objectContaining({ code: "LIMIT_EXCEEDED" })] });
    expect((await client.request<any>(KEYS)).organizations[0].apiKeys.totalCount).toBe(4);
    // Rotation creates a key too.
    const rotate = `mutation($id: ID!) { rotateAPIKey(input: { apiKeyId: $id }) { __typename ... on UserError { errors { code } } } }`;
    expect((await client.request<any>(rotate, { id: created[0].id })).rotateAPIKey).toEqual({
      __typename: "UserError",
      errors: [{ code: "LIMIT_EXCEEDED" }],
    });
    // LIVE has its own count.
    expect((await createKey(server.client(org.liveKey), { name: "live one" })).__typename).toBe("APIKey");
    // A deleted key frees its place.
    await client.request(`mutation($id: ID!) { deleteAPIKey(input: { apiKeyId: $id }) { __typename } }`, { id: created[1].id });
    expect((await createKey(client, { name: "in its place" })).__typename).toBe("APIKey");
    expect((await createKey(client, { name: "and no more" })).__typename).toBe("UserError");
  });
});
