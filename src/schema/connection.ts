import { createHash } from "node:crypto";
import type { Pool } from "pg";
import { GraphQLError, GraphQLSchema, isObjectType } from "graphql";
import { ArgsType, ClassType, Field, Int, ObjectType } from "type-graphql";
import type { ObjectLiteral, QueryRunner, SelectQueryBuilder } from "typeorm";
import type { PostgresDriver } from "typeorm/driver/postgres/PostgresDriver.js";
import { hydrate } from "../db/hydrate.js";
import { PAGE_SIZE_DEFAULT, PAGE_SIZE_MAX } from "../limits.js";

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

/** Relay arguments; page sizes outside 1–PAGE_SIZE_MAX are refused with BAD_USER_INPUT (by paginate). */
@ArgsType()
export class ConnectionArgs {
  @Field(() => Int, { nullable: true, description: `Page size, 1–${PAGE_SIZE_MAX} (default ${PAGE_SIZE_DEFAULT}) counting forward.` })
  first?: number | null;

  @Field(() => String, { nullable: true })
  after?: string | null;

  @Field(() => Int, { nullable: true, description: `Page size, 1–${PAGE_SIZE_MAX}, counting back from \`before\` (or the end).` })
  last?: number | null;

  @Field(() => String, { nullable: true })
  before?: string | null;
}

export interface Edge<T> {
  cursor: string;
  node: T;
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

/** Statement names by SQL text; a list has a handful of shapes (with or without each filter). */
const statementNames = new Map<string, string>();
const MAX_STATEMENTS = 256;

function statementName(sql: string): string | undefined {
  let name = statementNames.get(sql);
  if (name === undefined && statementNames.size < MAX_STATEMENTS) {
    name = `keyway_page_${createHash("sha1").update(sql).digest("hex").slice(0, 20)}`;
    statementNames.set(sql, name);
  }
  return name;
}

/** Page SQL by shape: TypeORM builds each shape's select list and column names once. */
const pageTemplates = new Map<string, string>();

/**
 * What determines a single-table page's SQL apart from parameter values: entity, alias,
 * where conditions, order and limit. Null when TypeORM must build it each time (bracketed
 * conditions, a custom select).
 */
function shapeOf<T extends ObjectLiteral>(query: SelectQueryBuilder<T>): string | null {
  const { selects, wheres, orderBys, limit, mainAlias } = query.expressionMap;
  if (selects.length !== 1 || selects[0].selection !== query.alias) return null;
  let shape = `${mainAlias!.metadata.name} ${query.alias} ${limit}`;
  for (const where of wheres) {
    if (typeof where.condition !== "string") return null;
    shape += `|${where.type} ${where.condition}`;
  }
  for (const [column, order] of Object.entries(orderBys))
    shape += `|${column} ${typeof order === "string" ? order : `${order.order} ${order.nulls}`}`;
  return shape;
}

/**
 * The page's rows. A single-table page outside a transaction runs on the pool as a named
 * statement, parsed and planned once per connection, from SQL built once per shape; its rows
 * become entities without TypeORM's relation-aware transformer (which cost as much as the
 * query). Joined pages need that transformer.
 */
async function pageRows<T extends ObjectLiteral>(query: SelectQueryBuilder<T>): Promise<T[]> {
  const inTransaction = (query as unknown as { queryRunner?: QueryRunner }).queryRunner !== undefined;
  if (inTransaction || query.expressionMap.joinAttributes.length > 0) return query.getMany();
  const shape = shapeOf(query);
  let template = shape === null ? undefined : pageTemplates.get(shape);
  if (template === undefined) {
    template = query.getQuery();
    if (shape !== null && pageTemplates.size < MAX_STATEMENTS) pageTemplates.set(shape, template);
  }
  const driver = query.connection.driver as PostgresDriver;
  const [text, values] = driver.escapeQueryWithParameters(template, query.getParameters());
  const { fields, rows } = await (driver.master as Pool).query<unknown[]>({ name: statementName(text), text, values, rowMode: "array" });
  return hydrate<T>(query.expressionMap.mainAlias!.metadata, query.alias, fields, rows);
}

function encodeCursor(id: string): string {
  return Buffer.from(`c:${id}`).toString("base64url");
}

/** The row id a cursor points at, or null for a cursor this server did not write. */
export function decodeCursor(cursor: string): string | null {
  const text = Buffer.from(cursor, "base64url").toString("utf8");
  const match = /^c:([0-9a-f-]{36})$/.exec(text);
  return match ? match[1] : null;
}

/** A bad cursor or page size: a client error on a query field. */
export class InvalidCursor extends GraphQLError {
  constructor(message: string) {
    super(message, { extensions: { code: "BAD_USER_INPUT" } });
  }
}

/**
 * Keyset pagination, newest first, over (created_at, id): no OFFSET, so page 1,000
 * costs what page 1 does. The cursor names a row; the next page starts strictly
 * after that row's (created_at, id), matched by an index ordered exactly so.
 */
export async function paginate<T extends ObjectLiteral & { id: string }>(
  query: SelectQueryBuilder<T>,
  args: ConnectionArgs,
): Promise<ConnectionResult<T>> {
  if (args.first != null && args.last != null) throw new InvalidCursor("Pass either first or last, not both");
  for (const [name, value] of [
    ["first", args.first],
    ["last", args.last],
  ] as const) {
    if (value != null && (value < 1 || value > PAGE_SIZE_MAX)) throw new InvalidCursor(`${name} must be between 1 and ${PAGE_SIZE_MAX}`);
  }
  const alias = query.alias;
  const table = query.expressionMap.mainAlias!.metadata.tablePath;
  // The count is taken lazily, over the filters alone: no cursor, order or limit.
  const filters = [...query.expressionMap.wheres];
  const backward = args.last != null || (args.before != null && args.first == null);
  const size = (backward ? args.last : args.first) ?? PAGE_SIZE_DEFAULT;

  for (const [cursor, operator, name] of [
    [args.after, "<", "afterId"],
    [args.before, ">", "beforeId"],
  ] as const) {
    if (cursor == null) continue;
    const id = decodeCursor(cursor);
    if (!id) throw new InvalidCursor(`Invalid cursor: ${cursor}`);
    query.andWhere(`(${alias}.createdAt, ${alias}.id) ${operator} (SELECT c.created_at, c.id FROM ${table} c WHERE c.id = :${name})`, {
      [name]: id,
    });
  }
  const direction = backward ? "ASC" : "DESC";
  query
    .orderBy(`${alias}.createdAt`, direction)
    .addOrderBy(`${alias}.id`, direction)
    .limit(size + 1);
  const rows = await pageRows(query);

  const more = rows.length > size;
  const page = more ? rows.slice(0, size) : rows;
  if (backward) page.reverse();
  const edges = page.map((node) => ({ cursor: encodeCursor(node.id), node }));
  return {
    edges,
    pageInfo: Object.assign(new PageInfo(), {
      hasNextPage: backward ? args.before != null : more,
      hasPreviousPage: backward ? more : args.after != null,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges[edges.length - 1]?.cursor ?? null,
    }),
    totalCount: () => {
      const count = query.clone();
      count.expressionMap.wheres = filters;
      return count.getCount();
    },
  };
}
