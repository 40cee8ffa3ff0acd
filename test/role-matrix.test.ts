import {
  getNamedType,
  GraphQLField,
  GraphQLInputType,
  GraphQLSchema,
  isCompositeType,
  isEnumType,
  isInputObjectType,
  isListType,
  isNonNullType,
  isUnionType,
} from "graphql";
import { getMetadataStorage } from "type-graphql";
import { startTestServer, TestServer } from "./helpers/server";
import { API_KEY_ROLE_PERMISSIONS, Permission, USER_ROLE_PERMISSIONS } from "../src/auth/permissions";
import { APIKeyRole, UserRole } from "../src/entities/enums";
import { createSchema } from "../src/schema/build-schema";
import { ID_PREFIXES, NodeTypeName } from "../src/schema/ids";
import { bearerHeaders, createUser, loginAdmin, post } from "./helpers/users";

/**
 * Every mutation of the built schema × every kind of actor, checked against the
 * permission each mutation declares (@Authorized) and the one role→permission
 * map. Inputs are generated from the input types, so a mutation added anywhere
 * is covered without touching this file. Also every permission-guarded field of
 * Organization (the lists and the shared secret).
 */

interface Actor {
  name: string;
  credential: string;
  permissions: ReadonlySet<Permission>;
}

let server: TestServer;
let schema: GraphQLSchema;
let actors: Actor[];

beforeAll(async () => {
  schema = await createSchema(null);
  server = await startTestServer();
  const [developer, support] = [await createUser(server, UserRole.DEVELOPER), await createUser(server, UserRole.SUPPORT)];
  actors = [
    { name: "ADMIN user", credential: await loginAdmin(server), permissions: new Set(USER_ROLE_PERMISSIONS[UserRole.ADMIN]) },
    { name: "DEVELOPER user", credential: developer.token, permissions: new Set(USER_ROLE_PERMISSIONS[UserRole.DEVELOPER]) },
    { name: "SUPPORT user", credential: support.token, permissions: new Set(USER_ROLE_PERMISSIONS[UserRole.SUPPORT]) },
    { name: "ADMIN key", credential: server.adminKey, permissions: new Set(API_KEY_ROLE_PERMISSIONS[APIKeyRole.ADMIN]) },
    { name: "READONLY key", credential: await server.issueKey(APIKeyRole.READONLY), permissions: new Set(API_KEY_ROLE_PERMISSIONS[APIKeyRole.READONLY]) },
  ];
});
afterAll(async () => {
  await server?.stop();
});

/** A syntactically valid id of the type the field name suggests (apiKeyId → key_…, targetIds → nt_…) that names nothing. */
function unknownId(fieldName: string): string {
  const noun = fieldName.replace(/Ids?$/, "").toLowerCase();
  const type = (Object.keys(ID_PREFIXES) as NodeTypeName[]).find((name) => name.toLowerCase().endsWith(noun)) ?? "APIKey";
  return `${ID_PREFIXES[type]}_${"0".repeat(31)}1`;
}

function scalarValue(scalar: string, fieldName: string): unknown {
  const name = fieldName.toLowerCase();
  switch (scalar) {
    case "ID":
      return unknownId(fieldName);
    case "Int":
    case "Float":
      return 100;
    case "Boolean":
      return false;
    case "DateTime":
      return new Date(Date.now() + 86_400_000).toISOString();
    default:
      if (name.includes("email")) return "matrix@example.test";
      if (name.includes("uri") || name.includes("url")) return "http://127.0.0.1:9/matrix";
      if (name.includes("password")) return "matrix-password-1";
      if (name.includes("currency")) return "USD";
      return `matrix-${Math.random().toString(36).slice(2, 8)}`;
  }
}

/** Required fields only, filled with type-appropriate values; enums take their last (by convention least privileged) value. */
function minimalValue(type: GraphQLInputType, fieldName: string): unknown {
  if (isNonNullType(type)) return minimalValue(type.ofType, fieldName);
  if (isListType(type)) return [minimalValue(type.ofType, fieldName)];
  if (isEnumType(type)) return type.getValues()[type.getValues().length - 1].name;
  if (isInputObjectType(type)) {
    const value: Record<string, unknown> = {};
    for (const field of Object.values(type.getFields())) {
      if (isNonNullType(field.type) && field.defaultValue === undefined) value[field.name] = minimalValue(field.type, field.name);
    }
    return value;
  }
  return scalarValue(type.name, fieldName);
}

function operation(kind: "mutation" | "query", field: GraphQLField<unknown, unknown>, wrap: (call: string) => string) {
  const required = field.args.filter((arg) => isNonNullType(arg.type) && arg.defaultValue === undefined);
  const variables = Object.fromEntries(required.map((arg) => [arg.name, minimalValue(arg.type, arg.name)]));
  const declarations = required.map((arg) => `$${arg.name}: ${arg.type.toString()}`).join(", ");
  const args = required.map((arg) => `${arg.name}: $${arg.name}`).join(", ");
  const selection = isCompositeType(getNamedType(field.type)) ? " { __typename }" : "";
  const call = `${field.name}${args ? `(${args})` : ""}${selection}`;
  return { query: `${kind}${declarations ? `(${declarations})` : ""} { ${wrap(call)} }`, variables };
}

function declaredPermissions(roles: unknown[] | undefined): Permission[] {
  return (roles ?? []) as Permission[];
}

describe("role × operation matrix", () => {
  it("allows exactly the mutations each actor's permissions cover, for every mutation in the schema", async () => {
    const declared = new Map(getMetadataStorage().mutations.map((m) => [m.schemaName, m.roles]));
    const guarded = Object.values(schema.getMutationType()!.getFields()).filter((field) => declared.get(field.name) !== undefined);
    expect(guarded.length).toBeGreaterThanOrEqual(12);
    const mismatches: string[] = [];
    let cells = 0;
    for (const field of guarded) {
      const needs = declaredPermissions(declared.get(field.name));
      // The contract: a guarded mutation returns a union with AccessDeniedError.
      const type = getNamedType(field.type);
      expect(isUnionType(type) && type.getTypes().some((t) => t.name === "AccessDeniedError")).toBe(true);
      for (const actor of actors) {
        const { query, variables } = operation("mutation", field, (call) => call);
        const result = await post(server, query, variables, bearerHeaders(actor.credential));
        cells++;
        const allowed = needs.every((permission) => actor.permissions.has(permission));
        const typename = result.body.data?.[field.name]?.__typename;
        if (result.status !== 200 || result.body.errors) {
          mismatches.push(`${field.name} as ${actor.name}: HTTP ${result.status} ${JSON.stringify(result.body.errors)}`);
        } else if (allowed === (typename === "AccessDeniedError")) {
          mismatches.push(`${field.name} as ${actor.name}: expected ${allowed ? "allowed" : "denied"}, got ${typename}`);
        }
      }
    }
    expect(mismatches).toEqual([]);
    expect(cells).toBe(guarded.length * actors.length);
    process.stdout.write(`role matrix: ${guarded.length} mutations × ${actors.length} actors = ${cells} cells checked\n`);
  });

  it("returns permission-guarded Organization fields to the actors that hold the permission, FORBIDDEN to the others", async () => {
    const organization = getMetadataStorage().objectTypes.find((type) => type.name === "Organization")!;
    const guarded = organization.fields!.filter((field) => field.roles !== undefined && field.roles.length > 0);
    const fields = schema.getType("Organization") as unknown as { getFields(): Record<string, GraphQLField<unknown, unknown>> };
    const mismatches: string[] = [];
    let cells = 0;
    for (const meta of guarded) {
      const field = fields.getFields()[meta.schemaName];
      const needs = declaredPermissions(meta.roles);
      for (const actor of actors) {
        const { query, variables } = operation("query", field, (call) => `organizations { ${call} }`);
        const result = await post(server, query, variables, bearerHeaders(actor.credential));
        cells++;
        const allowed = needs.every((permission) => actor.permissions.has(permission));
        const forbidden = result.body.errors?.some((e: any) => e.extensions?.code === "FORBIDDEN" && e.path?.[2] === field.name) ?? false;
        const otherErrors = result.body.errors?.filter((e: any) => e.extensions?.code !== "FORBIDDEN") ?? [];
        if (result.status !== 200 || otherErrors.length) mismatches.push(`${field.name} as ${actor.name}: ${JSON.stringify(result.body.errors)}`);
        else if (allowed === forbidden) mismatches.push(`${field.name} as ${actor.name}: expected ${allowed ? "allowed" : "FORBIDDEN"}`);
      }
    }
    expect(mismatches).toEqual([]);
    expect(cells).toBe(guarded.length * actors.length);
    process.stdout.write(`role matrix: ${guarded.length} Organization fields × ${actors.length} actors = ${cells} cells checked\n`);
  });
});
