import { GraphQLError } from "graphql";
import { ActorType, APIKeyRole, Environment, UserRole } from "../entities/enums.js";
import { Permission } from "./permissions.js";
import type { SessionCookieControl } from "./session-cookie.js";

export type Actor =
  | { type: ActorType.API_KEY; id: string; displayName: string; role: APIKeyRole }
  | { type: ActorType.USER; id: string; displayName: string; role: UserRole; sessionId: string | null }
  | { type: ActorType.SYSTEM; id: null; displayName: string; role: null };

/** An API key's own limits on where from and how often it is used. */
export interface KeyControls {
  allowlist: { allows(ip: string): boolean } | null;
  rateLimit: { limit: number; windowSeconds: number } | null;
}

/** Who is acting, where. Built once per request by src/auth/authenticate.ts. */
export interface Principal {
  organizationId: string;
  environment: Environment;
  actor: Actor;
  permissions: ReadonlySet<Permission>;
  /** Set when the actor is an API key (also through a shared-secret JWT naming it). */
  keyControls?: KeyControls;
  /** A session whose organization requires two-factor sign-in the user has not set up: it may only set it up. */
  twoFactorSetupRequired?: boolean;
}

export interface RequestContext {
  requestId: string;
  ip: string;
  /** Null for an anonymous request (ping, signUp, login, acceptInvitation). */
  principal: Principal | null;
  /** The environment the request asked for (header), used by anonymous operations. */
  requestedEnvironment: Environment;
  /** Sets or clears the dashboard's session cookie on this request's response. */
  sessionCookie?: SessionCookieControl;
}

/** The context of a request that passed authentication: services that touch tenant data take this. */
export interface TenantContext {
  requestId: string | null;
  organizationId: string;
  environment: Environment;
  actor: Actor;
  permissions: ReadonlySet<Permission>;
}

export function tenantContext(ctx: RequestContext): TenantContext {
  if (!ctx.principal) throw unauthenticated("Authentication required");
  return { requestId: ctx.requestId, ...ctx.principal };
}

/** A context for background work done by Keyway itself (sweeps, operator CLI). */
export function systemContext(organizationId: string, environment: Environment, permissions: ReadonlySet<Permission>): TenantContext {
  return {
    requestId: null,
    organizationId,
    environment,
    actor: { type: ActorType.SYSTEM, id: null, displayName: "system", role: null },
    permissions,
  };
}

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
