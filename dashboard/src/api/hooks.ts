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
  }, [key, options.skip, run]);

  return { data: state.data, error: state.error, loading: state.loading, refetch: run };
}

export interface Paging {
  cursor: { first?: number; after?: string; last?: number; before?: string };
  pageIndex: number;
  /** Props for <Pager>, given the page's connection. */
  pager(
    connection: { totalCount: number; edges: unknown[]; pageInfo: { startCursor?: string | null; endCursor?: string | null } } | undefined,
    loading: boolean,
  ): {
    total: number;
    from: number;
    to: number;
    hasPrevious: boolean;
    hasNext: boolean;
    onPrevious(): void;
    onNext(): void;
  };
}

/**
 * Relay pagination for a table: forward with `after`, back with `before`, the
 * page number kept here so "from–to of total" and the disabled ends are exact.
 * A new `resetKey` (the filters) goes back to the first page.
 */
export function usePaging(pageSize: number, resetKey: string): Paging {
  const [state, setState] = useState<{ key: string; pageIndex: number; cursor: Paging["cursor"] }>({
    key: resetKey,
    pageIndex: 0,
    cursor: { first: pageSize },
  });
  const current = state.key === resetKey ? state : { key: resetKey, pageIndex: 0, cursor: { first: pageSize } };
  if (current !== state) setState(current);
  return {
    cursor: current.cursor,
    pageIndex: current.pageIndex,
    pager(connection, loading) {
      const count = connection?.edges.length ?? 0;
      const total = connection?.totalCount ?? 0;
      const from = count ? current.pageIndex * pageSize + 1 : 0;
      const to = from ? from + count - 1 : 0;
      return {
        total,
        from,
        to,
        hasPrevious: current.pageIndex > 0 && !loading,
        hasNext: to < total && !loading,
        onPrevious: () =>
          setState({
            key: resetKey,
            pageIndex: current.pageIndex - 1,
            cursor:
              current.pageIndex === 1 ? { first: pageSize } : { last: pageSize, before: connection?.pageInfo.startCursor ?? undefined },
          }),
        onNext: () =>
          setState({
            key: resetKey,
            pageIndex: current.pageIndex + 1,
            cursor: { first: pageSize, after: connection?.pageInfo.endCursor ?? undefined },
          }),
      };
    },
  };
}
