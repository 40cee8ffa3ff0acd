import type { SessionTokens } from "../auth/session-tokens.js";
import type { Config } from "../config.js";
import { sql } from "../db/sql.js";
import { User } from "../entities/user.js";
import { UserSession } from "../entities/user-session.js";
import type { Transaction } from "./transaction.js";

/** A session just opened: the token is shown once, to the client that logged in. */
export interface OpenedSession {
  token: string;
  expiresAt: Date;
  idleTimeoutSeconds: number;
  user: User;
}

/** Session rows and their tokens. Callers pass their transaction: a session opens with the change that grants it. */
export class SessionService {
  constructor(
    private readonly tokens: SessionTokens,
    private readonly config: Config["session"],
  ) {}

  async open(tx: Transaction, user: User): Promise<OpenedSession> {
    const rows = tx.untenanted;
    const now = new Date();
    const expiresAt = new Date(now.getTime() + this.config.maxSeconds * 1000);
    // Housekeeping without a scheduler: the user's ended sessions go when they log in again. Their tokens
    // are still refused with the same reason (no row → SESSION_REVOKED; past `exp` → SESSION_EXPIRED).
    await rows.rows(sql`DELETE FROM sessions WHERE user_id = ${user.id} AND (revoked_at IS NOT NULL OR expires_at <= now())`);
    const row = await rows.save(
      rows.create(UserSession, { organizationId: user.organizationId, userId: user.id, lastSeenAt: now, expiresAt, revokedAt: null }),
    );
    user.lastLoginAt = now;
    await rows.update(User, { id: user.id }, { lastLoginAt: now });
    const token = await this.tokens.sign({ sessionId: row.id, userId: user.nodeId }, expiresAt);
    return { token, expiresAt, idleTimeoutSeconds: this.config.idleSeconds, user };
  }

  async revoke(tx: Transaction, sessionId: string): Promise<void> {
    await tx.untenanted.rows(sql`UPDATE sessions SET revoked_at = now() WHERE id = ${sessionId} AND revoked_at IS NULL`);
  }

  /** Password change: every session of the user ends, on every process, at commit. */
  async revokeAllOf(tx: Transaction, userId: string): Promise<void> {
    await tx.untenanted.rows(sql`UPDATE sessions SET revoked_at = now() WHERE user_id = ${userId} AND revoked_at IS NULL`);
  }
}
