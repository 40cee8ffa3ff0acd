import fc from "fast-check";
import {
  getNamedType,
  getNullableType,
  GraphQLField,
  GraphQLInputType,
  GraphQLNamedType,
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
import { APIKeyRole } from "../src/entities/enums";
import { createSchema } from "../src/schema/build-schema";
import { oneOfEachNode } from "./helpers/every-node";
import { Receiver } from "./helpers/receiver";
import { startTestServer, TestServer } from "./helpers/server";

/**
 * A schema-aware fuzzer: operations built from the schema with random (often odd)
 * argument values, sent as an ADMIN key, a READONLY key, a forged key and no
 * credentials, then malformed bodies of every sort. Whatever arrives, the server
 * answers without a 5xx and without leaking an internal message.
 * KEYWAY_FUZZ_SEED replays a run; the seed is printed.
 */
const SEED = Number(process.env.KEYWAY_FUZZ_SEED ?? 20261201);
const OPERATIONS = 2000;
const MALFORMED = 600;
const CONCURRENCY = 16;
/** Bounded, but with room for a busy machine (the run takes about 40 s on two idle cores). */
const TIME_LIMIT_MS = 600_000;

/** Text typical of PostgreSQL, TypeORM and Node internals: never in a message a client reads. */
const INTERNAL_TEXT =
  /\brelation\b|\bcolumn\b|QueryFailedError|EntityNotFound|Cannot read propert|is not a function|\bReferenceError\b|\bTypeError\b|invalid byte sequence|invalid input syntax|duplicate key|violates .*constraint|syntax error at or near|node_modules|\bat .+\.[jt]s:\d+|\bstack\b/i;

let server: TestServer;
let receiver: Receiver;
let schema: GraphQLSchema;
let credentials: Record<string, Record<string, string>>;
/** Real ids of every kind, so some operations reach real objects. */
let realIds: string[];

beforeAll(async () => {
  receiver = await Receiver.start();
  // Forged keys count as failed attempts per IP: a high limit keeps the run from locking itself out.
  server = await startTestServer(
    { KEYWAY_KEY_MAX_FAILURES_PER_IP: "1000000", KEYWAY_WEBHOOK_ACTIVATION_TIMEOUT_MS: "1000", KEYWAY_COLLAB_TIMEOUT_MS: "300" },
    // Generated URLs name hosts all over the world: none of them is looked up on the network.
    {
      dnsLookup: async (hostname) => {
        if (hostname === "localhost") return [{ address: "127.0.0.1", family: 4 }];
        throw Object.assign(new Error(`ENOTFOUND ${hostname}`), { code: "ENOTFOUND" });
      },
    },
  );
  const admin = await server.issueKey(APIKeyRole.ADMIN);
  const readonly = await server.issueKey(APIKeyRole.READONLY);
  credentials = {
    admin: { authorization: `Bearer ${admin}` },
    readonly: { authorization: `Bearer ${readonly}` },
    forged: { authorization: `Bearer kw_test_${"Z".repeat(30)}000000` },
    anonymous: {},
  };
  // Made after the keys above, so the APIKey id the fuzzer knows (the newest) is not one it authenticates with.
  realIds = [...(await oneOfEachNode(server.admin, receiver.url)).values()];
  schema = await createSchema(null);
});
afterAll(async () => {
  await server?.stop();
  await receiver?.stop();
});

type Draw = <T>(arb: fc.Arbitrary<T>) => T;

const ODD_STRINGS = [
  "",
  " ",
  "x",
  "null",
  "undefined",
  "0",
  "-1",
  "NaN",
  "true",
  "[]",
  "{}",
  "\u0000",
  "a\u0000b",
  "\ud800",
  "\udfff",
  "🚀",
  "\u202e",
  "\r\n",
  "' OR 1=1 --",
  '"; DROP TABLE api_keys; --',
  "%s%s%n",
  "${7*7}",
  "{{7*7}}",
  "<script>alert(1)</script>",
  "../../../etc/passwd",
  "kw_test_000000000000000000000000000000000000",
  "key_00000000000000000000000000000000",
  "nt_ffffffffffffffffffffffffffffffff",
  "usr_",
  "_",
  "a".repeat(101),
  "b".repeat(5000),
  "admin@example.test",
  "ADMIN@EXAMPLE.TEST ",
  "http://127.0.0.1/",
  "https://[::1]/",
  "2030-01-01T00:00:00Z",
  "9999-12-31T23:59:59Z",
  "0000-00-00T00:00:00Z",
  "Y3Vyc29y",
  "eyJpZCI6MX0",
  "bm90LWEtdXVpZA",
];

function oddString(draw: Draw): string {
  return draw(
    fc.oneof(
      { weight: 3, arbitrary: fc.constantFrom(...ODD_STRINGS) },
      // Text PostgreSQL cannot store: NUL, and surrogates without their other half.
      { weight: 1, arbitrary: fc.constantFrom("\u0000", "a\u0000b@example.com", "\ud800", "x\udfffy", "\udc00\ud800") },
      { weight: 2, arbitrary: fc.constantFrom(...realIds) },
      { weight: 2, arbitrary: fc.string({ maxLength: 40 }) },
      { weight: 1, arbitrary: fc.string({ unit: "binary", maxLength: 20 }) },
      { weight: 1, arbitrary: fc.emailAddress() },
      { weight: 1, arbitrary: fc.webUrl() },
    ),
  );
}

function oddNumber(draw: Draw): number {
  return draw(
    fc.oneof(
      fc.integer({ min: -5, max: 120 }),
      fc.constantFrom(0, -1, 1, 100, 101, 2 ** 31 - 1, 2 ** 31, -(2 ** 31) - 1, 2 ** 53 + 2, 1e21, 0.5, -0.0, 1e308),
      fc.double({ noNaN: true, noDefaultInfinity: true }),
    ),
  );
}

/** A value for `type`: usually of the right shape, sometimes not at all. */
function valueFor(draw: Draw, type: GraphQLInputType, depth = 0): unknown {
  if (draw(fc.integer({ min: 0, max: 19 })) === 0) {
    return draw(fc.constantFrom<unknown>(null, "wrong", 42, true, [], {}, [[1]], { nested: { deeper: ["x"] } }));
  }
  const nullable: GraphQLInputType = getNullableType(type);
  if (!isNonNullType(type) && draw(fc.integer({ min: 0, max: 9 })) === 0) return null;
  if (isListType(nullable)) {
    const length = draw(fc.integer({ min: 0, max: 3 }));
    return Array.from({ length }, () => valueFor(draw, nullable.ofType, depth + 1));
  }
  const named = getNamedType(type);
  if (isEnumType(named)) {
    const names = named.getValues().map((value) => value.name);
    return draw(
      fc.oneof(
        { weight: 9, arbitrary: fc.constantFrom(...names) },
        { weight: 1, arbitrary: fc.constantFrom("NOPE", "admin", names[0].toLowerCase()) },
      ),
    );
  }
  if (isScalarType(named)) {
    switch (named.name) {
      case "Int":
      case "Float":
        return oddNumber(draw);
      case "Boolean":
        return draw(fc.boolean());
      case "DateTime":
        return draw(
          fc.oneof(
            fc.date({ noInvalidDate: true }).map((date) => date.toISOString()),
            fc.constantFrom("2030-01-01T00:00:00Z", "yesterday", "2030-13-45T99:99:99Z"),
          ),
        );
      default:
        return oddString(draw);
    }
  }
  if (isInputObjectType(named)) {
    const value: Record<string, unknown> = {};
    for (const field of Object.values(named.getFields())) {
      const required = isNonNullType(field.type) && field.defaultValue === undefined;
      if (depth < 4 && (required || draw(fc.boolean()))) value[field.name] = valueFor(draw, field.type, depth + 1);
    }
    if (draw(fc.integer({ min: 0, max: 29 })) === 0) value.unknownField = "surprise";
    return value;
  }
  return null;
}

/** GraphQL literal syntax for a JSON-ish value; enum-typed strings come out as bare names. */
function literal(value: unknown, type: GraphQLInputType | null): string {
  const named = type ? getNamedType(type) : null;
  const nullable = type ? getNullableType(type) : null;
  if (value === null || value === undefined) return "null";
  if (Array.isArray(value))
    return `[${value.map((item) => literal(item, nullable && isListType(nullable) ? nullable.ofType : null)).join(", ")}]`;
  if (typeof value === "object") {
    const fields = named && isInputObjectType(named) ? named.getFields() : {};
    return `{ ${Object.entries(value)
      .map(([key, item]) => `${key}: ${literal(item, fields[key]?.type ?? null)}`)
      .join(", ")} }`;
  }
  if (typeof value === "string" && named && isEnumType(named) && /^[_A-Za-z][_0-9A-Za-z]*$/.test(value)) return value;
  if (typeof value === "number") return Number.isFinite(value) ? String(value) : "0";
  return JSON.stringify(value);
}

interface Operation {
  actor: string;
  body: { query: string; variables: Record<string, unknown>; operationName?: string };
}

class OperationBuilder {
  private readonly declarations: string[] = [];
  readonly variables: Record<string, unknown> = {};

  constructor(
    private readonly draw: Draw,
    /** Variable names of each operation of a document are its own. */
    private readonly prefix = "v",
  ) {}

  arguments(field: GraphQLField<unknown, unknown>): string {
    const parts: string[] = [];
    for (const arg of field.args) {
      const required = isNonNullType(arg.type) && arg.defaultValue === undefined;
      if (!required && this.draw(fc.integer({ min: 0, max: 2 })) > 0) continue;
      const value = valueFor(this.draw, arg.type);
      if (this.draw(fc.integer({ min: 0, max: 3 })) === 0) {
        parts.push(`${arg.name}: ${literal(value, arg.type)}`);
      } else {
        const name = `${this.prefix}${this.declarations.length}`;
        this.declarations.push(`$${name}: ${arg.type.toString()}`);
        this.variables[name] = value;
        parts.push(`${arg.name}: $${name}`);
      }
    }
    return parts.length ? `(${parts.join(", ")})` : "";
  }

  selection(type: GraphQLNamedType, depth: number): string {
    if (isUnionType(type) || isInterfaceType(type)) {
      const members = isUnionType(type) ? type.getTypes() : schema.getPossibleTypes(type);
      const chosen = this.draw(fc.subarray([...members], { minLength: 1, maxLength: Math.min(3, members.length) }));
      return `{ __typename ${chosen.map((member) => `... on ${member.name} ${this.selection(member, depth + 1)}`).join(" ")} }`;
    }
    if (!isObjectType(type)) return "";
    const fields = Object.values(type.getFields()).filter((field) => {
      const named = getNamedType(field.type);
      return depth < 3 || isScalarType(named) || isEnumType(named);
    });
    if (fields.length === 0) return "{ __typename }";
    const chosen = this.draw(fc.subarray(fields, { minLength: 1, maxLength: Math.min(4, fields.length) }));
    return `{ ${chosen.map((field) => this.field(field, depth + 1)).join(" ")} }`;
  }

  field(field: GraphQLField<unknown, unknown>, depth: number): string {
    const alias = this.draw(fc.integer({ min: 0, max: 9 })) === 0 ? `a${depth}${this.declarations.length}: ` : "";
    return `${alias}${field.name}${this.arguments(field)} ${this.selection(getNamedType(field.type), depth)}`;
  }

  /** One operation, named `name` when given; a query's selections sometimes sit in a fragment on Query. */
  operation(root: "query" | "mutation", name: string | null): string {
    const type = root === "query" ? schema.getQueryType()! : schema.getMutationType()!;
    const fields = Object.values(type.getFields());
    const chosen =
      root === "query"
        ? this.draw(fc.subarray(fields, { minLength: 1, maxLength: Math.min(3, fields.length) }))
        : [this.draw(fc.constantFrom(...fields))];
    const selections = chosen.map((field) => this.field(field, 0)).join(" ");
    const head = `${root}${name ? ` ${name}` : ""}${this.declarations.length ? `(${this.declarations.join(", ")})` : ""}`;
    if (root === "query" && this.draw(fc.integer({ min: 0, max: 4 })) === 0) {
      return `${head} { ...Selected } fragment Selected on Query { ${selections} }`;
    }
    return `${head} { ${selections} }`;
  }
}

/** The operation to run: the one named, another one, one that is not there, or none said. */
function operationNames(draw: Draw): { names: Array<string | null>; operationName?: string } {
  switch (draw(fc.integer({ min: 0, max: 11 }))) {
    case 0:
      return { names: ["Fuzzed"], operationName: "Fuzzed" };
    case 1:
      return { names: ["Fuzzed"], operationName: draw(fc.constantFrom("Missing", "fuzzed", "")) };
    case 2:
      return { names: ["Fuzzed", "Other"], operationName: draw(fc.constantFrom("Fuzzed", "Other", "Missing")) };
    case 3:
      return { names: ["Fuzzed", "Other"] };
    default:
      return { names: [null] };
  }
}

const operationArbitrary = () =>
  fc.gen().map((g): Operation => {
    const draw: Draw = (arb) => g(() => arb);
    const { names, operationName } = operationNames(draw);
    const variables: Record<string, unknown> = {};
    const query = names
      .map((name, i) => {
        const builder = new OperationBuilder(draw, `v${i}_`);
        const text = builder.operation(draw(fc.constantFrom<"query" | "mutation">("query", "query", "mutation")), name);
        Object.assign(variables, builder.variables);
        return text;
      })
      // Two operations may not both define the fragment.
      .map((text, i) => (i > 0 ? text.replace(/ \{ \.\.\.Selected \} fragment Selected on Query \{ (.*) \}$/, " { $1 }") : text))
      .join(" ");
    const actor = draw(fc.constantFrom("admin", "admin", "readonly", "forged", "anonymous"));
    return { actor, body: { query, variables, ...(operationName !== undefined ? { operationName } : {}) } };
  });

interface Malformed {
  method: "POST" | "GET";
  contentType: string | null;
  body: string | null;
  path: string;
}

const VALID = JSON.stringify({ query: "{ viewer { role } }" });

function fragmentChain(length: number): string {
  const fragments = Array.from({ length }, (_, i) => `fragment F${i} on Query { ${i + 1 < length ? `...F${i + 1}` : "ping"} }`);
  return `query { ...F0 } ${fragments.join(" ")}`;
}

const malformedArbitrary = (): fc.Arbitrary<Malformed> => {
  const json = fc.oneof(
    fc.string({ maxLength: 200 }),
    fc.string({ unit: "binary", maxLength: 100 }),
    fc.constantFrom(
      "",
      "{",
      "[",
      "]",
      "}",
      "null",
      "true",
      "false",
      "0",
      "-1",
      '"query"',
      "[]",
      "{}",
      "[{}]",
      '{"query":',
      VALID.slice(0, 10),
      `\ufeff${VALID}`,
    ),
    fc.integer({ min: 1, max: 5000 }).map((depth) => "[".repeat(depth) + "]".repeat(depth)),
    fc.integer({ min: 1, max: 5000 }).map((depth) => '{"a":'.repeat(depth) + "1" + "}".repeat(depth)),
    fc.anything({ maxDepth: 4 }).map((value) => JSON.stringify(value) ?? "undefined"),
    fc
      .record(
        {
          query: fc.oneof(
            fc.anything({ maxDepth: 2 }),
            fc.constantFrom(
              "{ viewer { role } }",
              "query { ping }",
              "{",
              "mutation",
              "subscription { x }",
              "{ __schema { types { name } } }",
            ),
          ),
          variables: fc.oneof(fc.anything({ maxDepth: 3 }), fc.constantFrom({ n: Infinity }, { first: 2 ** 53 }, [], "x")),
          operationName: fc.oneof(
            fc.constant(null),
            fc.string({ maxLength: 10 }),
            fc.integer(),
            fc.array(fc.string(), { maxLength: 2 }),
            fc.object({ maxDepth: 1 }),
          ),
          extensions: fc.oneof(fc.anything({ maxDepth: 2 }), fc.constant({ persistedQuery: { version: 1, sha256Hash: "abc" } })),
        },
        { requiredKeys: [] },
      )
      .map((value) => JSON.stringify(value)),
    fc.array(fc.constant(VALID), { minLength: 0, maxLength: 3 }).map((items) => `[${items.join(",")}]`),
    fc.constant(`{"query":"{ ping }","variables":${"1".repeat(400)}}`),
    // Long chains of fragments (≈ 300 KB at 10,000) and deep selections.
    fc.constantFrom(10, 1000, 10_000).map((length) => JSON.stringify({ query: fragmentChain(length) })),
    fc
      .constantFrom(100, 5000)
      .map((depth) => JSON.stringify({ query: `{ ${"viewer { organization { ".repeat(depth)}id${" } }".repeat(depth)} }` })),
    fc.constant(`{"query":"${"a".repeat(1_100_000)}"}`),
  );
  const contentType = fc.constantFrom(
    "application/json",
    "application/json",
    "application/json; charset=utf-8",
    "application/json; charset=utf-16",
    "application/graphql",
    "application/graphql-response+json",
    "text/plain",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=x",
    "application/xml",
    "*/*",
    null,
  );
  return fc.oneof(
    { weight: 9, arbitrary: fc.record({ method: fc.constant("POST" as const), contentType, body: json, path: fc.constant("/graphql") }) },
    {
      weight: 1,
      arbitrary: fc.record({
        method: fc.constant("GET" as const),
        contentType: fc.constant(null),
        body: fc.constant(null),
        path: fc
          .oneof(fc.string({ maxLength: 40 }), fc.constantFrom("query={ping}", "query=%00", "query=%ff", "variables={", "extensions=["))
          .map((q) => `/graphql?${q}`),
      }),
    },
  );
};

interface Verdict {
  status: number;
  problem: string | null;
}

function judge(status: number, text: string): Verdict {
  if (status >= 500) return { status, problem: `HTTP ${status}: ${text.slice(0, 300)}` };
  let body: any;
  try {
    body = JSON.parse(text);
  } catch {
    // Not JSON (e.g. a 413 from the body limit): only its text can leak.
    return { status, problem: INTERNAL_TEXT.test(text) ? `internal text: ${text.slice(0, 300)}` : null };
  }
  const messages: string[] = [];
  for (const error of body?.errors ?? []) {
    if (error?.extensions?.code === "INTERNAL_SERVER_ERROR" && error.message !== "Internal server error") {
      return { status, problem: `unmasked internal error: ${JSON.stringify(error).slice(0, 300)}` };
    }
    // Masked, but still an error nothing anticipated: odd input must meet a rule, not a crash.
    if (error?.extensions?.code === "INTERNAL_SERVER_ERROR")
      return { status, problem: `internal error (masked): ${JSON.stringify(error).slice(0, 300)}` };
    messages.push(String(error?.message ?? ""));
  }
  // Descriptions of UserError payload members, wherever they are.
  JSON.stringify(body?.data ?? null, (key, value) => {
    if (key === "description" && typeof value === "string") messages.push(value);
    return value;
  });
  const leaking = messages.find((message) => INTERNAL_TEXT.test(message));
  return { status, problem: leaking ? `internal text in a message: ${leaking.slice(0, 300)}` : null };
}

let retries = 0;

/**
 * One request; a connection the server drops is a problem like a 5xx. A reset before any
 * answer is tried once more: a kept-alive connection the server closes as idle just when
 * the client reuses it resets without saying anything about the request.
 */
async function exchange(url: string | URL, init: RequestInit, attempt = 1): Promise<Verdict> {
  try {
    const response = await fetch(url, init);
    return judge(response.status, await response.text());
  } catch (error) {
    const cause = String((error as Error).cause ?? error);
    if (attempt === 1 && /ECONNRESET|other side closed/.test(cause)) {
      retries++;
      return exchange(url, init, 2);
    }
    return { status: 0, problem: `no answer: ${cause}` };
  }
}

async function inBatches<T>(items: T[], send: (item: T) => Promise<Verdict>): Promise<Verdict[]> {
  const verdicts: Verdict[] = [];
  for (let i = 0; i < items.length; i += CONCURRENCY) verdicts.push(...(await Promise.all(items.slice(i, i + CONCURRENCY).map(send))));
  return verdicts;
}

function statuses(verdicts: Verdict[]): string {
  const counts = new Map<number, number>();
  for (const { status } of verdicts) counts.set(status, (counts.get(status) ?? 0) + 1);
  return [...counts]
    .sort(([a], [b]) => a - b)
    .map(([status, count]) => `${status}×${count}`)
    .join(" ");
}

describe(`fuzzing (seed ${SEED})`, () => {
  it(
    `answers ${OPERATIONS} generated operations without a 5xx or an internal message`,
    async () => {
      const operations = fc.sample(operationArbitrary(), { numRuns: OPERATIONS, seed: SEED });
      const verdicts = await inBatches(operations, async (operation) => {
        const verdict = await exchange(server.url, {
          method: "POST",
          headers: { "content-type": "application/json", ...credentials[operation.actor] },
          body: JSON.stringify(operation.body),
        });
        return verdict.problem
          ? { ...verdict, problem: `${verdict.problem}\n  sent ${operation.actor}: ${JSON.stringify(operation.body).slice(0, 500)}` }
          : verdict;
      });
      process.stdout.write(
        `probe-fuzz: ${operations.length} operations fuzzed (seed ${SEED}): ${statuses(verdicts)}; ${retries} resets retried\n`,
      );
      expect(verdicts.filter((verdict) => verdict.problem).map((verdict) => verdict.problem)).toEqual([]);
      // A fuzzer whose every operation is refused before execution tests only the parser.
      expect(verdicts.filter((verdict) => verdict.status === 200).length).toBeGreaterThan(OPERATIONS / 4);
    },
    TIME_LIMIT_MS,
  );

  it(
    `answers ${MALFORMED} malformed bodies without a 5xx or an internal message`,
    async () => {
      const bodies = fc.sample(malformedArbitrary(), { numRuns: MALFORMED, seed: SEED });
      const verdicts = await inBatches(bodies, async (request) => {
        const verdict = await exchange(new URL(request.path, server.url), {
          method: request.method,
          headers: { ...(request.contentType ? { "content-type": request.contentType } : {}), ...credentials.admin },
          body: request.body,
        });
        return verdict.problem
          ? {
              ...verdict,
              problem: `${verdict.problem}\n  sent ${request.method} ${request.path} ${request.contentType}: ${String(request.body).slice(0, 300)}`,
            }
          : verdict;
      });
      process.stdout.write(`probe-fuzz: ${bodies.length} malformed bodies (seed ${SEED}): ${statuses(verdicts)}\n`);
      expect(verdicts.filter((verdict) => verdict.problem).map((verdict) => verdict.problem)).toEqual([]);
    },
    TIME_LIMIT_MS,
  );
});
