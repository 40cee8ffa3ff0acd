import { APIKeyRole, Environment } from "../src/entities/enums";
import { withEveryNode } from "./helpers/every-node";

const every = withEveryNode();

const NODE = `query($id: ID!) { node(id: $id) { __typename id } }`;

describe("node(id) for every type that implements Node", () => {
  it("has a real object of every Node type to look up", () => {
    expect(every.nodeTypes.length).toBeGreaterThanOrEqual(11);
    expect(every.nodeTypes.filter((type) => !every.ids.has(type))).toEqual([]);
  });

  it("returns each object to its organization and environment", async () => {
    const found = [];
    for (const type of every.nodeTypes) {
      const result = await every.server.post(NODE, { id: every.ids.get(type) }, { authorization: `Bearer ${every.server.adminKey}` });
      found.push([type, result.body.data?.node ?? result.body.errors]);
    }
    expect(found).toEqual(every.nodeTypes.map((type) => [type, { __typename: type, id: every.ids.get(type) }]));
  });

  it("returns null for each of them to another organization, and to another environment unless organization-wide", async () => {
    // The organization and its users' identities span both environments; everything else lives in one.
    const ORGANIZATION_WIDE = new Set(["Organization", "User"]);
    const live = await every.server.issueKey(APIKeyRole.ADMIN, Environment.LIVE);
    const other = (await every.server.otherOrganization()).testKey;
    const seen = [];
    for (const type of every.nodeTypes) {
      for (const [who, key] of [
        ["LIVE", live],
        ["other organization", other],
      ]) {
        const result = await every.server.post(NODE, { id: every.ids.get(type) }, { authorization: `Bearer ${key}` });
        seen.push([type, who, result.status, result.body.data?.node?.id ?? null]);
      }
    }
    expect(seen).toEqual(
      every.nodeTypes.flatMap((type) => [
        [type, "LIVE", 200, ORGANIZATION_WIDE.has(type) ? every.ids.get(type) : null],
        [type, "other organization", 200, null],
      ]),
    );
  });
});
