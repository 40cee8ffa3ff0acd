import { getMetadataStorage } from "type-graphql";
import { createSchema } from "../src/schema/build-schema";

/**
 * type-graphql builds a field of an object type with `simpleResolvers: true` (or a field with `simple: true`) as a
 * plain property read: no auth checker, no middleware. A permission declared on such a field (@Allowed,
 * @Authenticated) would be silently ignored, so none may be: the field needs a @FieldResolver, or its type must
 * drop simpleResolvers. This mirrors how type-graphql's schema generator decides (schema-generator.js, `fields`).
 */
it("puts no permission or middleware on a field that type-graphql resolves as a plain property read", async () => {
  await createSchema(null);
  const storage = getMetadataStorage();
  const hasFieldResolver = (target: unknown, name: string) =>
    storage.fieldResolvers.some((resolver) => resolver.getObjectType?.() === target && resolver.methodName === name);
  const unguarded: string[] = [];
  let simpleTypes = 0;
  let simpleFields = 0;
  let guardedFields = 0;
  for (const type of storage.objectTypes) {
    if (type.simpleResolvers) simpleTypes++;
    const interfaceFields = storage.interfaceTypes.filter((i) => type.interfaceClasses?.includes(i.target)).flatMap((i) => i.fields ?? []);
    for (const field of [...interfaceFields, ...(type.fields ?? [])]) {
      const guarded = field.roles !== undefined || (field.middlewares?.length ?? 0) > 0;
      if (guarded) guardedFields++;
      if (hasFieldResolver(field.target, field.name) || !(field.simple ?? type.simpleResolvers ?? false)) continue;
      simpleFields++;
      if (guarded) unguarded.push(`${type.name}.${field.schemaName}: ${JSON.stringify(field.roles ?? [])}`);
    }
  }
  expect(unguarded).toEqual([]);
  // The walk saw what it guards against: simple types with plain fields, and guarded fields elsewhere.
  expect(simpleTypes).toBeGreaterThanOrEqual(19);
  expect(simpleFields).toBeGreaterThanOrEqual(100);
  expect(guardedFields).toBeGreaterThanOrEqual(15);
});
