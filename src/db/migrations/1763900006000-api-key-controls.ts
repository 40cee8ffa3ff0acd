import { MigrationInterface, QueryRunner } from "typeorm";

/** API key controls: restricted keys, IP allowlists, per-key rate limits, metadata and daily usage. */
export class ApiKeyControls1763900006000 implements MigrationInterface {
  name = "ApiKeyControls1763900006000";

  async up(q: QueryRunner): Promise<void> {
    // Not used in this migration: PostgreSQL allows a new enum value in a transaction only if it is not used there.
    await q.query(`ALTER TYPE api_key_role ADD VALUE IF NOT EXISTS 'RESTRICTED'`);
    await q.query(`ALTER TABLE api_keys
      ADD COLUMN permissions text[],
      ADD COLUMN allowed_ips text[] NOT NULL DEFAULT '{}',
      ADD COLUMN rate_limit_limit integer,
      ADD COLUMN rate_limit_window_seconds integer,
      ADD COLUMN metadata json,
      ADD CONSTRAINT api_keys_rate_limit_check CHECK (
        (rate_limit_limit IS NULL AND rate_limit_window_seconds IS NULL) OR
        (rate_limit_limit BETWEEN 1 AND 1000000 AND rate_limit_window_seconds BETWEEN 1 AND 86400))`);

    // One row per key per UTC day with requests, written by the usage flush together with usage_count.
    // Read only through the key's tenant-scoped row, so it needs no tenant columns of its own.
    await q.query(`CREATE TABLE api_key_daily_usage (
      api_key_id uuid NOT NULL REFERENCES api_keys(id) ON DELETE CASCADE,
      date date NOT NULL,
      request_count bigint NOT NULL,
      PRIMARY KEY (api_key_id, date))`);

    // The current rate-limit window of each limited key, merged from every process's counts at each flush.
    await q.query(`CREATE TABLE api_key_rate_windows (
      api_key_id uuid PRIMARY KEY REFERENCES api_keys(id) ON DELETE CASCADE,
      window_start timestamptz NOT NULL,
      window_seconds integer NOT NULL,
      request_count bigint NOT NULL)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE api_key_rate_windows`);
    await q.query(`DROP TABLE api_key_daily_usage`);
    await q.query(`ALTER TABLE api_keys DROP CONSTRAINT api_keys_rate_limit_check,
      DROP COLUMN permissions, DROP COLUMN allowed_ips, DROP COLUMN rate_limit_limit,
      DROP COLUMN rate_limit_window_seconds, DROP COLUMN metadata`);
    // PostgreSQL cannot drop an enum value; RESTRICTED stays in api_key_role.
  }
}
