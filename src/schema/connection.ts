import { GraphQLError, GraphQLSchema, isObjectType } from "graphql";
import { ArgsType, ClassType, Field, Int, ObjectType } from "type-graphql";
import { InvalidPageRequest, type Edge, type Page, type PageArgs } from "../db/pagination.js";
import { InvalidInput } from "../services/domain-errors.js";

@ObjectType({ simpleResolvers: true })
export class PageInfo {
  @Field()
  hasNextPage: boolean;

  @Field()
  hasPreviousPage: boolean;

  @Field(() => String, { nullable: true })
  startCursor: string | null;

  @Field(() => String, { nullable: true })
  endCursor: string | null;
}

/** Relay arguments; page sizes outside 1–100 are refused with BAD_USER_INPUT (src/db/pagination.ts, mapped by toConnection). */
@ArgsType()
export class ConnectionArgs implements PageArgs {
  @Field(() => Int, { nullable: true, description: "Page size, 1–100 (default 20) counting forward." })
  first?: number | null;

  @Field(() => String, { nullable: true })
  after?: string | null;

  @Field(() => Int, { nullable: true, description: "Page size, 1–100, counting back from `before` (or the end)." })
  last?: number | null;

  @Field(() => String, { nullable: true })
  before?: string | null;
}

export interface ConnectionResult<T> {
  edges: Edge<T>[];
  pageInfo: PageInfo;
  /** Counted only when the client asks for it: counting a million rows is not free. */
  totalCount: () => Promise<number>;
}

/** Declares `<Name>Connection` and `<Name>Edge` for a node type. */
export function Connection<T extends object>(name: string, nodeType: ClassType<T>) {
  @ObjectType(`${name}Edge`, { simpleResolvers: true })
  class EdgeType {
    @Field()
    cursor: string;

    @Field(() => nodeType)
    node: T;
  }

  @ObjectType(`${name}Connection`, { simpleResolvers: true })
  class ConnectionType {
    @Field(() => [EdgeType])
    edges: EdgeType[];

    @Field(() => PageInfo)
    pageInfo: PageInfo;

    @Field(() => Int, { description: "All matching objects, across pages." })
    totalCount: number;
  }
  return ConnectionType;
}

/**
 * Gives every connection's `totalCount` a resolver that runs the count. The schema's other
 * fields without resolvers read plain values; compiled execution (schema/executor.ts) reads
 * them as properties, and only a resolver is awaited or called.
 */
export function resolveConnectionCounts(schema: GraphQLSchema): GraphQLSchema {
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || !type.name.endsWith("Connection")) continue;
    const field = type.getFields().totalCount;
    if (field && !field.resolve) field.resolve = (connection: ConnectionResult<{ id: string }>) => connection.totalCount();
  }
  return schema;
}

/**
 * A service's page as a connection, for a query field. A bad cursor or page size, or a filter
 * the service refused (INVALID_INPUT), is the client's mistake: BAD_USER_INPUT with the same message.
 */
export async function toConnection<T>(page: Promise<Page<T>>): Promise<ConnectionResult<T>> {
  let result: Page<T>;
  try {
    result = await page;
  } catch (error) {
    if (error instanceof InvalidPageRequest || error instanceof InvalidInput) {
      throw new GraphQLError(error.message, { extensions: { code: "BAD_USER_INPUT" } });
    }
    throw error;
  }
  const { edges } = result;
  return {
    edges,
    pageInfo: Object.assign(new PageInfo(), {
      hasNextPage: result.hasNextPage,
      hasPreviousPage: result.hasPreviousPage,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges[edges.length - 1]?.cursor ?? null,
    }),
    totalCount: result.totalCount,
  };
}
