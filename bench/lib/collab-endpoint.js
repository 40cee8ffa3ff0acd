// The collaborative-authorization endpoint the benchmarks decide against, and the mutation they send: shared by
// bench/collab.js (time) and bench/instructions.js (instructions per simulated authorization).
const http = require("node:http");
const { graphql } = require("./server.js");

const SIMULATE = `mutation($input: SimulateCollaborativeAuthorizationInput!) {
  simulateCollaborativeAuthorization(input: $input) {
    __typename
    ... on CollaborativeAuthorizationRequest { id decidedBy }
    ... on UserError { errors { code description } }
  }
}`;
const SIMULATE_INPUT = { input: { amount: 1250, currencyCode: "USD", merchantName: "Bench Coffee" } };

/** An endpoint on 127.0.0.1 that approves at once and records how long it held each request (its own time). */
function startEndpoint() {
  const ownTimeMs = new Map();
  const server = http.createServer((req, res) => {
    const started = performance.now();
    req.resume();
    req.on("end", () => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end('{"responseCode":"APPROVED"}');
      ownTimeMs.set(req.headers["webhook-id"], performance.now() - started);
    });
  });
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () =>
      resolve({
        url: `http://127.0.0.1:${server.address().port}/decide`,
        ownTimeMs,
        stop: () =>
          new Promise((done) => {
            server.closeAllConnections();
            server.close(() => done());
          }),
      }),
    ),
  );
}

/** Runs the mutation `field` (input type `inputType`) and returns its payload, `selection` read on `typeName`. */
async function mutate(keyway, field, inputType, typeName, selection, input) {
  const query = `mutation ($input: ${inputType}!) { ${field}(input: $input) { __typename ... on ${typeName} { ${selection} } } }`;
  return (await graphql(keyway.url, keyway.key, query, { input }))[field];
}

/** Adds `endpointUrl` as the bootstrap key's environment's endpoint and activates it (Keyway calls it to activate). */
async function activateEndpoint(keyway, endpointUrl) {
  const type = "CollaborativeAuthorizationEndpoint";
  const added = await mutate(keyway, "addCollaborativeAuthorizationEndpoint", "AddCollaborativeAuthorizationEndpointInput", type, "id", {
    name: "bench",
    uri: endpointUrl,
  });
  const activated = await mutate(
    keyway,
    "activateCollaborativeAuthorizationEndpoint",
    "ActivateCollaborativeAuthorizationEndpointInput",
    type,
    "status",
    { endpointId: added.id },
  );
  if (activated.status !== "ACTIVE") throw new Error("endpoint did not activate");
}

/** One simulated authorization over `client` (sequentialClient); throws unless the endpoint decided it. */
async function simulateOnce(client) {
  const started = performance.now();
  const data = await client.request(SIMULATE, SIMULATE_INPUT);
  const elapsed = performance.now() - started;
  const result = data.simulateCollaborativeAuthorization;
  if (result.__typename !== "CollaborativeAuthorizationRequest" || result.decidedBy !== "ENDPOINT") {
    throw new Error(`unexpected answer: ${JSON.stringify(result)}`);
  }
  return { id: result.id, elapsed };
}

module.exports = { SIMULATE, SIMULATE_INPUT, startEndpoint, activateEndpoint, simulateOnce };
