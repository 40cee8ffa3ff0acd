import type {
  ApolloServerPlugin,
  GraphQLRequestContextDidEncounterErrors,
  GraphQLRequestContextDidResolveOperation,
  GraphQLRequestContextWillSendResponse,
  GraphQLRequestListener,
} from "@apollo/server";
import type { HttpRequestContext } from "../auth/request-context.js";

/** Looks at the operation Apollo resolved, before anything runs; throws a GraphQLError to refuse it. */
export type OperationHook = (request: GraphQLRequestContextDidResolveOperation<HttpRequestContext>) => void;
/** Looks at the errors of a response before they are formatted. */
export type ErrorsHook = (request: GraphQLRequestContextDidEncounterErrors<HttpRequestContext>) => void;
/** Looks at the response before it is sent. */
export type ResponseHook = (request: GraphQLRequestContextWillSendResponse<HttpRequestContext>) => void;

export interface RequestHooks {
  /** In order; the first to throw refuses the operation and the rest do not run. */
  didResolveOperation?: OperationHook[];
  didEncounterErrors?: ErrorsHook[];
  willSendResponse?: ResponseHook[];
}

/**
 * Keyway's work inside Apollo's request pipeline as one plugin with one listener, shared by
 * every request, whose hooks are plain functions. Apollo awaits every plugin's requestDidStart
 * and, at each stage (parsing, validation, responseForOperation, execution…), calls every
 * listener and awaits a promise for each: as separate async plugins, these hooks cost each
 * request about 30 more promises and listener objects, although none of them waits for anything.
 */
export function requestHooks(hooks: RequestHooks): ApolloServerPlugin<HttpRequestContext> {
  const done = Promise.resolve();
  const operation = hooks.didResolveOperation ?? [];
  const errors = hooks.didEncounterErrors ?? [];
  const response = hooks.willSendResponse ?? [];
  // A hook that throws inside didResolveOperation throws inside Apollo's try, which answers with the error.
  const listener: GraphQLRequestListener<HttpRequestContext> = {
    ...(operation.length && {
      didResolveOperation: (request) => {
        for (const hook of operation) hook(request);
        return done;
      },
    }),
    ...(errors.length && {
      didEncounterErrors: (request) => {
        for (const hook of errors) hook(request);
        return done;
      },
    }),
    ...(response.length && {
      willSendResponse: (request) => {
        for (const hook of response) hook(request);
        return done;
      },
    }),
  };
  const started = Promise.resolve(listener);
  return { requestDidStart: () => started };
}
