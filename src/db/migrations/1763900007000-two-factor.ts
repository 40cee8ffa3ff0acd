import { MigrationInterface, QueryRunner } from "typeorm";

/** Two-factor sign-in (TOTP), recovery codes, and the organization's requirement. */
export class TwoFactor1763900007000 implements MigrationInterface {
  name = "TwoFactor1763900007000";

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE organizations ADD COLUMN require_two_factor boolean NOT NULL DEFAULT false`);
    await q.query(`ALTER TABLE users ADD COLUMN two_factor_enabled boolean NOT NULL DEFAULT false`);
    // One TOTP secret per user (sealed with the SecretBox): pending until confirmed, then the active one.
    // last_used_step is the time step of the last accepted code, so no code is accepted twice.
    await q.query(`CREATE TABLE two_factor_secrets (
      user_id uuid PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
      secret text NOT NULL,
      last_used_step bigint,
      created_at timestamptz NOT NULL DEFAULT now())`);
    // SHA-256 of each recovery code; a used code keeps its row (used_at) so the count of those left is known.
    await q.query(`CREATE TABLE two_factor_recovery_codes (
      user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
      code_hash bytea NOT NULL,
      used_at timestamptz,
      PRIMARY KEY (user_id, code_hash))`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE two_factor_recovery_codes`);
    await q.query(`DROP TABLE two_factor_secrets`);
    await q.query(`ALTER TABLE users DROP COLUMN two_factor_enabled`);
    await q.query(`ALTER TABLE organizations DROP COLUMN require_two_factor`);
  }
}
