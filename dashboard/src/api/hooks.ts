import { useCallback, useEffect, useRef, useState } from "react";
import type { TypedDocumentString } from "../gql/graphql";
import { useSession } from "../session";
import { ApiError, request } from "./client";

export interface QueryState<T> {
  data: T | undefined;
  error: ApiError | undefined;
  loading: boolean;
  refetch(): Promise<void>;
}

/**
 * Runs a query when its variables or the environment change, never on a mere
 * re-render: the request is keyed by document, variables and environment.
 * The previous data stays on screen while the next page loads.
 */
export function useQuery<TResult, TVariables>(
  document: TypedDocumentString<TResult, TVariables>,
  variables: TVariables,
  options: { skip?: boolean } = {},
): QueryState<TResult> {
  const { environment } = useSession();
  const key = `${environment}\u0000${JSON.stringify(variables)}`;
  const [state, setState] = useState<{ data?: TResult; error?: ApiError; loading: boolean }>({ loading: !options.skip });
  const latest = useRef(0);
  const variablesRef = useRef(variables);
  variablesRef.current = variables;

  const run = useCallback(async () => {
    const ticket = ++latest.current;
    setState((previous) => ({ ...previous, loading: true }));
    try {
      const data = await request(document, variablesRef.current);
      if (ticket === latest.current) setState({ data, loading: false });
    } catch (error) {
      if (ticket === latest.current) {
        setState({ error: error instanceof ApiError ? error : new ApiError(String(error), 0), loading: false });
      }
    }
  }, [document]);

  useEffect(() => {
    if (options.skip) return;
    void run();
    // `key` stands for the variables' value and the environment.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [key, options.skip, run]);

  return { data: state.data, error: state.error, loading: state.loading, refetch: run };
}
