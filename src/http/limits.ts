import { BREAK, DocumentNode, GraphQLError, Lexer, Source, TokenKind, visit } from "graphql";
import { unauthenticated } from "../auth/graphql-edge.js";
import type { Config } from "../config.js";
import { measureOperation, OperationMeasure, variablesThatCount } from "../schema/query-cost.js";
import type { OperationHook } from "./request-hooks.js";

/** Brackets nested deeper than this cannot be a query within the depth limit plus its input literals. */
const MAX_NESTING = 64;
/** Directives a document may use (graphql-armor's default limit, which Keyway had before). */
const MAX_DIRECTIVES = 50;

function refused(message: string, extensions: Record<string, unknown> = {}): GraphQLError {
  return new GraphQLError(message, { extensions: { code: "GRAPHQL_VALIDATION_FAILED", ...extensions, http: { status: 400 } } });
}

/**
 * What graphql-js would recurse over, counted with its own lexer before it parses and validates:
 * tokens, fragment definitions (a chain of 10,000 fragments overflowed the stack in validation),
 * bracket nesting and directives. Returns the refusal, or null; a lexing error is left for the
 * parser to report.
 */
function checkSource(query: string, limits: Config["limits"]): GraphQLError | null {
  const lexer = new Lexer(new Source(query));
  let tokens = 0;
  let fragments = 0;
  let nesting = 0;
  let directives = 0;
  try {
    for (let token = lexer.advance(); token.kind !== TokenKind.EOF; token = lexer.advance()) {
      if (++tokens > limits.maxTokens)
        return refused(`Query has more than ${limits.maxTokens} tokens, the limit`, { limit: limits.maxTokens });
      if (token.kind === TokenKind.BRACE_L || token.kind === TokenKind.PAREN_L || token.kind === TokenKind.BRACKET_L) {
        if (++nesting > MAX_NESTING) return refused(`Query nests brackets deeper than ${MAX_NESTING}`, { limit: MAX_NESTING });
      } else if (token.kind === TokenKind.BRACE_R || token.kind === TokenKind.PAREN_R || token.kind === TokenKind.BRACKET_R) {
        nesting--;
      } else if (token.kind === TokenKind.AT) {
        if (++directives > MAX_DIRECTIVES)
          return refused(`Query uses more than ${MAX_DIRECTIVES} directives, the limit`, { limit: MAX_DIRECTIVES });
      } else if (nesting === 0 && token.kind === TokenKind.NAME && token.value === "fragment") {
        if (++fragments > limits.maxFragments) {
          return refused(`Query defines more than ${limits.maxFragments} fragments, the limit`, { limit: limits.maxFragments });
        }
      }
    }
  } catch {
    // A syntax error: the parser words it.
  }
  return null;
}

/** Query texts seen within the size limits lately: clients send the same few again and again. */
const MAX_REMEMBERED_SOURCES = 1000;
/** Longer texts are checked every time, so that what is remembered stays within a few MB. */
const MAX_REMEMBERED_LENGTH = 4096;

/**
 * The size check of every query text before Apollo parses it (Apollo's own hooks before parsing
 * cannot answer a request with anything but a 500). Texts that passed are remembered.
 */
export function sourceLimits(limits: Config["limits"]): (query: string) => GraphQLError | null {
  const passed = new Set<string>();
  return (query) => {
    if (passed.has(query)) return null;
    const refusal = checkSource(query, limits);
    if (!refusal && query.length <= MAX_REMEMBERED_LENGTH) {
      if (passed.size >= MAX_REMEMBERED_SOURCES) passed.clear();
      passed.add(query);
    }
    return refusal;
  };
}

function checkMeasure(measure: OperationMeasure, limits: Config["limits"]): void {
  if (measure.depth > limits.maxDepth) {
    throw refused(`Query depth ${measure.depth} exceeds the limit of ${limits.maxDepth}`, { depth: measure.depth, limit: limits.maxDepth });
  }
  if (measure.aliases > limits.maxAliases) {
    throw refused(`Query uses ${measure.aliases} aliases, more than the limit of ${limits.maxAliases}`, {
      aliases: measure.aliases,
      limit: limits.maxAliases,
    });
  }
  if (measure.cost > limits.maxCost) {
    const cost = measure.truncated ? `more than ${limits.maxCost}` : String(measure.cost);
    throw refused(`Query cost ${cost} exceeds the limit of ${limits.maxCost}; ask for smaller pages or fewer nested lists`, {
      ...(measure.truncated ? {} : { cost: measure.cost }),
      limit: limits.maxCost,
    });
  }
}

/** Measures kept per document for other operations and values of the variables that count; past this, measured each time. */
const MEASURES_PER_DOCUMENT = 32;

interface DocumentMeasures {
  /** variablesThatCount(document), read once per document. */
  counted: string[];
  /** By operation name and the values of the counted variables (measureKey). */
  measures: Map<string, OperationMeasure>;
}

/** The operation's name and the counted variables' values as sent: absent and null differ (a default applies only to the absent). */
function measureKey(operationName: string | null, counted: readonly string[], variables: Record<string, unknown> | undefined): string {
  let key = `${operationName ?? ""}\u0000`;
  for (const name of counted) key += (variables && name in variables ? JSON.stringify(variables[name]) : "") + "\u0000";
  return key;
}

/**
 * Keyway's query limits, refused with 400 GRAPHQL_VALIDATION_FAILED and the numbers: depth, aliases
 * and cost of the operation with its coerced variables (schema/query-cost.ts), before anything
 * executes (the size of the text is checked before parsing, by sourceLimits). Measures are kept with
 * their document, which Apollo reuses for the same query text, by the values of the only variables
 * that can change them (page sizes, @skip/@include): a mutation's input or a cursor does not, so an
 * operation a client sends again with new inputs is not walked again (the measure with its variables'
 * coercion was about 4 % of a simulated authorization's CPU).
 */
export function queryLimits(limits: Config["limits"]): OperationHook {
  const measured = new WeakMap<object, DocumentMeasures>();
  return ({ schema, document, operation, operationName, request }) => {
    if (!operation) return;
    let kept = measured.get(document);
    if (!kept) measured.set(document, (kept = { counted: variablesThatCount(document), measures: new Map() }));
    const key = measureKey(operationName, kept.counted, request.variables);
    let measure: OperationMeasure | null | undefined = kept.measures.get(key);
    if (measure === undefined) {
      measure = measureOperation(schema, document, operation, request.variables);
      // null (variables that do not coerce: execution refuses them) is never kept, or the same values with valid
      // other variables would pass unmeasured.
      if (measure !== null && kept.measures.size < MEASURES_PER_DOCUMENT) kept.measures.set(key, measure);
    }
    if (measure) checkMeasure(measure, limits);
  };
}

/** Whether a document asks for the schema (__schema, __type); __typename is ordinary. */
function introspects(document: DocumentNode): boolean {
  let found = false;
  visit(document, {
    Field(node) {
      if (node.name.value === "__schema" || node.name.value === "__type") {
        found = true;
        return BREAK;
      }
      return undefined;
    },
  });
  return found;
}

/**
 * KEYWAY_INTROSPECTION=authenticated: the schema is described to callers with a credential only
 * (401 otherwise). "none" is Apollo's own `introspection: false`; "all" needs nothing.
 */
export function introspectionForAuthenticated(): OperationHook {
  const asks = new WeakMap<DocumentNode, boolean>();
  return ({ contextValue, document }) => {
    if (contextValue.principal) return;
    let introspection = asks.get(document);
    if (introspection === undefined) asks.set(document, (introspection = introspects(document)));
    if (introspection) throw unauthenticated("Introspection needs a credential (an API key or a session)");
  };
}
