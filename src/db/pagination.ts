import { createHash } from "node:crypto";
import type { Pool } from "pg";
import type { ObjectLiteral, QueryRunner, SelectQueryBuilder } from "typeorm";
import type { PostgresDriver } from "typeorm/driver/postgres/PostgresDriver.js";
import { hydrate } from "./hydrate.js";
import { PAGE_SIZE_DEFAULT, PAGE_SIZE_MAX } from "../limits.js";

/** Which page: Relay's arguments, page sizes 1–PAGE_SIZE_MAX. */
export interface PageArgs {
  first?: number | null;
  after?: string | null;
  last?: number | null;
  before?: string | null;
}

export interface Edge<T> {
  cursor: string;
  node: T;
}

/** One page of rows, newest first, each with the cursor that names it. */
export interface Page<T> {
  edges: Edge<T>[];
  hasNextPage: boolean;
  hasPreviousPage: boolean;
  /** Counted only when called: counting a million rows is not free. */
  totalCount: () => Promise<number>;
}

/**
 * The time [from, to) that a table's daily range partitions on its order column cover without a gap.
 * A table with a DEFAULT partition as well is never read partition after partition: PostgreSQL
 * merges the first rows of every partition (a Merge Append), since the DEFAULT one may hold any
 * time. A page over such a table reads the span (its bounds written into the SQL, so that the
 * planner leaves the DEFAULT partition out and reads the days newest first, stopping at the page's
 * end: an ordered Append) and, apart, the rows outside the span (the DEFAULT partition, usually
 * empty), and keeps the first rows of the two. The two conditions split the table whatever the
 * span, so a stale span is slower, never wrong.
 */
export interface PartitionSpan {
  from: Date;
  to: Date;
}

/**
 * What a list is ordered by, newest first: a timestamp property, then the id. A table partitioned
 * by day on that property passes the partitions' span (see PartitionSpan).
 */
export interface PageOrder {
  property: string;
  span: PartitionSpan | null;
}

/**
 * The times [from, to) that timestamps read back as Dates stand for: pg reads a timestamp to the
 * millisecond, dropping its microseconds, so a time read as T is in [T, T + 1 ms). A row of a
 * day-partitioned table looked up by id alone is looked for in every day's index; with its key in
 * this window as well, the planner opens only the days the window touches (one, for the rows of a
 * page of a day). A time filter's inclusive upper bound takes in its millisecond the same way.
 */
export function millisecondWindow(times: readonly Date[]): PartitionSpan {
  let from = Infinity;
  let to = -Infinity;
  for (const time of times) {
    from = Math.min(from, time.getTime());
    to = Math.max(to, time.getTime() + 1);
  }
  return { from: new Date(from), to: new Date(to) };
}

/** Most lists: by creation, in a table that is not partitioned. */
const BY_CREATION: PageOrder = { property: "createdAt", span: null };

/** Statement names by SQL text; a list has a handful of shapes (with or without each filter). */
const statementNames = new Map<string, string>();
const MAX_STATEMENTS = 256;

/**
 * The name of a page's statement. Full, the map forgets its oldest text (the event list's SQL of
 * a past day, say): a connection keeps what it prepared until it closes, within the hour.
 */
function statementName(sql: string): string {
  let name = statementNames.get(sql);
  if (name === undefined) {
    if (statementNames.size >= MAX_STATEMENTS) statementNames.delete(statementNames.keys().next().value!);
    name = `keyway_page_${createHash("sha1").update(sql).digest("hex").slice(0, 20)}`;
    statementNames.set(sql, name);
  }
  return name;
}

/**
 * Page SQL by shape: TypeORM builds each shape's select list and column names once. A page read
 * with a partition span keeps the template of the last span it was built for.
 */
const pageTemplates = new Map<string, { span: string; template: string }>();

/**
 * What determines a single-table page's SQL apart from parameter values: entity, alias,
 * columns read, where conditions, order and limit. Null when TypeORM must build it each time
 * (bracketed conditions, a select of expressions).
 */
function shapeOf<T extends ObjectLiteral>(query: SelectQueryBuilder<T>): string | null {
  const { selects, wheres, orderBys, limit, mainAlias } = query.expressionMap;
  // The whole row, or columns of it by property (`alias.property`).
  const selection = selects.map((select) => select.selection);
  const whole = selection.length === 1 && selection[0] === query.alias;
  if (!whole && !selects.every((select) => !select.aliasName && select.selection.startsWith(`${query.alias}.`))) return null;
  let shape = `${mainAlias!.metadata.name} ${query.alias} ${limit} ${selection.join(",")}`;
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
async function pageRows<T extends ObjectLiteral>(query: SelectQueryBuilder<T>, order: PageOrder): Promise<T[]> {
  const inTransaction = (query as unknown as { queryRunner?: QueryRunner }).queryRunner !== undefined;
  if (inTransaction || query.expressionMap.joinAttributes.length > 0) return query.getMany();
  const template = pageTemplate(query, order);
  const driver = query.connection.driver as PostgresDriver;
  const [text, values] = driver.escapeQueryWithParameters(template, query.getParameters());
  const { fields, rows } = await (driver.master as Pool).query<unknown[]>({ name: statementName(text), text, values, rowMode: "array" });
  return hydrate<T>(query.expressionMap.mainAlias!.metadata, query.alias, fields, rows);
}

/** The page's SQL with TypeORM's named parameters: built once per shape (and span), kept in pageTemplates. */
function pageTemplate<T extends ObjectLiteral>(query: SelectQueryBuilder<T>, { property, span }: PageOrder): string {
  const build = () => (span === null ? query.getQuery() : spanTemplate(query, property, span));
  const shape = shapeOf(query);
  if (shape === null) return build();
  const spanKey = span === null ? "" : `${span.from.toISOString()} ${span.to.toISOString()}`;
  const cached = pageTemplates.get(shape);
  if (cached?.span === spanKey) return cached.template;
  const template = build();
  if (cached !== undefined || pageTemplates.size < MAX_STATEMENTS) pageTemplates.set(shape, { span: spanKey, template });
  return template;
}

/** The page as the span's rows and the rest's, each ordered and limited, then together (see PartitionSpan). */
function spanTemplate<T extends ObjectLiteral>(query: SelectQueryBuilder<T>, property: string, span: PartitionSpan): string {
  const alias = query.alias;
  const from = `'${span.from.toISOString()}'`;
  const to = `'${span.to.toISOString()}'`;
  const key = `${alias}.${property}`;
  const inside = query.clone().andWhere(`${key} >= ${from} AND ${key} < ${to}`).getQuery();
  const outside = query.clone().andWhere(`(${key} < ${from} OR ${key} >= ${to})`).getQuery();
  const metadata = query.expressionMap.mainAlias!.metadata;
  const order = Object.values(query.expressionMap.orderBys)[0];
  const direction = typeof order === "string" ? order : order.order;
  const column = (name: string) => `"${alias}_${metadata.findColumnWithPropertyName(name)!.databaseName}"`;
  return `SELECT * FROM ((${inside}) UNION ALL (${outside})) AS "page"
    ORDER BY "page".${column(property)} ${direction}, "page".${column("id")} ${direction} LIMIT ${query.expressionMap.limit}`;
}

/**
 * A cursor names a row: its id and its order key as read, to the millisecond. The key keeps the
 * row's lookup to the partitions of that millisecond's day; cursors written before it carried
 * the key (`c:<id>`) are still read, the row then looked up by id alone.
 */
export interface Cursor {
  id: string;
  key: Date | null;
}

function encodeCursor(id: string, key: Date): string {
  return Buffer.from(`c:${id}:${key.getTime()}`).toString("base64url");
}

/** The row a cursor points at, or null for a cursor this server did not write. */
export function decodeCursor(cursor: string): Cursor | null {
  const text = Buffer.from(cursor, "base64url").toString("utf8");
  const match = /^c:([0-9a-f-]{36})(?::(\d{1,15}))?$/.exec(text);
  return match ? { id: match[1], key: match[2] === undefined ? null : new Date(Number(match[2])) } : null;
}

/** A bad cursor or page size: the client's mistake (BAD_USER_INPUT on a GraphQL field). */
export class InvalidPageRequest extends Error {}

/**
 * Keyset pagination, newest first, over (created_at, id) or another timestamp's (order): no
 * OFFSET, so page 1,000 costs what page 1 does. The cursor names a row; the next page starts
 * strictly after that row's (timestamp, id), matched by an index ordered exactly so.
 */
export async function paginate<T extends ObjectLiteral & { id: string }>(
  query: SelectQueryBuilder<T>,
  args: PageArgs,
  order: PageOrder = BY_CREATION,
): Promise<Page<T>> {
  if (args.first != null && args.last != null) throw new InvalidPageRequest("Pass either first or last, not both");
  for (const [name, value] of [
    ["first", args.first],
    ["last", args.last],
  ] as const) {
    if (value != null && (value < 1 || value > PAGE_SIZE_MAX))
      throw new InvalidPageRequest(`${name} must be between 1 and ${PAGE_SIZE_MAX}`);
  }
  const alias = query.alias;
  const metadata = query.expressionMap.mainAlias!.metadata;
  const table = metadata.tablePath;
  const key = `${alias}.${order.property}`;
  const keyColumn = metadata.findColumnWithPropertyName(order.property)!.databaseName;
  // The count is taken lazily, over the filters alone: no cursor, order or limit.
  const filters = [...query.expressionMap.wheres];
  const backward = args.last != null || (args.before != null && args.first == null);
  const size = (backward ? args.last : args.first) ?? PAGE_SIZE_DEFAULT;

  for (const [cursor, operator, name] of [
    [args.after, "<", "afterId"],
    [args.before, ">", "beforeId"],
  ] as const) {
    if (cursor == null) continue;
    const decoded = decodeCursor(cursor);
    if (!decoded) throw new InvalidPageRequest(`Invalid cursor: ${cursor}`);
    // The key as read stands for its millisecond (millisecondWindow).
    const window = decoded.key === null ? null : millisecondWindow([decoded.key]);
    const within = window === null ? "" : ` AND c.${keyColumn} >= :${name}From AND c.${keyColumn} < :${name}To`;
    query.andWhere(`(${key}, ${alias}.id) ${operator} (SELECT c.${keyColumn}, c.id FROM ${table} c WHERE c.id = :${name}${within})`, {
      [name]: decoded.id,
      ...(window === null ? {} : { [`${name}From`]: window.from, [`${name}To`]: window.to }),
    });
  }
  const direction = backward ? "ASC" : "DESC";
  query
    .orderBy(key, direction)
    .addOrderBy(`${alias}.id`, direction)
    .limit(size + 1);
  const rows = await pageRows(query, order);

  const more = rows.length > size;
  const page = more ? rows.slice(0, size) : rows;
  if (backward) page.reverse();
  return {
    edges: page.map((node) => ({ cursor: encodeCursor(node.id, node[order.property] as Date), node })),
    hasNextPage: backward ? args.before != null : more,
    hasPreviousPage: backward ? more : args.after != null,
    totalCount: () => {
      const count = query.clone();
      count.expressionMap.wheres = filters;
      return count.getCount();
    },
  };
}
