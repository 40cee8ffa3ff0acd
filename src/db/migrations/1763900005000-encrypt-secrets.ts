import { MigrationInterface, QueryRunner } from "typeorm";

/**
 * Secrets at rest are encrypted (src/db/secret-box.ts). This table names the keys that
 * stored secrets are encrypted with, each with a check value (a known text sealed under
 * it), so that a missing or wrong KEYWAY_ENCRYPTION_KEY is refused at start-up instead of
 * garbling secrets. The plaintext rows of earlier versions are encrypted by application
 * code right after migrations (prepareEncryption): SQL has no key.
 */
export class EncryptSecrets1763900005000 implements MigrationInterface {
  name = "EncryptSecrets1763900005000";

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE encryption_keys (
      key_id text PRIMARY KEY,
      check_value text NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now())`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE encryption_keys`);
  }
}
