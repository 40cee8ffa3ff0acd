import { GraphQLSchema, lexicographicSortSchema, printSchema } from "graphql";
import { buildSchema } from "type-graphql";
import type { Services } from "../app.js";
import { authChecker } from "../auth/auth-checker.js";
import { ENTITIES } from "../entities/index.js";
import { RESOLVERS } from "../resolvers/index.js";
import { resolveConnectionCounts } from "./connection.js";
import { mapMutationErrors } from "./payload.js";
import { DateTimeScalar } from "./scalars.js";

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
    validate: { forbidUnknownValues: false },
    container: {
      get: (resolverClass: new (services: Services) => unknown) => {
        if (!instances.has(resolverClass)) instances.set(resolverClass, new resolverClass(services!));
        return instances.get(resolverClass);
      },
    },
  });
  return resolveConnectionCounts(mapMutationErrors(schema));
}

/** The committed schema.graphql: sorted, so it only changes when the API does. */
export async function printSdl(): Promise<string> {
  return printSchema(lexicographicSortSchema(await createSchema(null))) + "\n";
}
