import {
  getNamedType,
  getNullableType,
  GraphQLField,
  GraphQLInputType,
  GraphQLNamedType,
  GraphQLObjectType,
  GraphQLSchema,
  isEnumType,
  isInputObjectType,
  isInterfaceType,
  isListType,
  isNonNullType,
  isObjectType,
  isScalarType,
  isUnionType,
} from "graphql";
import { createSchema } from "../src/schema/build-schema";
import { oneOfEachNode } from "./helpers/every-node";
import { Receiver } from "./helpers/receiver";
import { bearer, startTestServer, TestServer } from "./helpers/server";

/**
 * Generated from the schema: every String, ID and JSON argument and input field
 * reachable from Query and Mutation gets a NUL byte and a lone surrogate, and must
 * be refused as invalid input (UserError INVALID_INPUT at its errorPath in a
 * mutation payload, else 400 BAD_USER_INPUT), never with a 5xx or an internal error.
 */
const BAD_TEXTS = { NUL: "a\u0000b@example.com", "lone high surrogate": "a\ud800b", "lone low surrogate": "\udc00" };
const TEXTLESS = new Set(["Int", "Float", "Boolean", "DateTime"]);

type Path = Array<string | number>;

let server: TestServer;
let receiver: Receiver;
let schema: GraphQLSchema;
let ids: Map<string, string>;

beforeAll(async () => {
  receiver = await Receiver.start();
  server = await startTestServer({ KEYWAY_WEBHOOK_ACTIVATION_TIMEOUT_MS: "2000", KEYWAY_COLLAB_TIMEOUT_MS: "500" });
  ids = await oneOfEachNode(server.admin, receiver.url);
  schema = await createSchema(null);
});
afterAll(async () => {
  await server?.stop();
  await receiver?.stop();
});

function typeRef(type: GraphQLInputType): string {
  return type.toString();
}

/** A custom scalar holding JSON (metadata): text goes into it as a property's value. */
function isJsonScalar(type: GraphQLNamedType): boolean {
  return isScalarType(type) && !TEXTLESS.has(type.name) && type.name !== "String" && type.name !== "ID";
}

/** A value of `type` that coercion accepts, with `leaf` at `path` when given. */
function minimal(type: GraphQLInputType, path: Path = [], leaf?: string, depth = 0): unknown {
  const nullable = getNullableType<GraphQLInputType>(type);
  if (isListType(nullable)) return [minimal(nullable.ofType, path.slice(1), leaf, depth)];
  if (path.length === 0 && leaf !== undefined) return leaf;
  const named = getNamedType(type);
  // Text reaches a JSON scalar (metadata) as a value inside an object, the only shape it accepts.
  if (isJsonScalar(named) && path.length === 1 && leaf !== undefined) return { [path[0]]: leaf };
  if (isEnumType(named)) return named.getValues()[0].value === undefined ? named.getValues()[0].name : named.getValues()[0].name;
  if (isScalarType(named)) {
    if (named.name === "Int" || named.name === "Float") return 1;
    if (named.name === "Boolean") return true;
    if (named.name === "DateTime") return "2030-01-01T00:00:00Z";
    if (named.name === "String" || named.name === "ID") return "x";
    return {};
  }
  if (!isInputObjectType(named)) throw new Error(`not an input type: ${String(named)}`);
  const value: Record<string, unknown> = {};
  for (const field of Object.values(named.getFields())) {
    if (field.name === path[0]) value[field.name] = minimal(field.type, path.slice(1), leaf, depth + 1);
    else if (isNonNullType(field.type) && field.defaultValue === undefined)
      value[field.name] = minimal(field.type, [], undefined, depth + 1);
  }
  return value;
}

/** Paths (within a value of `type`) of every place text can go. */
function textPaths(type: GraphQLInputType, depth = 0): Path[] {
  if (depth > 5) return [];
  const nullable = getNullableType<GraphQLInputType>(type);
  if (isListType(nullable)) return textPaths(nullable.ofType, depth + 1).map((path) => [0, ...path]);
  const named = getNamedType(type);
  if (isEnumType(named)) return [];
  if (isJsonScalar(named)) return [["note"]];
  if (isScalarType(named)) return TEXTLESS.has(named.name) ? [] : [[]];
  if (!isInputObjectType(named)) return [];
  return Object.values(named.getFields()).flatMap((field) => textPaths(field.type, depth + 1).map((path) => [field.name, ...path]));
}

function selectionOf(type: GraphQLNamedType): string {
  if (isObjectType(type) || isInterfaceType(type) || isUnionType(type)) {
    return isUnionType(type) && type.getTypes().some((member) => member.name === "UserError")
      ? "{ __typename ... on UserError { errors { code errorPath } } }"
      : "{ __typename }";
  }
  return "";
}

interface Probe {
  name: string;
  query: string;
  variables: Record<string, unknown>;
  /** For mutation payloads: the root field whose payload answers UserError. */
  payloadField: string | null;
  argumentPath: Path;
}

/** A way to reach each object type from the root: `wrap(selection)` gives the whole operation body. */
function reachableTypes(): Array<{ type: GraphQLObjectType; wrap: (inner: string) => string; variables: Record<string, unknown> }> {
  const reached = new Map<string, { type: GraphQLObjectType; wrap: (inner: string) => string; variables: Record<string, unknown> }>();
  const queue: Array<{ type: GraphQLObjectType; wrap: (inner: string) => string; variables: Record<string, unknown> }> = [];
  const visit = (type: GraphQLObjectType, wrap: (inner: string) => string, variables: Record<string, unknown>) => {
    if (reached.has(type.name)) return;
    reached.set(type.name, { type, wrap, variables });
    queue.push({ type, wrap, variables });
  };
  const query = schema.getQueryType()!;
  visit(query, (inner) => inner, {});
  // Objects of Node types are reached through node(id) of a real one: their fields then run.
  for (const [typeName, id] of ids) {
    const type = schema.getType(typeName);
    if (isObjectType(type)) visit(type, (inner) => `node(id: "${id}") { ... on ${typeName} { ${inner} } }`, {});
  }
  while (queue.length) {
    const { type, wrap, variables } = queue.shift()!;
    for (const field of Object.values(type.getFields())) {
      if (field.args.some((arg) => isNonNullType(arg.type) && arg.defaultValue === undefined)) continue;
      const named = getNamedType(field.type);
      const members = isUnionType(named) ? named.getTypes() : isObjectType(named) ? [named] : [];
      for (const member of members) {
        const spread = isUnionType(named)
          ? (inner: string) => `${field.name} { ... on ${member.name} { ${inner} } }`
          : (inner: string) => `${field.name} { ${inner} }`;
        visit(member, (inner) => wrap(spread(inner)), variables);
      }
    }
  }
  return [...reached.values()];
}

function probesOf(field: GraphQLField<unknown, unknown>, root: "query" | "mutation", wrap: (inner: string) => string): Probe[] {
  const probes: Probe[] = [];
  for (const target of field.args) {
    for (const path of textPaths(target.type)) {
      for (const [what, text] of Object.entries(BAD_TEXTS)) {
        const variables: Record<string, unknown> = {};
        const declared: string[] = [];
        const passed: string[] = [];
        for (const arg of field.args) {
          const required = isNonNullType(arg.type) && arg.defaultValue === undefined;
          if (arg !== target && !required) continue;
          variables[arg.name] = arg === target ? minimal(arg.type, path, text) : minimal(arg.type);
          declared.push(`$${arg.name}: ${typeRef(arg.type)}`);
          passed.push(`${arg.name}: $${arg.name}`);
        }
        const payload = getNamedType(field.type);
        const selection = `${field.name}(${passed.join(", ")}) ${selectionOf(payload)}`;
        const asPayload = root === "mutation" && isUnionType(payload) && payload.getTypes().some((member) => member.name === "UserError");
        probes.push({
          name: `${root} ${wrap("·")} ${field.name}(${[target.name, ...path].join(".")}) with a ${what}`,
          query: `${root}(${declared.join(", ")}) { ${wrap(selection)} }`,
          variables,
          payloadField: asPayload ? field.name : null,
          argumentPath: [target.name, ...path],
        });
      }
    }
  }
  return probes;
}

function allProbes(): Probe[] {
  const probes: Probe[] = [];
  for (const { type, wrap } of reachableTypes()) {
    for (const field of Object.values(type.getFields())) probes.push(...probesOf(field, "query", wrap));
  }
  for (const field of Object.values(schema.getMutationType()!.getFields())) probes.push(...probesOf(field, "mutation", (inner) => inner));
  return probes;
}

/** What the server answered, in a form one comparison can judge. */
async function send(probe: Probe): Promise<string> {
  const response = await fetch(server.url, {
    method: "POST",
    headers: { "content-type": "application/json", ...bearer(server.adminKey) },
    body: JSON.stringify({ query: probe.query, variables: probe.variables }),
  });
  const text = await response.text();
  if (response.status >= 500) return `HTTP ${response.status}: ${text.slice(0, 300)}`;
  if (/INTERNAL_SERVER_ERROR|invalid byte sequence|URI malformed/.test(text)) return `internal error: ${text.slice(0, 300)}`;
  const body = JSON.parse(text);
  if (probe.payloadField) {
    const payload = body.data?.[probe.payloadField];
    const error = payload?.errors?.[0];
    const path = probe.argumentPath[0] === "input" ? probe.argumentPath.map(String) : null;
    if (payload?.__typename === "UserError" && error.code === "INVALID_INPUT" && JSON.stringify(error.errorPath) === JSON.stringify(path))
      return "refused";
    return `not refused at its errorPath: ${text.slice(0, 300)}`;
  }
  const refusal = body.errors?.find((error: any) => error.extensions?.code === "BAD_USER_INPUT");
  if (response.status === 400 && refusal && JSON.stringify(refusal.extensions.argumentPath) === JSON.stringify(probe.argumentPath))
    return "refused";
  return `not refused with 400 BAD_USER_INPUT: HTTP ${response.status} ${text.slice(0, 300)}`;
}

describe("text that PostgreSQL and UTF-8 cannot carry", () => {
  it("is refused as invalid input in every String, ID and JSON argument and input field of the schema", async () => {
    const probes = allProbes();
    expect(probes.length).toBeGreaterThan(100);
    const answers: Array<[string, string]> = [];
    for (let i = 0; i < probes.length; i += 16) {
      const batch = probes.slice(i, i + 16);
      const results = await Promise.all(batch.map(send));
      batch.forEach((probe, j) => answers.push([probe.name, results[j]]));
    }
    process.stdout.write(`string-input: ${probes.length} probes of malformed text\n`);
    expect(answers.filter(([, answer]) => answer !== "refused")).toEqual([]);
  });

  it("is refused in literals too, by the parser (lone surrogate escapes) or as invalid input (a raw NUL)", async () => {
    const answers = [];
    for (const literal of ['"a\u0000b@example.com"', '"a\\ud800b@example.com"', '"\\udc00"']) {
      const result = await server.post(
        `mutation { login(input: { email: ${literal}, password: "x" }) { __typename ... on UserError { errors { code errorPath } } } }`,
      );
      answers.push([literal, result.status, result.body.errors?.[0]?.extensions?.code ?? result.body.data?.login?.errors?.[0]]);
    }
    expect(answers).toEqual([
      ['"a\u0000b@example.com"', 200, { code: "INVALID_INPUT", errorPath: ["input", "email"] }],
      ['"a\\ud800b@example.com"', 400, "GRAPHQL_PARSE_FAILED"],
      ['"\\udc00"', 400, "GRAPHQL_PARSE_FAILED"],
    ]);
  });

  it("passes whole surrogate pairs (emoji) and ordinary control characters through", async () => {
    const result = await server.admin.request<any>(
      `mutation($i: CreateSecretAPIKeyInput!) { createSecretAPIKey(input: $i) { __typename ... on APIKey { name } ... on UserError { errors { code } } } }`,
      { i: { secretKey: { name: "rocket 🚀 key\ttab" } } },
    );
    expect(result.createSecretAPIKey).toEqual({ __typename: "APIKey", name: "rocket 🚀 key\ttab" });
  });
});
