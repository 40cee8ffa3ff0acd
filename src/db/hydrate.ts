import type { EntityMetadata, ObjectLiteral } from "typeorm";

/**
 * Turns the rows of a single-table select, read as arrays (pg's rowMode "array") with
 * TypeORM's `alias_column` names in `fields`, into entity instances. TypeORM's own
 * transformer handles joins and relations and costs about as much as the query itself on a
 * list page; list pages need none of that, nor pg's per-row objects keyed by name.
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
    const from = column.transformer && !Array.isArray(column.transformer) ? column.transformer.from.bind(column.transformer) : null;
    return [{ property: column.propertyName, index, from }];
  });
  const Entity = metadata.target as new () => T;
  return rows.map((row) => {
    const entity = new Entity() as Record<string, unknown>;
    for (const { property, index, from } of columns) {
      const value = row[index];
      entity[property] = from ? from(value) : value;
    }
    return entity as T;
  });
}
