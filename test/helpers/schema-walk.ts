import {
  buildClientSchema,
  getIntrospectionQuery,
  getNamedType,
  GraphQLField,
  GraphQLNamedType,
  GraphQLObjectType,
  GraphQLSchema,
  IntrospectionQuery,
  isAbstractType,
  isInterfaceType,
  isLeafType,
  isNonNullType,
  isObjectType,
} from "graphql";
import type { TestServer } from "./server";

/** The schema as a client sees it: introspected over HTTP from the running server. */
export async function introspect(server: TestServer): Promise<GraphQLSchema> {
  const { status, body } = await server.post<IntrospectionQuery>(getIntrospectionQuery());
  if (status !== 200 || !body.data) throw new Error(`introspection failed: ${status} ${JSON.stringify(body.errors)}`);
  return buildClientSchema(body.data);
}

export function isConnectionType(type: GraphQLNamedType): type is GraphQLObjectType {
  return isObjectType(type) && type.name.endsWith("Connection") && "edges" in type.getFields() && "pageInfo" in type.getFields();
}

/** A field a client can select without inventing arguments: every argument optional. */
function selectableWithDefaults(field: GraphQLField<unknown, unknown>): boolean {
  return field.args.every((arg) => !isNonNullType(arg.type) || arg.defaultValue !== undefined);
}

/** The connection's node type (`edges { node }`). */
export function nodeTypeOf(connection: GraphQLObjectType): GraphQLObjectType {
  const edge = getNamedType(connection.getFields().edges.type) as GraphQLObjectType;
  return getNamedType(edge.getFields().node.type) as GraphQLObjectType;
}

export interface SelectionOptions {
  /** Levels of object fields to enter below this type (0: scalars only). */
  depth: number;
  /** Whether nested connections are selected (with their default page size) inside objects. */
  connections: boolean;
}

const PAGE_INFO = "pageInfo { hasNextPage hasPreviousPage startCursor endCursor }";

/** Every field of `type` a client can select, arguments defaulted, objects entered `depth` levels deep. */
export function selectAll(
  schema: GraphQLSchema,
  type: GraphQLNamedType,
  options: SelectionOptions,
  member = "",
  conflicting = new Set<string>(),
): string {
  if (isLeafType(type)) return "";
  if (isAbstractType(type)) {
    // A field name with another type in another member (String, String!) is aliased by member.
    const members = schema.getPossibleTypes(type);
    const conflicting = conflictingFields(members);
    return [
      "__typename",
      ...members.map((member) => `... on ${member.name} { ${selectAll(schema, member, options, member.name, conflicting)} }`),
    ].join(" ");
  }
  const fields: string[] = [];
  for (const field of Object.values((type as GraphQLObjectType).getFields())) {
    if (!selectableWithDefaults(field)) continue;
    const named = getNamedType(field.type);
    const name = conflicting.has(field.name) ? `${member}_${field.name}: ${field.name}` : field.name;
    if (isLeafType(named)) {
      fields.push(name);
    } else if (isConnectionType(named)) {
      if (options.depth > 0 && options.connections) {
        const node = selectAll(schema, nodeTypeOf(named), { depth: options.depth - 1, connections: options.connections });
        fields.push(`${name} { totalCount edges { cursor node { ${node} } } ${PAGE_INFO} }`);
      }
    } else if (options.depth > 0) {
      fields.push(`${name} { ${selectAll(schema, named, { depth: options.depth - 1, connections: options.connections })} }`);
    }
  }
  if (fields.length === 0) fields.push("__typename");
  return fields.join(" ");
}

/** Field names that more than one member type declares with different types. */
function conflictingFields(members: readonly GraphQLObjectType[]): Set<string> {
  const typesByName = new Map<string, Set<string>>();
  for (const member of members) {
    for (const field of Object.values(member.getFields())) {
      typesByName.set(field.name, (typesByName.get(field.name) ?? new Set()).add(String(field.type)));
    }
  }
  return new Set([...typesByName].filter(([, types]) => types.size > 1).map(([name]) => name));
}

/** `... on T { every field }` for node(id:), or plain fields for a concrete object. */
export function nodeFragment(schema: GraphQLSchema, type: GraphQLObjectType, options: SelectionOptions): string {
  return `... on ${type.name} { ${selectAll(schema, type, options)} }`;
}

/** Object types implementing Node. */
export function nodeTypes(schema: GraphQLSchema): GraphQLObjectType[] {
  const node = schema.getType("Node");
  if (!node || !isInterfaceType(node)) throw new Error("the schema has no Node interface");
  return schema.getPossibleTypes(node) as GraphQLObjectType[];
}

/** Every connection field of `type`, by name. */
export function connectionFields(type: GraphQLObjectType): Array<{ field: string; connection: GraphQLObjectType }> {
  return Object.values(type.getFields()).flatMap((field) => {
    const named = getNamedType(field.type);
    return isConnectionType(named) ? [{ field: field.name, connection: named }] : [];
  });
}
