import { notifications } from "@mantine/notifications";
import type { TypedDocumentString } from "../gql/graphql";
import { ApiError, request } from "./client";

interface FieldUserError {
  code: string;
  errorPath: string[];
  description: string;
}

type Member = { __typename?: string };

/** The payload member that is the entity: neither UserError nor AccessDeniedError. */
export type Success<T> = Exclude<T, { __typename: "UserError" } | { __typename: "AccessDeniedError" }>;

/** A mutation's outcome, in the three shapes of its payload union (the result, a UserError, an AccessDeniedError), or a refused request. */
export type Outcome<T> =
  | { ok: true; value: T }
  | { ok: false; fieldErrors: Record<string, string>; errors: FieldUserError[]; formError: string | null; denied: string | null };

/** The form field an errorPath names: its last named segment (["input", "secretKey", "name"] → "name"). */
export function fieldOf(errorPath: string[]): string | null {
  const named = errorPath.filter((segment) => segment !== "input" && !/^\d+$/.test(segment));
  return named.length ? named[named.length - 1] : null;
}

function failure(partial: {
  fieldErrors?: Record<string, string>;
  errors?: FieldUserError[];
  formError?: string | null;
  denied?: string | null;
}) {
  return { ok: false as const, fieldErrors: {}, errors: [], formError: null, denied: null, ...partial };
}

/**
 * Runs a mutation and sorts its payload: the entity, a UserError (each error at
 * the field its errorPath names, the rest for the whole form) or an
 * AccessDeniedError (a message on the page).
 */
export async function mutate<TResult, TVariables, TMember extends Member>(
  document: TypedDocumentString<TResult, TVariables>,
  variables: TVariables,
  pick: (result: TResult) => TMember,
  fields: readonly string[] = [],
): Promise<Outcome<Success<TMember>>> {
  let payload: TMember & Record<string, unknown>;
  try {
    payload = pick(await request(document, variables));
  } catch (error) {
    const message = error instanceof ApiError ? error.message : String(error);
    return failure({ formError: message });
  }
  if (payload.__typename === "UserError") {
    const errors = (payload.errors as FieldUserError[]) ?? [];
    const fieldErrors: Record<string, string> = {};
    const general: string[] = [];
    for (const error of errors) {
      const field = fieldOf(error.errorPath);
      const text = `${error.description} (${error.code})`;
      if (field && fields.includes(field)) fieldErrors[field] = fieldErrors[field] ? `${fieldErrors[field]}; ${text}` : text;
      else general.push(text);
    }
    return failure({ fieldErrors, errors, formError: general.length ? general.join(" ") : null });
  }
  if (payload.__typename === "AccessDeniedError") {
    return failure({ denied: typeof payload.message === "string" ? payload.message : "Access denied" });
  }
  return { ok: true, value: payload as unknown as Success<TMember> };
}

export function notifySuccess(message: string): void {
  notifications.show({ color: "green", title: "Done", message, autoClose: 4000, closeButtonProps: { "aria-label": "Dismiss" } });
}

/** For row actions without a form: the error goes into a notification. */
export function notifyFailure(outcome: Outcome<unknown>): void {
  if (outcome.ok) return;
  const message = outcome.denied ?? outcome.formError ?? Object.values(outcome.fieldErrors).join(" ");
  notifications.show({
    color: "red",
    title: outcome.denied ? "Access denied" : "Not done",
    message,
    autoClose: 8000,
    closeButtonProps: { "aria-label": "Dismiss" },
  });
}
