import { APIKeyRole, UserRole } from "../src/entities/enums";
import { redactQueryValues } from "../src/schema/redacted-uri";
import { Receiver } from "./helpers/receiver";
import { bearer, startTestServer, TestServer } from "./helpers/server";
import { createUser } from "./helpers/users";

let server: TestServer;
let receiver: Receiver;
let targetId: string;
let uri: string;

beforeAll(async () => {
  receiver = await Receiver.start();
  server = await startTestServer();
  uri = `${receiver.url}/hook?token=s3cr3t&x=1&flag`;
  const added = await server.admin.request<any>(
    `mutation($i: AddWebhookNotificationTargetInput!) { addWebhookNotificationTarget(input: $i) { ... on WebhookNotificationTarget { id uri } } }`,
    { i: { name: "with token", uri, subscriptions: ["API_KEY_CREATED"] } },
  );
  targetId = added.addWebhookNotificationTarget.id;
  expect(added.addWebhookNotificationTarget.uri).toBe(uri);
});
afterAll(async () => {
  await server?.stop();
  await receiver?.stop();
});

const READ = `query($id: ID!) {
  node(id: $id) { ... on WebhookNotificationTarget { uri } }
  organizations { webhookNotificationTargets(first: 10) { edges { node { uri } } } }
}`;

async function urisSeenBy(credential: string): Promise<string[]> {
  const result = await server.post(READ, { id: targetId }, bearer(credential));
  expect(result.body.errors).toBeUndefined();
  return [
    result.body.data.node.uri,
    ...result.body.data.organizations[0].webhookNotificationTargets.edges.map((edge: any) => edge.node.uri),
  ];
}

describe("target uri", () => {
  it("is whole for actors who may change the target (targets:write)", async () => {
    const developer = await createUser(server, UserRole.DEVELOPER);
    expect(await urisSeenBy(server.adminKey)).toEqual([uri, uri]);
    expect(await urisSeenBy(developer.token)).toEqual([uri, uri]);
  });

  it("has its query values redacted for readers without targets:write (READONLY key, SUPPORT user)", async () => {
    const redacted = `${receiver.url}/hook?token=[redacted]&x=[redacted]&[redacted]`;
    const readonly = await server.issueKey(APIKeyRole.READONLY);
    const support = await createUser(server, UserRole.SUPPORT);
    expect(await urisSeenBy(readonly)).toEqual([redacted, redacted]);
    expect(await urisSeenBy(support.token)).toEqual([redacted, redacted]);
  });

  it.each([
    ["https://hooks.example.com/x", "https://hooks.example.com/x"],
    ["https://hooks.example.com/x?", "https://hooks.example.com/x?"],
    ["https://hooks.example.com/x?token=abc&x=1", "https://hooks.example.com/x?token=[redacted]&x=[redacted]"],
    ["https://hooks.example.com/x?a=&&b=c=d", "https://hooks.example.com/x?a=[redacted]&&b=[redacted]"],
    ["https://hooks.example.com/x?secret", "https://hooks.example.com/x?[redacted]"],
    ["https://hooks.example.com/x?t=1#frag=2", "https://hooks.example.com/x?t=[redacted]#[redacted]"],
    ["https://hooks.example.com/x#only", "https://hooks.example.com/x#[redacted]"],
  ])("redacts %s as %s", (input, expected) => {
    expect(redactQueryValues(input)).toBe(expected);
  });
});
