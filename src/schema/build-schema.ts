import { GraphQLSchema, lexicographicSortSchema, printSchema } from "graphql";
import { getMetadataStorage, validate } from "class-validator";
import { ArgumentValidationError, buildSchema } from "type-graphql";
import type { Services } from "../services/registry.js";
import { authChecker } from "../auth/auth-checker.js";
import { ENTITIES } from "../entities/index.js";
import { RESOLVERS } from "../resolvers/index.js";
import { resolveConnectionCounts } from "./connection.js";
import { mapMutationErrors } from "./payload.js";
import { DateTimeScalar } from "./scalars.js";
import { refuseMalformedText } from "./string-input.js";

/** Whether class-validator knows constraints for an object's class; most argument types (ids, page arguments) have none. */
const constrained = new Map<unknown, boolean>();

function hasConstraints(object: object): boolean {
  const type = object.constructor;
  let known = constrained.get(type);
  if (known === undefined) {
    known = getMetadataStorage().getTargetValidationMetadatas(type, "", true, false).length > 0;
    constrained.set(type, known);
  }
  return known;
}

/**
 * Validates input objects with class-validator, as type-graphql would, but only those of
 * classes that declare constraints: the rest skip its per-request metadata lookups.
 */
async function validateArgument(value: unknown): Promise<void> {
  const objects = (Array.isArray(value) ? (value as unknown[]) : [value]).filter(
    (item): item is object => item !== null && typeof item === "object" && hasConstraints(item),
  );
  for (const object of objects) {
    const errors = await validate(object, { skipMissingProperties: true, forbidUnknownValues: false });
    if (errors.length > 0) throw new ArgumentValidationError(errors);
  }
}

/**
 * Builds the executable schema. Without services (schema printing, guard tests)
 * resolvers are never called, so none are needed.
 */
export async function createSchema(services: Services | null): Promise<GraphQLSchema> {
  const instances = new Map<unknown, unknown>();
  const schema = await buildSchema({
    resolvers: RESOLVERS,
    // Every entity type, reachable or not yet, so the SDL does not depend on import order.
    orphanedTypes: ENTITIES,
    authChecker,
    scalarsMap: [{ type: Date, scalar: DateTimeScalar }],
    validateFn: validateArgument,
    container: {
      get: (resolverClass: new (services: Services) => unknown) => {
        if (!instances.has(resolverClass)) instances.set(resolverClass, new resolverClass(services!));
        return instances.get(resolverClass);
      },
    },
  });
  return resolveConnectionCounts(mapMutationErrors(refuseMalformedText(schema)));
}

/** The committed schema.graphql: sorted, so it only changes when the API does. */
export async function printSdl(): Promise<string> {
  return printSchema(lexicographicSortSchema(await createSchema(null))) + "\n";
}
