import { decodeJwt, errors, jwtVerify } from "jose";
import { sql } from "../db/sql.js";
import type { Config } from "../config.js";
import type { SecretBox } from "../db/secret-box.js";
import { ActorType, Environment, UserRole } from "../entities/enums.js";
import { decodeId } from "../db/ids.js";
import type { ApiKeyAuthenticator } from "./api-key-authenticator.js";
import type { TokenAuthenticator } from "./authenticate.js";
import { USER_ROLE_PERMISSIONS } from "./permissions.js";
import { Principal } from "./request-context.js";
import { badRequest, forbidden, unauthenticated } from "./graphql-edge.js";
import type { SessionTokens } from "./session-tokens.js";
import type { Transactions } from "../services/transaction.js";

/** A shared-secret JWT may live at most this long: its `exp` is at most an hour after its `iat`. */
export const SHARED_SECRET_JWT_MAX_SECONDS = 3600;
/** Tolerated clock difference between an integration and Keyway. */
const CLOCK_TOLERANCE_SECONDS = 30;

interface SessionRow {
  user_id: string;
  organization_id: string;
  email: string;
  name: string | null;
  revoked: boolean;
  expired: boolean;
  stale: boolean;
  role: UserRole | null;
  two_factor_setup_required: boolean;
}

/**
 * Bearer tokens that are not API keys: dashboard session JWTs (they carry
 * `sid`) and shared-secret JWTs (their `sub` is an API key id).
 */
export class JwtAuthenticator implements TokenAuthenticator {
  /**
   * `last_seen_at` is written only when it is older than this, so a busy
   * dashboard costs one write every few seconds, not one per request. Idle
   * expiry is checked against the stored value, so a session may end up to
   * this much before the full idle timeout, never after it.
   */
  private readonly touchSeconds: number;

  constructor(
    private readonly transactions: Transactions,
    private readonly tokens: SessionTokens,
    private readonly apiKeys: ApiKeyAuthenticator,
    private readonly session: Config["session"],
    private readonly box: SecretBox,
  ) {
    this.touchSeconds = Math.min(5, session.idleSeconds / 10);
  }

  async authenticate(token: string, environment: Environment, requestedExplicitly: boolean): Promise<Principal> {
    let claims: ReturnType<typeof decodeJwt>;
    try {
      claims = decodeJwt(token);
    } catch {
      throw unauthenticated("Invalid token");
    }
    if (claims.sid !== undefined) return this.sessionPrincipal(token, environment);
    return this.sharedSecretPrincipal(token, claims.sub, environment, requestedExplicitly);
  }

  async authenticateSession(token: string, environment: Environment): Promise<Principal> {
    return this.sessionPrincipal(token, environment);
  }

  private async sessionPrincipal(token: string, environment: Environment): Promise<Principal> {
    const { sessionId, userId } = await this.tokens.verify(token);
    const userUuid = decodeId("User", userId);
    if (!userUuid || !/^[0-9a-f-]{36}$/.test(sessionId)) throw unauthenticated("Invalid session token");
    // One round trip: the session's state (by the database clock, the same for every process) and the role here.
    const rows = await this.transactions.crossTenant.rows<SessionRow>(
      "authenticate a session",
      sql`SELECT s.user_id, s.organization_id, u.email, u.name, m.role,
              s.revoked_at IS NOT NULL AS revoked,
              (s.expires_at <= now() OR s.last_seen_at + make_interval(secs => ${this.session.idleSeconds}) <= now()) AS expired,
              s.last_seen_at < now() - make_interval(secs => ${this.touchSeconds}) AS stale,
              o.require_two_factor AND NOT u.two_factor_enabled AS two_factor_setup_required
         FROM sessions s
         JOIN users u ON u.id = s.user_id
         JOIN organizations o ON o.id = s.organization_id
         LEFT JOIN memberships m ON m.user_id = s.user_id AND m.environment = ${environment}
        WHERE s.id = ${sessionId}`,
    );
    const row = rows[0];
    // A session row disappears with its user (removed from every environment).
    if (!row || row.revoked || row.user_id !== userUuid) throw unauthenticated("Session has ended; log in again", "SESSION_REVOKED");
    if (row.expired) throw unauthenticated("Session expired; log in again", "SESSION_EXPIRED");
    if (!row.role) throw forbidden(`You have no role in ${environment}`);
    if (row.stale) await this.transactions.untenanted.rows(sql`UPDATE sessions SET last_seen_at = now() WHERE id = ${sessionId}`);
    return {
      organizationId: row.organization_id,
      environment,
      actor: { type: ActorType.USER, id: row.user_id, displayName: row.name ?? row.email, role: row.role, sessionId },
      permissions: new Set(USER_ROLE_PERMISSIONS[row.role]),
      ...(row.two_factor_setup_required ? { twoFactorSetupRequired: true } : {}),
    };
  }

  /**
   * HS256 JWT signed with the environment's shared secret (or the previous one
   * during its 24 h grace), `sub` = an API key id of that environment, `exp` at
   * most an hour after `iat`. The key's role applies and its usage counts.
   */
  private async sharedSecretPrincipal(
    token: string,
    subject: string | undefined,
    requested: Environment,
    requestedExplicitly: boolean,
  ): Promise<Principal> {
    const keyId = subject ? decodeId("APIKey", subject) : null;
    if (!keyId) throw unauthenticated("Invalid token");
    const secrets = await this.transactions.crossTenant.rows<{ environment: Environment; secret: string }>(
      "authenticate a shared-secret JWT by its key",
      sql`SELECT k.environment, s.secret
            FROM api_keys k
            JOIN shared_secrets s ON s.organization_id = k.organization_id AND s.environment = k.environment
           WHERE k.id = ${keyId} AND (s.expires_at IS NULL OR s.expires_at > now())`,
    );
    let verified = false;
    for (const { secret } of secrets) {
      try {
        const { payload } = await jwtVerify(token, new TextEncoder().encode(this.box.open(secret, "shared_secrets.secret")), {
          algorithms: ["HS256"],
          requiredClaims: ["exp", "iat", "sub"],
          clockTolerance: CLOCK_TOLERANCE_SECONDS,
        });
        const lifetime = payload.exp! - payload.iat!;
        const remaining = payload.exp! - Date.now() / 1000;
        if (lifetime > SHARED_SECRET_JWT_MAX_SECONDS || remaining > SHARED_SECRET_JWT_MAX_SECONDS + CLOCK_TOLERANCE_SECONDS) {
          throw unauthenticated(`Token lifetime exceeds ${SHARED_SECRET_JWT_MAX_SECONDS} s`, "TOKEN_LIFETIME");
        }
        verified = true;
        break;
      } catch (error) {
        if (error instanceof errors.JWTExpired) throw unauthenticated("Token expired", "TOKEN_EXPIRED");
        if (!(error instanceof errors.JWSSignatureVerificationFailed)) {
          throw error instanceof errors.JOSEError ? unauthenticated("Invalid token") : error;
        }
      }
    }
    if (!verified) throw unauthenticated("Invalid token");
    const environment = secrets[0].environment;
    if (requestedExplicitly && requested !== environment) {
      throw badRequest("ENVIRONMENT_MISMATCH", `This token's API key belongs to ${environment}; Keyway-Environment says ${requested}`);
    }
    // Counted, and checked against the key's allowlist and rate limit, by the Authenticator.
    return this.apiKeys.principalForKeyId(keyId, environment);
  }
}
