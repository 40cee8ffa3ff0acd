import { randomBytes } from "node:crypto";
import type { TenantContext } from "../auth/request-context.js";
import type { SecretBox } from "../db/secret-box.js";
import { ENVIRONMENT, ORGANIZATION, sql, tenantMatch } from "../db/sql.js";
import { SharedSecret } from "../entities/shared-secret.js";
import type { TenantScope } from "./tenant-scope.js";
import type { Transactions } from "./transaction.js";

/** The previous secret keeps verifying JWTs this long after a rotation. */
export const SHARED_SECRET_GRACE_MS = 24 * 3_600_000;

/**
 * The API shared secret of each environment. It is created on first use
 * (the first `sharedSecret` read or `rotateSharedSecret`), not with the
 * organization: environments that never use JWTs hold no secret. Secrets are
 * stored encrypted (the box); the rows this service returns carry the plaintext.
 */
export class SharedSecretService {
  constructor(
    private readonly transactions: Transactions,
    private readonly keyPrefix: string,
    private readonly box: SecretBox,
  ) {}

  /** The current secret, created if the environment has none yet. */
  async current(ctx: TenantContext): Promise<SharedSecret> {
    const scope = this.transactions.scope(ctx);
    await this.ensure(scope);
    return this.load(scope);
  }

  rotate(ctx: TenantContext): Promise<SharedSecret> {
    return this.transactions.run(ctx, async (tx) => {
      // Rotations of one environment queue up: exactly one current secret at any moment.
      await tx.lockTenant("shared_secret");
      await tx.scope.rows(
        sql`UPDATE shared_secrets SET expires_at = ${new Date(Date.now() + SHARED_SECRET_GRACE_MS)}
             WHERE ${tenantMatch("shared_secrets")} AND expires_at IS NULL`,
      );
      await tx.scope.insert(SharedSecret, tx.scope.create(SharedSecret, { sealedSecret: this.generate(), expiresAt: null }));
      const rotated = await this.load(tx.scope);
      await tx.audit("shared_secret.rotate", rotated.nodeId);
      return rotated;
    });
  }

  /** Race-safe: two first reads insert one row (unique index on the current secret). */
  private async ensure(scope: TenantScope): Promise<void> {
    await scope.rows(
      sql`INSERT INTO shared_secrets (organization_id, environment, secret) VALUES (${ORGANIZATION}, ${ENVIRONMENT}, ${this.generate()})
          ON CONFLICT (organization_id, environment) WHERE expires_at IS NULL DO NOTHING`,
    );
  }

  private async load(scope: TenantScope): Promise<SharedSecret> {
    const rows = await scope
      .query(SharedSecret, "s")
      .andWhere("(s.expiresAt IS NULL OR s.expiresAt > now())")
      .orderBy("s.createdAt", "DESC")
      .getMany();
    const current = rows.find((row) => row.expiresAt === null)!;
    const previous = rows.filter((row) => row.expiresAt !== null).map((row) => row.expiresAt!.getTime());
    current.previousSecretExpiresAt = previous.length ? new Date(Math.max(...previous)) : null;
    current.secret = this.box.open(current.sealedSecret, "shared_secrets.secret");
    return current;
  }

  /** A new secret, sealed for storage. */
  private generate(): string {
    return this.box.seal(`${this.keyPrefix}_ss_${randomBytes(32).toString("base64url")}`, "shared_secrets.secret");
  }
}
