import { randomUUID } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";
import { GraphQLError } from "graphql";
import { ActorType, Environment } from "../entities/enums.js";
import { looksLikeApiKey } from "./api-key-format.js";
import type { ApiKeyAuthenticator } from "./api-key-authenticator.js";
import type { AttemptLimits } from "./attempt-limits.js";
import type { UsageRecorder } from "./usage-recorder.js";
import { Principal, HttpRequestContext } from "./request-context.js";
import { badRequest, unauthenticated } from "./graphql-edge.js";
import { CookieWriter, NO_COOKIES, sessionCookieControl, sessionCookieFrom } from "./session-cookie.js";

export const ENVIRONMENT_HEADER = "keyway-environment";

/** Verifies a bearer token that is not an API key: a session JWT or a shared-secret JWT. */
export interface TokenAuthenticator {
  authenticate(token: string, environment: Environment, requestedExplicitly: boolean): Promise<Principal>;
  /** Only a dashboard session JWT: what the session cookie may carry. */
  authenticateSession(token: string, environment: Environment): Promise<Principal>;
}

function credentialFrom(headers: IncomingHttpHeaders): string | null {
  const header = headers.authorization;
  if (!header) return null;
  const [scheme, value = ""] = header.trim().split(/\s+/, 2);
  if (/^bearer$/i.test(scheme)) return value;
  if (/^basic$/i.test(scheme)) {
    // Stripe-style: the key is the username, the password is empty.
    const decoded = Buffer.from(value, "base64").toString("utf8");
    return decoded.split(":")[0];
  }
  throw unauthenticated("Unsupported authorization scheme; use Bearer or Basic");
}

function environmentFrom(headers: IncomingHttpHeaders): Environment | null {
  const raw = headers[ENVIRONMENT_HEADER];
  if (raw === undefined) return null;
  const value = String(raw).trim().toUpperCase();
  if (value === "TEST" || value === "LIVE") return Environment[value];
  throw badRequest("BAD_USER_INPUT", "Keyway-Environment must be TEST or LIVE");
}

/** Builds the one RequestContext of a request. Nothing below src/auth reads headers. */
export class Authenticator {
  private tokenAuthenticator: TokenAuthenticator | null = null;
  private attemptLimits: AttemptLimits | null = null;

  constructor(
    private readonly apiKeys: ApiKeyAuthenticator,
    private readonly usage: UsageRecorder,
  ) {}

  useTokenAuthenticator(tokens: TokenAuthenticator): void {
    this.tokenAuthenticator = tokens;
  }

  /** Refuses (429) an IP that sent too many credentials nobody recognizes. */
  useAttemptLimits(limits: AttemptLimits): void {
    this.attemptLimits = limits;
  }

  /**
   * `cookies` writes the response's Set-Cookie headers; without it the session cookie is read but never set.
   * `requestId` is the id the response already carries, if any.
   */
  async contextFor(
    headers: IncomingHttpHeaders,
    ip: string,
    cookies?: CookieWriter,
    requestId: string = randomUUID(),
  ): Promise<HttpRequestContext> {
    const requested = environmentFrom(headers);
    const credential = credentialFrom(headers);
    const sessionCookie = cookies ? sessionCookieControl(cookies) : NO_COOKIES;
    const base = { requestId, ip, requestedEnvironment: requested ?? Environment.TEST, sessionCookie };
    if (credential === null) {
      // An Authorization header wins; only without one does the session cookie count.
      const cookie = sessionCookieFrom(headers);
      if (cookie === null) return { ...base, principal: null };
      return this.cookieContext(cookie, base);
    }
    this.attemptLimits?.assertKeyAttemptsAllowed(ip);
    try {
      return await this.authenticated(credential, requested, base);
    } catch (error) {
      // Unknown, malformed or forged credentials count; a known one refused with a reason (REVOKED, SESSION_EXPIRED…) does not.
      if (this.attemptLimits && isUnrecognizedCredential(error)) await this.attemptLimits.keyAttemptFailed(ip);
      throw error;
    }
  }

  /**
   * The session cookie is a session and nothing else: never an API key or a shared-secret JWT.
   * A cookie that is refused (ended, expired, forged) is cleared in the same 401 response.
   */
  private async cookieContext(cookie: string, base: Omit<HttpRequestContext, "principal">): Promise<HttpRequestContext> {
    this.attemptLimits?.assertKeyAttemptsAllowed(base.ip);
    try {
      if (!this.tokenAuthenticator || looksLikeApiKey(cookie)) throw unauthenticated("Invalid session cookie");
      return { ...base, principal: await this.tokenAuthenticator.authenticateSession(cookie, base.requestedEnvironment) };
    } catch (error) {
      if (isUnauthenticated(error)) base.sessionCookie?.clear();
      if (this.attemptLimits && isUnrecognizedCredential(error)) await this.attemptLimits.keyAttemptFailed(base.ip);
      throw error;
    }
  }

  private async authenticated(
    credential: string,
    requested: Environment | null,
    base: Omit<HttpRequestContext, "principal">,
  ): Promise<HttpRequestContext> {
    if (looksLikeApiKey(credential)) {
      const principal = await this.apiKeys.authenticate(credential);
      if (requested && requested !== principal.environment) {
        throw badRequest("ENVIRONMENT_MISMATCH", `This API key belongs to ${principal.environment}; Keyway-Environment says ${requested}`);
      }
      this.admitKey(principal, base.ip);
      return { ...base, principal };
    }
    if (this.tokenAuthenticator && credential.split(".").length === 3) {
      const principal = await this.tokenAuthenticator.authenticate(credential, base.requestedEnvironment, requested !== null);
      if (principal.actor.type === ActorType.API_KEY) this.admitKey(principal, base.ip);
      return { ...base, principal };
    }
    throw unauthenticated("Invalid API key");
  }

  /** A key's allowlist (401 IP_NOT_ALLOWED) and rate limit (429 RATE_LIMITED); an admitted request is counted. */
  private admitKey(principal: Principal, ip: string): void {
    const controls = principal.keyControls;
    if (controls?.allowlist && !controls.allowlist.allows(ip)) {
      throw unauthenticated(`This API key is not allowed from ${ip}`, "IP_NOT_ALLOWED");
    }
    this.usage.admit(principal.actor.id!, controls?.rateLimit ?? null);
  }
}

function isUnauthenticated(error: unknown): boolean {
  return error instanceof GraphQLError && error.extensions.code === "UNAUTHENTICATED";
}

function isUnrecognizedCredential(error: unknown): boolean {
  return error instanceof GraphQLError && error.extensions.code === "UNAUTHENTICATED" && error.extensions.reason === undefined;
}
