import { GraphQLError } from "graphql";
import { actingAs, requestSlot, type RequestContext, type TenantContext } from "./request-context.js";

/*
 * Authentication's side of the GraphQL edge: the errors it refuses a request with (HTTP status
 * included) and tenantContext() for resolvers. Services never see these: request-context.ts is
 * the part of src/auth they import, and it knows nothing of GraphQL.
 */

/** The request's TenantContext; UNAUTHENTICATED when it carries no credentials. */
export function tenantContext(ctx: RequestContext): TenantContext {
  if (!ctx.principal) throw unauthenticated("Authentication required");
  const tenant = tenantContexts.get(ctx);
  return tenant?.principal === ctx.principal ? tenant : tenantContexts.set(ctx, actingAs(ctx, ctx.principal));
}

/** Each request's TenantContext, built on the first resolver that asks: a list page asks once per row and field. */
const tenantContexts = requestSlot<TenantContext>("tenantContext");

export function unauthenticated(message: string, reason?: string): GraphQLError {
  return new GraphQLError(message, {
    extensions: { code: "UNAUTHENTICATED", ...(reason ? { reason } : {}), http: { status: 401 } },
  });
}

/** `status` null leaves the HTTP status alone (a field error inside a 200 response). */
export function forbidden(message: string, status: number | null = 403): GraphQLError {
  return new GraphQLError(message, { extensions: { code: "FORBIDDEN", ...(status ? { http: { status } } : {}) } });
}

export function badRequest(code: string, message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code, http: { status: 400 } } });
}
