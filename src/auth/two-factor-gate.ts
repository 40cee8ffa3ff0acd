import { GraphQLError, Kind, type DocumentNode, type OperationDefinitionNode, type SelectionSetNode } from "graphql";
import type { OperationHook } from "../http/request-hooks.js";

/**
 * What a session may do while its organization requires two-factor sign-in and the user has not
 * set it up: set it up, see who they are, and leave. Introspection stays open.
 */
export const TWO_FACTOR_SETUP_FIELDS: ReadonlySet<string> = new Set([
  "enableTwoFactor",
  "confirmTwoFactor",
  "logout",
  "viewer",
  "__typename",
]);

export function twoFactorSetupRequired(): GraphQLError {
  return new GraphQLError("Your organization requires two-factor sign-in: set it up with enableTwoFactor and confirmTwoFactor first", {
    extensions: { code: "FORBIDDEN", reason: "TWO_FACTOR_REQUIRED", http: { status: 403 } },
  });
}

/** Root field names of the operation, through fragments. */
function rootFields(operation: OperationDefinitionNode, document: DocumentNode): string[] {
  const fragments = new Map(document.definitions.flatMap((d) => (d.kind === Kind.FRAGMENT_DEFINITION ? [[d.name.value, d] as const] : [])));
  const seen = new Set<string>();
  const names: string[] = [];
  const walk = (set: SelectionSetNode) => {
    for (const selection of set.selections) {
      if (selection.kind === Kind.FIELD) names.push(selection.name.value);
      else if (selection.kind === Kind.INLINE_FRAGMENT) walk(selection.selectionSet);
      else if (!seen.has(selection.name.value)) {
        seen.add(selection.name.value);
        const fragment = fragments.get(selection.name.value);
        if (fragment) walk(fragment.selectionSet);
      }
    }
  };
  walk(operation.selectionSet);
  return names;
}

/**
 * Refuses the whole operation (HTTP 403, FORBIDDEN, reason TWO_FACTOR_REQUIRED) when such a session
 * asks for any other root field. Fields below `viewer` that need a permission are refused by the
 * auth checker, which asks `allowedDuringTwoFactorSetup`.
 */
export const twoFactorGate: OperationHook = ({ contextValue, operation, document }) => {
  if (!contextValue.principal?.twoFactorSetupRequired || !operation) return;
  const names = rootFields(operation, document);
  if (names.some((name) => !TWO_FACTOR_SETUP_FIELDS.has(name) && name !== "__schema" && name !== "__type")) throw twoFactorSetupRequired();
};

/** For the auth checker: during set-up only the two set-up mutations pass a permission check (fields that need only a credential, like viewer, pass). */
export function allowedDuringTwoFactorSetup(parentType: string, fieldName: string): boolean {
  return parentType === "Mutation" && (fieldName === "enableTwoFactor" || fieldName === "confirmTwoFactor");
}
