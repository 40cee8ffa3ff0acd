import { MigrationInterface, QueryRunner } from "typeorm";

export class Foundation1763900000000 implements MigrationInterface {
  name = "Foundation1763900000000";

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE EXTENSION IF NOT EXISTS pgcrypto`);
    await q.query(`CREATE TYPE environment AS ENUM ('TEST', 'LIVE')`);
    await q.query(`CREATE TYPE plan AS ENUM ('FREE', 'PAID')`);
    await q.query(`CREATE TYPE api_key_role AS ENUM ('ADMIN', 'READONLY')`);
    await q.query(`CREATE TYPE api_key_state AS ENUM ('ACTIVE', 'DEACTIVATED', 'REVOKED')`);
    await q.query(`CREATE TYPE user_role AS ENUM ('ADMIN', 'DEVELOPER', 'SUPPORT')`);
    await q.query(`CREATE TYPE actor_type AS ENUM ('USER', 'API_KEY', 'SYSTEM')`);
    await q.query(`CREATE TYPE notification_event_name AS ENUM (
      'API_KEY_CREATED', 'API_KEY_UPDATED', 'API_KEY_ROTATED', 'API_KEY_REVOKED', 'API_KEY_ACTIVATED',
      'API_KEY_DEACTIVATED', 'API_KEY_DELETED', 'API_KEY_EXPIRING_SOON', 'API_KEY_EXPIRED', 'USER_INVITED',
      'USER_JOINED', 'USER_REMOVED', 'USER_ROLE_UPDATED', 'NOTIFICATION_ACTIVATION',
      'COLLABORATIVE_AUTHORIZATION_DECIDED')`);

    await q.query(`CREATE TABLE organizations (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      name text NOT NULL,
      plan plan NOT NULL DEFAULT 'FREE',
      created_at timestamptz NOT NULL DEFAULT now())`);

    await q.query(`CREATE TABLE users (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      organization_id uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
      email text NOT NULL,
      name text,
      password_hash text NOT NULL,
      last_login_at timestamptz,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now())`);
    await q.query(`CREATE UNIQUE INDEX users_email_key ON users (email)`);
    await q.query(`CREATE INDEX users_organization_idx ON users (organization_id)`);

    await q.query(`CREATE TABLE memberships (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      organization_id uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
      environment environment NOT NULL,
      user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
      role user_role NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now())`);
    await q.query(`CREATE UNIQUE INDEX memberships_user_environment_key ON memberships (user_id, environment)`);
    await q.query(`CREATE INDEX memberships_list_idx ON memberships (organization_id, environment, created_at DESC, id DESC)`);

    await q.query(`CREATE TABLE api_keys (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      organization_id uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
      environment environment NOT NULL,
      name text NOT NULL,
      description text,
      role api_key_role NOT NULL,
      state api_key_state NOT NULL DEFAULT 'ACTIVE',
      key_hash bytea NOT NULL,
      prefix text NOT NULL,
      last4 text NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      expires_at timestamptz,
      last_used_at timestamptz,
      usage_count bigint NOT NULL DEFAULT 0,
      deactivated_at timestamptz,
      revoked_at timestamptz,
      deleted_at timestamptz,
      created_by_type actor_type NOT NULL,
      created_by_id uuid,
      rotated_from_id uuid,
      rotated_to_id uuid,
      expiring_soon_notified_at timestamptz,
      expired_notified_at timestamptz)`);
    await q.query(`CREATE UNIQUE INDEX api_keys_key_hash_key ON api_keys (key_hash)`);
    // The inventory's ORDER BY, exactly: keyset pagination walks this index in either direction.
    await q.query(`CREATE INDEX api_keys_list_idx ON api_keys (organization_id, environment, created_at DESC, id DESC)
      WHERE deleted_at IS NULL`);
    // A rotated key hands its name to its successor.
    await q.query(`CREATE UNIQUE INDEX api_keys_name_key ON api_keys (organization_id, environment, lower(name))
      WHERE deleted_at IS NULL AND rotated_to_id IS NULL`);
    await q.query(`CREATE INDEX api_keys_expiry_idx ON api_keys (expires_at)
      WHERE deleted_at IS NULL AND expires_at IS NOT NULL AND expired_notified_at IS NULL`);

    await q.query(`CREATE TABLE audit_log (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      organization_id uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
      environment environment NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      action text NOT NULL,
      actor_type actor_type NOT NULL,
      actor_id uuid,
      actor_display_name text NOT NULL,
      target_id text,
      request_id text)`);
    await q.query(`CREATE INDEX audit_log_list_idx ON audit_log (organization_id, environment, created_at DESC, id DESC)`);

    await q.query(`CREATE TABLE notification_events (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      organization_id uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
      environment environment NOT NULL,
      name notification_event_name NOT NULL,
      data jsonb NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      expires_at timestamptz NOT NULL)`);
    await q.query(
      `CREATE INDEX notification_events_list_idx ON notification_events (organization_id, environment, created_at DESC, id DESC)`,
    );
    await q.query(`CREATE INDEX notification_events_expires_idx ON notification_events (expires_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of ["notification_events", "audit_log", "api_keys", "memberships", "users", "organizations"]) {
      await q.query(`DROP TABLE ${table}`);
    }
    for (const type of ["notification_event_name", "actor_type", "user_role", "api_key_state", "api_key_role", "plan", "environment"]) {
      await q.query(`DROP TYPE ${type}`);
    }
  }
}
