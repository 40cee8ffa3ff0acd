import type { GatewayExecutor, GatewayInterface } from "@apollo/server-gateway-interface";
import {
  DocumentNode,
  execute,
  ExecutionResult,
  GraphQLSchema,
  Kind,
  OperationDefinitionNode,
  OperationTypeNode,
  printSchema,
} from "graphql";
import { compileQuery, CompiledQuery, isCompiledQuery } from "graphql-jit";
import { useGatewayRequestContext } from "./gateway-request-context.js";

/**
 * One query document as Apollo hands it over (it reuses the parsed document of a query it
 * has seen): how often it ran, and its compiled operations by name.
 */
interface DocumentRuns {
  runs: number;
  compiled: Map<string | null, CompiledQuery | null>;
}

/** A document is compiled on its second run: a query sent once is not worth the compilation. */
const COMPILE_AFTER_RUNS = 1;
const MAX_OPERATIONS_PER_DOCUMENT = 20;

/** Introspection reads the schema, not data: graphql-js answers it, as it does mutations. */
function isCompilable(operation: OperationDefinitionNode): boolean {
  if (operation.operation !== OperationTypeNode.QUERY) return false;
  return operation.selectionSet.selections.every((selection) => selection.kind !== Kind.FIELD || !selection.name.value.startsWith("__"));
}

/**
 * Runs queries as JavaScript compiled once per query document (graphql-jit), and mutations
 * and introspection with graphql-js. A list page of 20 rows × 16 fields spends most of its
 * GraphQL time in graphql-js's per-field interpretation; compiled, that work is a fraction.
 * Parsing, validation, limits and plugins stay with Apollo Server; only execution changes.
 */
export function compilingExecutor(schema: GraphQLSchema): GatewayExecutor {
  const documents = new WeakMap<DocumentNode, DocumentRuns>();

  function compiledFor(document: DocumentNode, operationName: string | null): CompiledQuery | null {
    let entry = documents.get(document);
    if (!entry) {
      entry = { runs: 0, compiled: new Map() };
      documents.set(document, entry);
    }
    if (entry.runs++ < COMPILE_AFTER_RUNS) return null;
    const { compiled } = entry;
    if (compiled.has(operationName)) return compiled.get(operationName)!;
    if (compiled.size >= MAX_OPERATIONS_PER_DOCUMENT) return null;
    const result = compileQuery(schema, document, operationName ?? undefined);
    const query = isCompiledQuery(result) ? result : null;
    compiled.set(operationName, query);
    return query;
  }

  return async ({ document, operation, operationName, request, context }) => {
    // The name the client sent: with no operation of that name, graphql-js says so (Apollo answers 400).
    const interpret = () =>
      execute({
        schema,
        document,
        contextValue: context,
        variableValues: request.variables,
        operationName: request.operationName ?? operationName,
      });
    // Apollo hands over no operation when the document has none of the requested name.
    const compiled = operation && isCompilable(operation) ? compiledFor(document, operationName) : null;
    if (!compiled) return interpret();
    const result: ExecutionResult = await compiled.query(undefined, context, request.variables ?? {});
    // Errors before any field ran (bad variables): graphql-js words them as Apollo expects
    // (400 BAD_USER_INPUT), and refuses them again before running any resolver.
    if (result.data == null && result.errors?.length && result.errors.every((error) => error.path === undefined)) return interpret();
    return result;
  };
}

/**
 * Apollo Server accepts a custom executor only through its gateway interface: this one
 * serves a fixed local schema and never changes it. The request context Apollo copies for a
 * gateway is built by `gatewayRequestContext` (gateway-request-context.ts: Apollo's kept every
 * request alive until a full collection).
 */
export function localGateway(schema: GraphQLSchema): GatewayInterface {
  useGatewayRequestContext();
  return {
    onSchemaLoadOrUpdate(callback) {
      callback({ apiSchema: schema, coreSupergraphSdl: printSchema(schema) });
      return () => {};
    },
    async load() {
      return { executor: compilingExecutor(schema) };
    },
    async stop() {},
  };
}
