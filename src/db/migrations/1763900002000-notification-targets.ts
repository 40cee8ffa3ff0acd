import { MigrationInterface, QueryRunner } from "typeorm";

export class NotificationTargets1763900002000 implements MigrationInterface {
  name = "NotificationTargets1763900002000";

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TYPE notification_target_status AS ENUM ('PENDING_VERIFICATION', 'ACTIVE', 'ACTIVATION_FAILED', 'DEACTIVATED')`);
    await q.query(`CREATE TYPE delivery_attempt_status AS ENUM ('SUCCESS', 'FAILURE')`);

    await q.query(`CREATE TABLE notification_targets (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      organization_id uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
      environment environment NOT NULL,
      name text NOT NULL,
      uri text NOT NULL,
      email text,
      subscriptions notification_event_name[] NOT NULL,
      status notification_target_status NOT NULL DEFAULT 'PENDING_VERIFICATION',
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      deactivated_at timestamptz,
      failing_since timestamptz,
      removed_at timestamptz)`);
    await q.query(`CREATE INDEX notification_targets_list_idx ON notification_targets (organization_id, environment, created_at DESC, id DESC)
      WHERE removed_at IS NULL`);
    // Fan-out: the ACTIVE targets of a tenant subscribed to an event name.
    await q.query(`CREATE INDEX notification_targets_fan_out_idx ON notification_targets USING gin (subscriptions)
      WHERE status = 'ACTIVE' AND removed_at IS NULL`);

    await q.query(`CREATE TABLE notification_target_status_changes (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      organization_id uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
      environment environment NOT NULL,
      target_id uuid NOT NULL REFERENCES notification_targets(id) ON DELETE CASCADE,
      status notification_target_status NOT NULL,
      reason text NOT NULL,
      created_at timestamptz NOT NULL DEFAULT clock_timestamp())`);
    await q.query(`CREATE INDEX notification_target_status_changes_list_idx
      ON notification_target_status_changes (target_id, created_at DESC, id DESC)`);

    // One row per (event, target): what webhookNotificationTargetEvents lists. \`step\` counts the
    // attempt jobs scheduled for it; a job whose step is no longer current is stale (a replay or
    // a crash re-run superseded it) and does nothing.
    await q.query(`CREATE TABLE notification_deliveries (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      organization_id uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
      environment environment NOT NULL,
      event_id uuid NOT NULL REFERENCES notification_events(id) ON DELETE CASCADE,
      target_id uuid NOT NULL REFERENCES notification_targets(id) ON DELETE CASCADE,
      created_at timestamptz NOT NULL DEFAULT now(),
      step integer NOT NULL DEFAULT 0,
      schedule_index integer NOT NULL DEFAULT 0,
      attempt_count integer NOT NULL DEFAULT 0,
      succeeded_at timestamptz,
      next_attempt_at timestamptz)`);
    await q.query(`CREATE UNIQUE INDEX notification_deliveries_event_target_key ON notification_deliveries (event_id, target_id)`);
    await q.query(`CREATE INDEX notification_deliveries_target_list_idx ON notification_deliveries (target_id, created_at DESC, id DESC)`);

    await q.query(`CREATE TABLE delivery_attempts (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      organization_id uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
      environment environment NOT NULL,
      delivery_id uuid NOT NULL REFERENCES notification_deliveries(id) ON DELETE CASCADE,
      event_id uuid NOT NULL REFERENCES notification_events(id) ON DELETE CASCADE,
      target_id uuid NOT NULL REFERENCES notification_targets(id) ON DELETE CASCADE,
      attempt_number integer NOT NULL,
      status delivery_attempt_status NOT NULL,
      http_status integer,
      duration_ms integer NOT NULL,
      response_body text,
      error_message text,
      created_at timestamptz NOT NULL DEFAULT clock_timestamp())`);
    await q.query(`CREATE UNIQUE INDEX delivery_attempts_number_key ON delivery_attempts (delivery_id, attempt_number)`);
    await q.query(`CREATE INDEX delivery_attempts_target_idx ON delivery_attempts (target_id, created_at DESC, id DESC)`);
    await q.query(`CREATE INDEX delivery_attempts_event_idx ON delivery_attempts (event_id, created_at DESC, id DESC)`);

    // Liveness of job-queue processes: a process that stops beating (SIGKILL, power loss) has its
    // locked jobs released by the others (graphile-worker alone waits 4 hours).
    await q.query(`CREATE TABLE job_worker_heartbeats (
      worker_id text PRIMARY KEY,
      seen_at timestamptz NOT NULL DEFAULT now())`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of [
      "job_worker_heartbeats",
      "delivery_attempts",
      "notification_deliveries",
      "notification_target_status_changes",
      "notification_targets",
    ]) {
      await q.query(`DROP TABLE ${table}`);
    }
    await q.query(`DROP TYPE delivery_attempt_status`);
    await q.query(`DROP TYPE notification_target_status`);
  }
}
