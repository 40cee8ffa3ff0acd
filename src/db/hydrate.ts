import type { ColumnMetadata } from "typeorm/metadata/ColumnMetadata.js";
import type { EntityMetadata, ObjectLiteral } from "typeorm";

/**
 * Column types whose value, as pg parses it, is already the entity's value (a transformer
 * aside): strings, numbers, booleans, JSON, dates read by db/timestamps.ts, byte arrays.
 */
const AS_PARSED = new Set<unknown>([
  "text",
  "varchar",
  "uuid",
  "int",
  "integer",
  "bigint",
  "boolean",
  "jsonb",
  "json",
  "timestamptz",
  "bytea",
]);

/** A string enum that is not an array: pg's text is the value (numeric enums are converted by the driver). */
function isStringEnum(column: ColumnMetadata): boolean {
  return column.type === "enum" && !column.isArray && (column.enum ?? []).every((value) => typeof value === "string");
}

function readsAsParsed(column: ColumnMetadata): boolean {
  return !column.isArray && (AS_PARSED.has(column.type) || isStringEnum(column));
}

/** How one column's value is read: as pg parsed it, through its transformer, or by the driver. */
function readerFor(metadata: EntityMetadata, column: ColumnMetadata): ((value: unknown) => unknown) | null {
  if (!readsAsParsed(column)) {
    // Enum arrays arrive as PostgreSQL's text form ("{A,B}": pg has no parser for custom
    // array types), and other types need the driver's conversions: TypeORM's own hydration.
    const driver = metadata.connection.driver;
    return (value): unknown => driver.prepareHydratedValue(value, column);
  }
  const { transformer } = column;
  if (!transformer) return null;
  if (Array.isArray(transformer)) return (value) => transformer.reduceRight((current, each) => each.from(current), value);
  return (value): unknown => transformer.from(value);
}

/**
 * Turns the rows of a single-table select, read as arrays (pg's rowMode "array") with
 * TypeORM's `alias_column` names in `fields`, into entity instances equal to those TypeORM
 * would build. TypeORM's own transformer handles joins and relations and costs about as much
 * as the query itself on a list page; list pages need none of that, nor pg's per-row objects
 * keyed by name. Columns whose parsed value needs no conversion are copied as they are.
 */
export function hydrate<T extends ObjectLiteral>(
  metadata: EntityMetadata,
  alias: string,
  fields: ReadonlyArray<{ name: string }>,
  rows: unknown[][],
): T[] {
  const indexOf = new Map(fields.map((field, index) => [field.name, index]));
  const columns = metadata.columns.flatMap((column) => {
    const index = indexOf.get(`${alias}_${column.databaseName}`);
    if (index === undefined) return [];
    return [{ property: column.propertyName, index, read: readerFor(metadata, column) }];
  });
  const Entity = metadata.target as new () => T;
  return rows.map((row) => {
    const entity = new Entity() as Record<string, unknown>;
    for (const { property, index, read } of columns) {
      const value = row[index];
      entity[property] = read ? read(value) : value;
    }
    return entity as T;
  });
}
