import { MigrationInterface, QueryRunner } from "typeorm";

export class SigningKeys1763900000100 implements MigrationInterface {
  name = "SigningKeys1763900000100";

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE signing_keys (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      organization_id uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
      environment environment NOT NULL,
      owner_id uuid NOT NULL,
      secret text NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      expires_at timestamptz)`);
    await q.query(`CREATE INDEX signing_keys_owner_idx ON signing_keys (owner_id, created_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE signing_keys`);
  }
}
