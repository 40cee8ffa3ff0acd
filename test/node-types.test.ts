import { isObjectType } from "graphql";
import { APIKeyRole, Environment } from "../src/entities/enums";
import { createSchema } from "../src/schema/build-schema";
import { oneOfEachNode } from "./helpers/every-node";
import { Receiver } from "./helpers/receiver";
import { startTestServer, TestServer } from "./helpers/server";

let server: TestServer;
let receiver: Receiver;
let ids: Map<string, string>;
let nodeTypes: string[];

beforeAll(async () => {
  receiver = await Receiver.start();
  server = await startTestServer({ KEYWAY_WEBHOOK_ACTIVATION_TIMEOUT_MS: "2000", KEYWAY_COLLAB_TIMEOUT_MS: "500" });
  ids = await oneOfEachNode(server.admin, receiver.url);
  const schema = await createSchema(null);
  nodeTypes = Object.values(schema.getTypeMap())
    .filter((type) => isObjectType(type) && type.getInterfaces().some((iface) => iface.name === "Node"))
    .map((type) => type.name)
    .sort();
});
afterAll(async () => {
  await server?.stop();
  await receiver?.stop();
});

const NODE = `query($id: ID!) { node(id: $id) { __typename id } }`;

describe("node(id) for every type that implements Node", () => {
  it("has a real object of every Node type to look up", () => {
    expect(nodeTypes.length).toBeGreaterThanOrEqual(11);
    expect(nodeTypes.filter((type) => !ids.has(type))).toEqual([]);
  });

  it("returns each object to its organization and environment", async () => {
    const found = [];
    for (const type of nodeTypes) {
      const result = await server.post(NODE, { id: ids.get(type) }, { authorization: `Bearer ${server.adminKey}` });
      found.push([type, result.body.data?.node ?? result.body.errors]);
    }
    expect(found).toEqual(nodeTypes.map((type) => [type, { __typename: type, id: ids.get(type) }]));
  });

  it("returns null for each of them to another organization, and to another environment unless organization-wide", async () => {
    // The organization and its users' identities span both environments; everything else lives in one.
    const ORGANIZATION_WIDE = new Set(["Organization", "User"]);
    const live = await server.issueKey(APIKeyRole.ADMIN, Environment.LIVE);
    const other = (await server.otherOrganization()).testKey;
    const seen = [];
    for (const type of nodeTypes) {
      for (const [who, key] of [
        ["LIVE", live],
        ["other organization", other],
      ]) {
        const result = await server.post(NODE, { id: ids.get(type) }, { authorization: `Bearer ${key}` });
        seen.push([type, who, result.status, result.body.data?.node?.id ?? null]);
      }
    }
    expect(seen).toEqual(
      nodeTypes.flatMap((type) => [
        [type, "LIVE", 200, ORGANIZATION_WIDE.has(type) ? ids.get(type) : null],
        [type, "other organization", 200, null],
      ]),
    );
  });
});
