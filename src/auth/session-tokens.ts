import { randomBytes } from "node:crypto";
import { sha256 } from "../crypto.js";
import { decodeProtectedHeader, errors, jwtVerify, SignJWT } from "jose";
import type { SecretBox } from "../db/secret-box.js";
import { sql } from "../db/sql.js";
import type { Transactions } from "../services/transaction.js";
import { unauthenticated } from "./graphql-edge.js";

const ISSUER = "keyway";
const AUDIENCE = "keyway:session";
const ALGORITHM = "HS256";
const SECRET_LOCK = 7217264;

interface Keyring {
  signing: { kid: string; key: Uint8Array };
  byKid: Map<string, Uint8Array>;
}

export interface SessionClaims {
  sessionId: string;
  /** usr_… */
  userId: string;
}

/**
 * Signs and verifies session JWTs (HS256, `kid` in the header). The signing
 * secret is KEYWAY_SESSION_SECRET (kid = a hash of it) or, when unset, one
 * generated on first use and stored in `session_secrets` so every process and
 * every restart share it. Stored secrets keep verifying when a configured one
 * takes over, so setting KEYWAY_SESSION_SECRET later logs nobody out. Stored
 * secrets are encrypted (the box) and decrypted once per process, into the keyring.
 */
export class SessionTokens {
  private keyring: Promise<Keyring> | null = null;

  constructor(
    private readonly transactions: Transactions,
    private readonly configuredSecret: string | null,
    private readonly box: SecretBox,
  ) {}

  async sign(claims: SessionClaims, expiresAt: Date): Promise<string> {
    const { signing } = await this.load();
    return new SignJWT({ sid: claims.sessionId })
      .setProtectedHeader({ alg: ALGORITHM, kid: signing.kid, typ: "JWT" })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setSubject(claims.userId)
      .setIssuedAt()
      .setExpirationTime(Math.floor(expiresAt.getTime() / 1000))
      .sign(signing.key);
  }

  /**
   * The claims of a genuine, unexpired session token. Anything else is 401:
   * an expired one with reason SESSION_EXPIRED, a forged, `alg: none`,
   * unknown-`kid` or malformed one with no reason.
   */
  async verify(token: string): Promise<SessionClaims> {
    const { byKid } = await this.load();
    let kid: string | undefined;
    try {
      kid = decodeProtectedHeader(token).kid;
    } catch {
      throw unauthenticated("Invalid session token");
    }
    const key = kid ? byKid.get(kid) : undefined;
    if (!key) throw unauthenticated("Invalid session token");
    try {
      const { payload } = await jwtVerify(token, key, {
        algorithms: [ALGORITHM],
        issuer: ISSUER,
        audience: AUDIENCE,
        requiredClaims: ["exp", "iat", "sid", "sub"],
      });
      if (typeof payload.sid !== "string" || typeof payload.sub !== "string") throw unauthenticated("Invalid session token");
      return { sessionId: payload.sid, userId: payload.sub };
    } catch (error) {
      if (error instanceof errors.JWTExpired) throw unauthenticated("Session expired; log in again", "SESSION_EXPIRED");
      throw unauthenticated("Invalid session token");
    }
  }

  private load(): Promise<Keyring> {
    this.keyring ??= this.readKeyring().catch((error) => {
      this.keyring = null;
      throw error;
    });
    return this.keyring;
  }

  private async readKeyring(): Promise<Keyring> {
    let stored = await this.storedSecrets();
    if (!this.configuredSecret && stored.length === 0) {
      await this.transactions.runUntenanted(async (rows) => {
        // Several processes starting at once generate one secret between them.
        await rows.rows(sql`SELECT pg_advisory_xact_lock(${SECRET_LOCK})`);
        const kid = `g${randomBytes(8).toString("hex")}`;
        const sealed = this.box.seal(randomBytes(32).toString("base64url"), "session_secrets.secret");
        await rows.rows(
          sql`INSERT INTO session_secrets (kid, secret) SELECT ${kid}, ${sealed} WHERE NOT EXISTS (SELECT 1 FROM session_secrets)`,
        );
      });
      stored = await this.storedSecrets();
    }
    const byKid = new Map(stored.map((row) => [row.kid, encode(row.secret)]));
    if (this.configuredSecret) {
      const kid = `c${sha256(this.configuredSecret).toString("hex").slice(0, 16)}`;
      byKid.set(kid, encode(this.configuredSecret));
      return { signing: { kid, key: encode(this.configuredSecret) }, byKid };
    }
    const newest = stored[stored.length - 1];
    return { signing: { kid: newest.kid, key: encode(newest.secret) }, byKid };
  }

  private async storedSecrets(): Promise<Array<{ kid: string; secret: string }>> {
    const rows = await this.transactions.untenanted.rows<{ kid: string; secret: string }>(
      sql`SELECT kid, secret FROM session_secrets ORDER BY created_at, kid`,
    );
    return rows.map((row) => ({ kid: row.kid, secret: this.box.open(row.secret, "session_secrets.secret") }));
  }
}

function encode(secret: string): Uint8Array {
  return new TextEncoder().encode(secret);
}
