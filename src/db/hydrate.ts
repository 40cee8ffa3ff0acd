import type { EntityMetadata, ObjectLiteral } from "typeorm";

/**
 * Turns raw rows of a single-table select (`alias_column` names, as TypeORM's
 * getRawMany returns them) into entity instances. TypeORM's own transformer handles
 * joins and relations and costs about as much as the query itself on a list page;
 * list pages need none of that.
 */
export function hydrate<T extends ObjectLiteral>(metadata: EntityMetadata, alias: string, rows: Record<string, unknown>[]): T[] {
  const columns = metadata.columns.map((column) => ({
    property: column.propertyName,
    key: `${alias}_${column.databaseName}`,
    from: column.transformer && !Array.isArray(column.transformer) ? column.transformer.from.bind(column.transformer) : null,
  }));
  const Entity = metadata.target as new () => T;
  return rows.map((row) => {
    const entity = new Entity() as Record<string, unknown>;
    for (const { property, key, from } of columns) {
      const value = row[key];
      entity[property] = from ? from(value) : value;
    }
    return entity as T;
  });
}
