import {
  DirectiveNode,
  DocumentNode,
  FieldNode,
  FragmentDefinitionNode,
  getArgumentValues,
  getDirectiveValues,
  getNamedType,
  getNullableType,
  getVariableValues,
  GraphQLCompositeType,
  GraphQLField,
  GraphQLIncludeDirective,
  GraphQLObjectType,
  GraphQLSchema,
  GraphQLSkipDirective,
  isAbstractType,
  isLeafType,
  isListType,
  isObjectType,
  Kind,
  OperationDefinitionNode,
  SelectionSetNode,
  ValueNode,
  visit,
} from "graphql";
import { PAGE_SIZE_DEFAULT, PAGE_SIZE_MAX } from "../limits.js";

/**
 * What an operation costs, in units of about one resolved field. Scalars and single objects cost
 * one each; a connection costs one page query plus, for each row of its page (the coerced
 * `first`/`last`, default 20), reading the row and everything selected on its edge, so lists
 * nested in lists multiply; `totalCount` costs a count query.
 */
export const COST = {
  field: 1,
  /** One SQL statement for a page (or for a batch of single objects, which loaders share). */
  pageQuery: 10,
  /** Reading and hydrating one row of a page, beyond the fields selected on it. */
  row: 5,
  /** COUNT(*) over every matching row. */
  count: 50,
  /** __schema and __type read the in-memory schema: bounded by its size, whatever is selected. */
  introspection: 100,
} as const;

/** Lists that are not connections: how many items they hold at most, or as a rule. */
const LIST_SIZES: Record<string, number> = {
  "Query.organizations": 1,
};
const DEFAULT_LIST_SIZE = 10;

/** Past this many fields visited the measurement stops: such an operation is over every limit. */
const MAX_VISITS = 100_000;

export interface OperationMeasure {
  cost: number;
  /** Fields on the longest path, the leaf included ({ ping } is 1); introspection not counted. */
  depth: number;
  aliases: number;
  /** True when the measurement stopped at MAX_VISITS: cost and depth are lower bounds. */
  truncated: boolean;
}

interface Walk {
  schema: GraphQLSchema;
  fragments: Map<string, FragmentDefinitionNode>;
  variables: Record<string, unknown>;
  depth: number;
  aliases: number;
  visits: number;
}

class Truncated extends Error {}

/**
 * Measures one operation with its coerced variables (defaults applied), as it would execute: fields
 * merged by response key, @skip/@include honoured, for abstract types the costliest possible type.
 * Returns null when the variables do not coerce: execution refuses those before any resolver runs.
 */
export function measureOperation(
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  rawVariables: Record<string, unknown> | undefined,
): OperationMeasure | null {
  const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], rawVariables ?? {}, { maxErrors: 1 });
  if (coerced.errors) return null;
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  }
  const root = schema.getRootType(operation.operation);
  if (!root) return null;
  const walk: Walk = { schema, fragments, variables: coerced.coerced, depth: 0, aliases: 0, visits: 0 };
  try {
    const cost = objectCost(walk, root, [operation.selectionSet], 0);
    return { cost, depth: walk.depth, aliases: walk.aliases, truncated: false };
  } catch (error) {
    if (!(error instanceof Truncated)) throw error;
    return { cost: Number.POSITIVE_INFINITY, depth: walk.depth, aliases: walk.aliases, truncated: true };
  }
}

/**
 * The variables whose values can change an operation's measure: those in a directive's arguments
 * (@skip, @include) and those given as a page size (`first`, `last`), anywhere in the document.
 * Any other variable (a mutation's input, a filter, a cursor) leaves the measure as it is.
 */
export function variablesThatCount(document: DocumentNode): string[] {
  const names = new Set<string>();
  const collect = (value: ValueNode) =>
    visit(value, {
      Variable(node) {
        names.add(node.name.value);
      },
    });
  visit(document, {
    Directive(node) {
      for (const argument of node.arguments ?? []) collect(argument.value);
    },
    Argument(node) {
      if (node.name.value === "first" || node.name.value === "last") collect(node.value);
    },
  });
  return [...names].sort();
}

function included(walk: Walk, node: { readonly directives?: readonly DirectiveNode[] }): boolean {
  if (!node.directives?.length) return true;
  if (getDirectiveValues(GraphQLSkipDirective, node, walk.variables)?.if === true) return false;
  return getDirectiveValues(GraphQLIncludeDirective, node, walk.variables)?.if !== false;
}

function conditionMatches(walk: Walk, typeName: string | undefined, type: GraphQLObjectType): boolean {
  if (typeName === undefined || typeName === type.name) return true;
  const condition = walk.schema.getType(typeName);
  return condition !== undefined && isAbstractType(condition) && walk.schema.isSubType(condition, type);
}

/** The fields of selection sets on one object type, by response key, as graphql-js collects them. */
function collectFields(walk: Walk, type: GraphQLObjectType, selectionSets: readonly SelectionSetNode[]): Map<string, FieldNode[]> {
  const fields = new Map<string, FieldNode[]>();
  const visitedFragments = new Set<string>();
  const collect = (selectionSet: SelectionSetNode) => {
    for (const selection of selectionSet.selections) {
      if (!included(walk, selection)) continue;
      if (selection.kind === Kind.FIELD) {
        if (selection.alias) walk.aliases++;
        const key = selection.alias?.value ?? selection.name.value;
        const existing = fields.get(key);
        if (existing) existing.push(selection);
        else fields.set(key, [selection]);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        if (conditionMatches(walk, selection.typeCondition?.name.value, type)) collect(selection.selectionSet);
      } else {
        const name = selection.name.value;
        if (visitedFragments.has(name)) continue;
        visitedFragments.add(name);
        const fragment = walk.fragments.get(name);
        if (fragment && conditionMatches(walk, fragment.typeCondition.name.value, type)) collect(fragment.selectionSet);
      }
    }
  };
  for (const selectionSet of selectionSets) collect(selectionSet);
  return fields;
}

function subSelections(nodes: readonly FieldNode[]): SelectionSetNode[] {
  return nodes.flatMap((node) => (node.selectionSet ? [node.selectionSet] : []));
}

/** An abstract type costs what its costliest possible type would. */
function compositeCost(walk: Walk, type: GraphQLCompositeType, selectionSets: readonly SelectionSetNode[], depth: number): number {
  if (isObjectType(type)) return objectCost(walk, type, selectionSets, depth);
  let most = 0;
  for (const possible of walk.schema.getPossibleTypes(type)) most = Math.max(most, objectCost(walk, possible, selectionSets, depth));
  return most;
}

function objectCost(walk: Walk, type: GraphQLObjectType, selectionSets: readonly SelectionSetNode[], depth: number): number {
  let total = 0;
  for (const nodes of collectFields(walk, type, selectionSets).values()) {
    if (++walk.visits > MAX_VISITS) throw new Truncated();
    const name = nodes[0].name.value;
    if (name === "__typename") continue;
    if (name.startsWith("__")) {
      total += COST.introspection;
      continue;
    }
    const field = type.getFields()[name];
    if (field) total += fieldCost(walk, type, field, nodes, depth + 1);
  }
  return total;
}

function fieldCost(
  walk: Walk,
  parent: GraphQLObjectType,
  field: GraphQLField<unknown, unknown>,
  nodes: FieldNode[],
  depth: number,
): number {
  walk.depth = Math.max(walk.depth, depth);
  const type = getNamedType(field.type);
  if (isLeafType(type)) return COST.field;
  const selections = subSelections(nodes);
  if (isObjectType(type) && isConnection(type, field))
    return COST.pageQuery + connectionCost(walk, type, selections, pageSize(walk, field, nodes[0]), depth);
  const items = isListType(getNullableType(field.type)) ? (LIST_SIZES[`${parent.name}.${field.name}`] ?? DEFAULT_LIST_SIZE) : 1;
  return COST.field + items * compositeCost(walk, type as GraphQLCompositeType, selections, depth);
}

/** A Relay connection: `edges`, and page-size arguments. */
function isConnection(type: GraphQLObjectType, field: GraphQLField<unknown, unknown>): boolean {
  return "edges" in type.getFields() && field.args.some((arg) => arg.name === "first");
}

/** The coerced `first` or `last` (variables and defaults applied), within the sizes a page can have. */
function pageSize(walk: Walk, field: GraphQLField<unknown, unknown>, node: FieldNode): number {
  let args: Record<string, unknown>;
  try {
    args = getArgumentValues(field, node, walk.variables);
  } catch {
    return PAGE_SIZE_DEFAULT; // refused by execution with BAD_USER_INPUT
  }
  const requested = typeof args.first === "number" ? args.first : typeof args.last === "number" ? args.last : PAGE_SIZE_DEFAULT;
  return Math.min(Math.max(requested, 1), PAGE_SIZE_MAX);
}

function connectionCost(
  walk: Walk,
  type: GraphQLObjectType,
  selectionSets: readonly SelectionSetNode[],
  rows: number,
  depth: number,
): number {
  let total = 0;
  for (const nodes of collectFields(walk, type, selectionSets).values()) {
    if (++walk.visits > MAX_VISITS) throw new Truncated();
    const name = nodes[0].name.value;
    const field = type.getFields()[name];
    if (!field) continue;
    if (name === "edges") {
      walk.depth = Math.max(walk.depth, depth + 1);
      const edge = getNamedType(field.type) as GraphQLObjectType;
      total += COST.field + rows * (COST.row + objectCost(walk, edge, subSelections(nodes), depth + 1));
    } else if (name === "totalCount") {
      walk.depth = Math.max(walk.depth, depth + 1);
      total += COST.count;
    } else {
      total += fieldCost(walk, type, field, nodes, depth + 1);
    }
  }
  return total;
}
