import type { AuthCheckerFn } from "type-graphql";
import { isPermission, Permission } from "./permissions.js";
import { RequestContext } from "./request-context.js";
import { forbidden, unauthenticated } from "./graphql-edge.js";
import { allowedDuringTwoFactorSetup, twoFactorSetupRequired } from "./two-factor-gate.js";

/**
 * @Allowed("<permission>") on a field (src/auth/allowed.ts). No principal → 401. Missing permission:
 * on a mutation, false (the payload becomes AccessDeniedError); on a query field,
 * a FORBIDDEN error for that field.
 */
export const authChecker: AuthCheckerFn<RequestContext> = ({ context, info }, declared) => {
  const principal = context.principal;
  if (!principal) throw unauthenticated("Authentication required: send an API key or a session token");
  if (principal.twoFactorSetupRequired && declared.length > 0 && !allowedDuringTwoFactorSetup(info.parentType.name, info.fieldName)) {
    throw twoFactorSetupRequired();
  }
  const unknown = declared.filter((permission) => !isPermission(permission));
  if (unknown.length) throw new Error(`Unknown permission declared: ${unknown.join(", ")}`);
  const missing = (declared as Permission[]).filter((permission) => !principal.permissions.has(permission));
  if (missing.length === 0) return true;
  if (info.parentType.name === "Mutation") return false;
  throw forbidden(`Missing permission: ${missing.join(", ")}`, null);
};
