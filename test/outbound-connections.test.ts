import { activeTarget, deliveredIds, keyCreatedEvent } from "./helpers/delivery-controls";
import { approvingEndpoint, isDecisionRequest, Receiver } from "./helpers/receiver";
import { startTestServer, TestServer } from "./helpers/server";
import { waitFor } from "./helpers/wait";

// Keyway's requests to a customer's URL (webhook deliveries, collaborative-authorization decisions) reuse kept-alive
// connections: a TCP handshake per request costs the receiver and Keyway a connection each time, and under load most
// of Keyway's CPU. The receiver here is an ordinary Node server (5 s keep-alive).

let server: TestServer;
let receiver: Receiver;

beforeAll(async () => {
  receiver = await approvingEndpoint();
  server = await startTestServer();
});
afterAll(async () => {
  await server?.stop();
  await receiver?.stop();
});

it("delivers one event after another to a target over one kept-alive connection", async () => {
  await activeTarget(server.admin, receiver, "reused");
  for (let i = 0; i < 4; i++) {
    await keyCreatedEvent(server.admin, `connection reuse ${i}`);
    await waitFor(() => deliveredIds(receiver, "reused").length === i + 1, undefined, `delivery ${i + 1}`);
  }
  const connections = new Set(
    receiver
      .to("reused")
      .filter((request) => request.json?.type === "API_KEY_CREATED")
      .map((request) => request.connection),
  );
  expect(connections.size).toBe(1);
});

it("asks a collaborative-authorization endpoint one decision after another over one kept-alive connection", async () => {
  const added = await server.admin.request<any>(
    `mutation($input: AddCollaborativeAuthorizationEndpointInput!) { addCollaborativeAuthorizationEndpoint(input: $input) {
      ... on CollaborativeAuthorizationEndpoint { id } } }`,
    { input: { name: "reused", uri: receiver.target("decide") } },
  );
  const activated = await server.admin.request<any>(
    `mutation($input: ActivateCollaborativeAuthorizationEndpointInput!) { activateCollaborativeAuthorizationEndpoint(input: $input) {
      ... on CollaborativeAuthorizationEndpoint { status } } }`,
    { input: { endpointId: added.addCollaborativeAuthorizationEndpoint.id } },
  );
  expect(activated.activateCollaborativeAuthorizationEndpoint.status).toBe("ACTIVE");
  for (let i = 0; i < 4; i++) {
    const simulated = await server.admin.request<any>(
      `mutation { simulateCollaborativeAuthorization(input: { amount: 100, currencyCode: "USD" }) {
        ... on CollaborativeAuthorizationRequest { decidedBy } } }`,
    );
    expect(simulated.simulateCollaborativeAuthorization.decidedBy).toBe("ENDPOINT");
  }
  const decisions = receiver.to("decide").filter(isDecisionRequest);
  expect(decisions).toHaveLength(4);
  expect(new Set(decisions.map((request) => request.connection)).size).toBe(1);
});
