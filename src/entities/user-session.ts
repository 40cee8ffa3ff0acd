import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from "typeorm";

/**
 * A dashboard login. The JWT names the row (`sid`); the row decides whether the
 * token still works: idle and absolute expiry, logout, password change and
 * removal all act here, so a token is refused everywhere at once.
 * Not environment-scoped: one session acts in TEST and LIVE (Keyway-Environment).
 */
@Entity({ name: "sessions" })
export class UserSession {
  @PrimaryGeneratedColumn("uuid")
  id: string;

  @Column({ name: "organization_id", type: "uuid" })
  organizationId: string;

  @Index()
  @Column({ name: "user_id", type: "uuid" })
  userId: string;

  @CreateDateColumn({ name: "created_at", type: "timestamptz" })
  createdAt: Date;

  /** Updated at most every few seconds per session (see SessionAuthenticator), not on every request. */
  @Column({ name: "last_seen_at", type: "timestamptz" })
  lastSeenAt: Date;

  /** The absolute end (KEYWAY_SESSION_MAX_SECONDS after login); also the JWT's `exp`. */
  @Column({ name: "expires_at", type: "timestamptz" })
  expiresAt: Date;

  @Column({ name: "revoked_at", type: "timestamptz", nullable: true })
  revokedAt: Date | null;
}
