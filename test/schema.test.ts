import { readFileSync } from "node:fs";
import path from "node:path";
import { getMetadataStorage } from "type-graphql";
import { isPermission } from "../src/auth/permissions";
import { createSchema, printSdl } from "../src/schema/build-schema";

/** Operations anyone may call, without credentials or permission. */
const PUBLIC_MUTATIONS = new Set(["signUp", "login", "acceptInvitation", "logout"]);
const PUBLIC_QUERIES = new Set(["ping"]);

describe("schema", () => {
  it("matches the committed schema.graphql (run `npm run schema` after changing the API)", async () => {
    const committed = readFileSync(path.join(__dirname, "..", "schema.graphql"), "utf8");
    expect(await printSdl()).toBe(committed);
  });

  it("declares a permission on every mutation that is not explicitly public", async () => {
    await createSchema(null);
    const storage = getMetadataStorage();
    const undeclared = storage.mutations
      .filter((m) => !PUBLIC_MUTATIONS.has(m.schemaName))
      .filter((m) => !m.roles || m.roles.length === 0 || !m.roles.every((role) => isPermission(String(role))))
      .map((m) => m.schemaName);
    expect(undeclared).toEqual([]);
    // Checked: every mutation of the schema but the public ones (33 when this was written).
    expect(storage.mutations.filter((m) => !PUBLIC_MUTATIONS.has(m.schemaName)).length).toBeGreaterThanOrEqual(29);
  });

  it("requires authentication on every query but the public ones", async () => {
    await createSchema(null);
    const checked = getMetadataStorage().queries.filter((q) => !PUBLIC_QUERIES.has(q.schemaName));
    const open = checked.filter((q) => q.roles === undefined).map((q) => q.schemaName);
    expect(open).toEqual([]);
    // viewer, node, organizations at least.
    expect(checked.map((q) => q.schemaName)).toEqual(expect.arrayContaining(["viewer", "node", "organizations"]));
  });

  it("takes exactly one `input: <Name>Input!` argument on every mutation with arguments", async () => {
    const schema = await createSchema(null);
    const withArguments = Object.values(schema.getMutationType()!.getFields()).filter((field) => field.args.length > 0);
    // Every mutation but logout and rotateSharedSecret (31 when this was written).
    expect(withArguments.length).toBeGreaterThanOrEqual(31);
    const wrong = withArguments
      .filter((field) => {
        const [arg] = field.args;
        const expected = `${field.name[0].toUpperCase()}${field.name.slice(1)}Input!`;
        return field.args.length !== 1 || arg.name !== "input" || arg.type.toString() !== expected;
      })
      .map((field) => field.name);
    expect(wrong).toEqual([]);
  });
});
