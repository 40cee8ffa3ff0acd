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

/**
 * The request context: what every service method takes first, so a service knows who acts,
 * where, and on which request, without knowing the transport.
 *
 * - Over HTTP, src/auth/authenticate.ts builds it once per request; it is also the GraphQL context.
 * - Work Keyway does itself (jobs, sweeps, the operator CLI, bootstrap) takes one from systemContext().
 * - A method that acts inside a tenant declares its first parameter as TenantContext: the same
 *   context with its principal known and spread out (ctx.organizationId, ctx.actor, …).
 *   Resolvers get it with tenantContext(ctx) (src/auth/graphql-edge.ts); anonymous operations
 *   (signUp, login, acceptInvitation) take the RequestContext as it is.
 * - A helper that joins a caller's transaction takes that Transaction first; it carries the context
 *   (tx.ctx). No service method takes an EntityManager, a scope or loose request fields first.
 */
export interface RequestContext {
  /** Null for work Keyway does itself. */
  requestId: string | null;
  /** The client's address; null for work Keyway does itself. */
  ip: string | null;
  /** Null for an anonymous request (ping, signUp, login, acceptInvitation) and for Keyway's own work across tenants. */
  principal: Principal | null;
  /** The environment the request asked for (header), used by anonymous operations. */
  requestedEnvironment: Environment;
  /** Sets or clears the dashboard's session cookie on this request's response. */
  sessionCookie?: SessionCookieControl;
}

/** A request over HTTP: it always has an id and a client address. */
export interface HttpRequestContext extends RequestContext {
  requestId: string;
  ip: string;
}

/**
 * A value kept with one request for the rest of it (its TenantContext, its loaders): a property of the request's
 * context under a symbol of its own, not enumerable (so a copy of the context, as Apollo makes one per operation of a
 * batch, starts without it).
 *
 * Not a WeakMap keyed by the context: a young-generation collection keeps an entry whose value leads back to its key
 * (only a full collection settles that), and these values do, through the session cookie's response and the loaders'
 * closures. Every request then outlived two young collections and was promoted, to be freed only by a full collection: under
 * the viewer load of `bench/profile.js`, with Apollo's gateway context fixed too (schema/gateway-request-context.ts),
 * 4.6 KB promoted per request against 0.7 KB once kept here.
 */
export function requestSlot<T>(description: string): { get(ctx: RequestContext): T | undefined; set(ctx: RequestContext, value: T): T } {
  const key = Symbol(description);
  return {
    get: (ctx) => (ctx as unknown as Record<symbol, T | undefined>)[key],
    set: (ctx, value) => {
      Object.defineProperty(ctx, key, { value, writable: true, configurable: true, enumerable: false });
      return value;
    },
  };
}

/** A RequestContext that passed authentication, its principal spread out: services that touch tenant data take this. */
export interface TenantContext extends RequestContext, Principal {
  principal: Principal;
}

/** The context of `principal` acting on behalf of the request `ctx` (sign-up, login: the principal is known only then). */
export function actingAs(ctx: RequestContext, principal: Principal): TenantContext {
  // Field by field, in one order, rather than spread: Apollo hands resolvers a copy of the context
  // made with property descriptors, and spreading that copy took the runtime's slow path
  // (4 % of a `{ viewer { environment } }` request's CPU); every TenantContext also shares one shape.
  return {
    requestId: ctx.requestId,
    ip: ctx.ip,
    requestedEnvironment: ctx.requestedEnvironment,
    sessionCookie: ctx.sessionCookie,
    principal,
    organizationId: principal.organizationId,
    environment: principal.environment,
    actor: principal.actor,
    permissions: principal.permissions,
    keyControls: principal.keyControls,
    twoFactorSetupRequired: principal.twoFactorSetupRequired,
  };
}

/** Keyway's own work before any tenant is chosen: a job's run, a sweep over every tenant, the operator CLI. */
export function systemRequestContext(): RequestContext {
  return { requestId: null, ip: null, principal: null, requestedEnvironment: Environment.TEST };
}

/** A context for background work done by Keyway itself (sweeps, operator CLI): the system actor. */
export function systemContext(organizationId: string, environment: Environment, permissions: ReadonlySet<Permission>): TenantContext {
  const principal: Principal = {
    organizationId,
    environment,
    actor: { type: ActorType.SYSTEM, id: null, displayName: "system", role: null },
    permissions,
  };
  return actingAs({ requestId: null, ip: null, principal: null, requestedEnvironment: environment }, principal);
}
