import { Authorized } from "type-graphql";
import type { Permission } from "./permissions.js";

/**
 * The one way a resolver or field declares what it needs: every listed permission (checked by
 * auth-checker.ts). Typed, so a misspelt permission does not compile; type-graphql's own
 * `Authorized` takes any string and is imported nowhere else (the linter enforces it).
 */
export function Allowed(...permissions: [Permission, ...Permission[]]): MethodDecorator & PropertyDecorator {
  return Authorized<Permission>(...permissions);
}

/** Any authenticated caller, whatever it holds (the root fields every actor may read). */
export function Authenticated(): MethodDecorator & PropertyDecorator {
  return Authorized();
}
