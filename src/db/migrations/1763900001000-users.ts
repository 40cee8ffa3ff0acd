import { MigrationInterface, QueryRunner } from "typeorm";

export class Users1763900001000 implements MigrationInterface {
  name = "Users1763900001000";

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE sessions (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      organization_id uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
      user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
      created_at timestamptz NOT NULL DEFAULT now(),
      last_seen_at timestamptz NOT NULL,
      expires_at timestamptz NOT NULL,
      revoked_at timestamptz)`);
    await q.query(`CREATE INDEX sessions_user_idx ON sessions (user_id)`);

    // Signing secrets of session JWTs when KEYWAY_SESSION_SECRET is unset: generated once, named by `kid`.
    await q.query(`CREATE TABLE session_secrets (
      kid text PRIMARY KEY,
      secret text NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now())`);

    await q.query(`CREATE TABLE user_invitations (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      organization_id uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
      environment environment NOT NULL,
      email text NOT NULL,
      role user_role NOT NULL,
      token_hash bytea NOT NULL,
      expires_at timestamptz NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      accepted_at timestamptz,
      invited_by_type actor_type NOT NULL,
      invited_by_id uuid)`);
    await q.query(`CREATE UNIQUE INDEX user_invitations_token_hash_key ON user_invitations (token_hash)`);
    await q.query(`CREATE INDEX user_invitations_list_idx ON user_invitations (organization_id, environment, created_at DESC, id DESC)`);

    await q.query(`CREATE TABLE shared_secrets (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      organization_id uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
      environment environment NOT NULL,
      secret text NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      expires_at timestamptz)`);
    // Exactly one current secret per environment, also when two first reads race.
    await q.query(
      `CREATE UNIQUE INDEX shared_secrets_current_key ON shared_secrets (organization_id, environment) WHERE expires_at IS NULL`,
    );

    await q.query(`CREATE INDEX audit_log_actor_idx ON audit_log (organization_id, environment, actor_id, created_at DESC, id DESC)`);

    // rate-limiter-flexible's Postgres store: failed login and API-key attempts, shared by every process.
    await q.query(`CREATE TABLE rate_limits (
      key varchar(255) PRIMARY KEY,
      points integer NOT NULL DEFAULT 0,
      expire bigint)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX audit_log_actor_idx`);
    for (const table of ["rate_limits", "shared_secrets", "user_invitations", "session_secrets", "sessions"]) {
      await q.query(`DROP TABLE ${table}`);
    }
  }
}
