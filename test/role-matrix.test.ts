import { getNamedType, GraphQLObjectType, GraphQLSchema, isUnionType } from "graphql";
import { startTestServer, TestServer } from "./helpers/server";
import { createSchema } from "../src/schema/build-schema";
import {
  generatedOperation,
  MUTATION_PERMISSIONS,
  ORGANIZATION_FIELD_PERMISSIONS,
  PermissionActor,
  PUBLIC_MUTATIONS,
  roleActors,
} from "./helpers/permissions";
import { bearerHeaders, post } from "./helpers/users";

/**
 * Every mutation of the built schema × every kind of actor, and every field of Organization × every actor,
 * against what the product contract says, written out by hand in helpers/permissions.ts: no rule there is read
 * from the code under test, so a permission declared wrongly (or a role given the wrong permissions) fails. Inputs are generated
 * from the input types; a mutation or Organization field missing from those tables fails the test until someone
 * writes down what it needs.
 */

let server: TestServer;
let schema: GraphQLSchema;
let actors: PermissionActor[];

beforeAll(async () => {
  schema = await createSchema(null);
  server = await startTestServer();
  actors = await roleActors(server);
});
afterAll(async () => {
  await server?.stop();
});

describe("role × operation matrix", () => {
  it("has an expectation for every mutation and Organization field of the schema", () => {
    const mutations = Object.keys(schema.getMutationType()!.getFields()).filter((name) => !PUBLIC_MUTATIONS.includes(name));
    expect(mutations.filter((name) => !(name in MUTATION_PERMISSIONS))).toEqual([]);
    expect(Object.keys(MUTATION_PERMISSIONS).filter((name) => !mutations.includes(name))).toEqual([]);
    const fields = Object.keys((schema.getType("Organization") as GraphQLObjectType).getFields());
    expect(fields.filter((name) => !(name in ORGANIZATION_FIELD_PERMISSIONS))).toEqual([]);
    expect(Object.keys(ORGANIZATION_FIELD_PERMISSIONS).filter((name) => !fields.includes(name))).toEqual([]);
  });

  it("allows exactly the mutations each actor's permissions cover, for every mutation in the schema", async () => {
    const guarded = Object.values(schema.getMutationType()!.getFields()).filter((field) => !PUBLIC_MUTATIONS.includes(field.name));
    expect(guarded.length).toBeGreaterThanOrEqual(29);
    const mismatches: string[] = [];
    let cells = 0;
    let denied = 0;
    for (const field of guarded) {
      const needs = MUTATION_PERMISSIONS[field.name];
      // The contract: a guarded mutation returns a union with AccessDeniedError.
      const type = getNamedType(field.type);
      expect([field.name, isUnionType(type) && type.getTypes().some((t) => t.name === "AccessDeniedError")]).toEqual([field.name, true]);
      for (const actor of actors) {
        const { query, variables } = generatedOperation("mutation", field);
        const result = await post(server, query, variables, bearerHeaders(actor.credential));
        cells++;
        const allowed = needs !== undefined && actor.permissions.has(needs);
        const typename = result.body.data?.[field.name]?.__typename;
        if (typename === "AccessDeniedError") denied++;
        if (result.status !== 200 || result.body.errors) {
          mismatches.push(`${field.name} as ${actor.name}: HTTP ${result.status} ${JSON.stringify(result.body.errors)}`);
        } else if (allowed === (typename === "AccessDeniedError")) {
          mismatches.push(`${field.name} as ${actor.name}: expected ${allowed ? "allowed" : "denied"}, got ${typename}`);
        }
      }
    }
    expect(mismatches).toEqual([]);
    expect(cells).toBe(guarded.length * actors.length);
    expect(cells).toBeGreaterThanOrEqual(29 * 5);
    // Both outcomes occur: SUPPORT and READONLY are denied every write, the ADMINs none.
    expect(denied).toBeGreaterThanOrEqual(2 * 25);
    expect(denied).toBeLessThan(cells - 2 * guarded.length);
    process.stdout.write(`role matrix: ${guarded.length} mutations × ${actors.length} actors = ${cells} cells checked\n`);
  });

  it("returns permission-guarded Organization fields to the actors that hold the permission, FORBIDDEN to the others", async () => {
    const fields = (schema.getType("Organization") as GraphQLObjectType).getFields();
    const mismatches: string[] = [];
    let cells = 0;
    let forbiddenCells = 0;
    for (const [name, needs] of Object.entries(ORGANIZATION_FIELD_PERMISSIONS)) {
      const field = fields[name];
      for (const actor of actors) {
        const { query, variables } = generatedOperation("query", field, { wrap: (call) => `organizations { ${call} }` });
        const result = await post(server, query, variables, bearerHeaders(actor.credential));
        cells++;
        const allowed = needs === null || actor.permissions.has(needs);
        const forbidden = result.body.errors?.some((e: any) => e.extensions?.code === "FORBIDDEN" && e.path?.[2] === field.name) ?? false;
        if (forbidden) forbiddenCells++;
        const otherErrors = result.body.errors?.filter((e: any) => e.extensions?.code !== "FORBIDDEN") ?? [];
        if (result.status !== 200 || otherErrors.length)
          mismatches.push(`${field.name} as ${actor.name}: ${JSON.stringify(result.body.errors)}`);
        else if (allowed === forbidden) mismatches.push(`${field.name} as ${actor.name}: expected ${allowed ? "allowed" : "FORBIDDEN"}`);
        else if (allowed && result.body.data?.organizations?.[0]?.[field.name] === undefined)
          mismatches.push(`${field.name} as ${actor.name}: no data`);
      }
    }
    expect(mismatches).toEqual([]);
    expect(cells).toBeGreaterThanOrEqual(13 * 5);
    // sharedSecret is refused to DEVELOPER, SUPPORT and READONLY.
    expect(forbiddenCells).toBeGreaterThanOrEqual(3);
    process.stdout.write(
      `role matrix: ${Object.keys(ORGANIZATION_FIELD_PERMISSIONS).length} Organization fields × ${actors.length} actors = ${cells} cells checked\n`,
    );
  });
});
