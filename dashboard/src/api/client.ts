import type { TypedDocumentString } from "../gql/graphql";
import { settings } from "../settings";

export type Environment = "TEST" | "LIVE";

/** A request Keyway refused or could not answer; `reason` is extensions.reason (SESSION_EXPIRED, …). */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly code?: string,
    readonly reason?: string,
  ) {
    super(message);
  }
}

interface ClientHooks {
  environment(): Environment;
  /** Every answered request: the session was used. */
  onActivity(): void;
  /** 401: the session is missing, ended or timed out. */
  onUnauthenticated(error: ApiError): void;
  /** 403 TWO_FACTOR_REQUIRED: the organization requires two-factor sign-in and the user has not set it up. */
  onTwoFactorSetupRequired(): void;
}

let hooks: ClientHooks = {
  environment: () => "TEST",
  onActivity: () => {},
  onUnauthenticated: () => {},
  onTwoFactorSetupRequired: () => {},
};

export function configureClient(next: ClientHooks): void {
  hooks = next;
}

/**
 * One GraphQL request over fetch, typed by the generated document. The session
 * is the HttpOnly cookie the browser sends by itself; the environment goes in
 * Keyway-Environment.
 */
export async function request<TResult, TVariables>(
  document: TypedDocumentString<TResult, TVariables>,
  variables?: TVariables,
): Promise<TResult> {
  let response: Response;
  try {
    response = await fetch(settings.graphqlPath, {
      method: "POST",
      credentials: "same-origin",
      headers: { "content-type": "application/json", accept: "application/json", "keyway-environment": hooks.environment() },
      body: JSON.stringify({ query: document.toString(), variables: variables ?? {} }),
    });
  } catch {
    throw new ApiError("Keyway cannot be reached. Check your connection and try again.", 0);
  }
  let body: { data?: TResult | null; errors?: Array<{ message: string; extensions?: { code?: string; reason?: string } }> };
  try {
    body = (await response.json()) as typeof body;
  } catch {
    throw new ApiError(`Keyway answered ${response.status} without a readable body.`, response.status);
  }
  const first = body.errors?.[0];
  if (response.status === 401) {
    const error = new ApiError(first?.message ?? "Sign in again.", 401, first?.extensions?.code, first?.extensions?.reason);
    hooks.onUnauthenticated(error);
    throw error;
  }
  hooks.onActivity();
  if (first?.extensions?.reason === "TWO_FACTOR_REQUIRED") hooks.onTwoFactorSetupRequired();
  if (first || !body.data) {
    throw new ApiError(
      first?.message ?? "Keyway answered without data.",
      response.status,
      first?.extensions?.code,
      first?.extensions?.reason,
    );
  }
  return body.data;
}
