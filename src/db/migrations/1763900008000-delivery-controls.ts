import { MigrationInterface, QueryRunner } from "typeorm";

/** Per-target delivery rate limits and the record of event recoveries. */
export class DeliveryControls1763900008000 implements MigrationInterface {
  name = "DeliveryControls1763900008000";

  async up(q: QueryRunner): Promise<void> {
    // next_send_at: the earliest moment the next paced delivery to the target may start. Every process
    // reserves its send by moving it on atomically, so the limit holds across processes.
    await q.query(`ALTER TABLE notification_targets
      ADD COLUMN max_deliveries_per_second integer,
      ADD COLUMN next_send_at timestamptz,
      ADD CONSTRAINT notification_targets_max_deliveries_check CHECK (max_deliveries_per_second BETWEEN 1 AND 1000)`);
    await q.query(`CREATE TABLE notification_event_recoveries (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      organization_id uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
      environment environment NOT NULL,
      target_id uuid NOT NULL REFERENCES notification_targets(id) ON DELETE CASCADE,
      since timestamptz NOT NULL,
      until timestamptz NOT NULL,
      event_count integer NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now())`);
    await q.query(
      `CREATE INDEX notification_event_recoveries_target ON notification_event_recoveries (organization_id, environment, target_id)`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE notification_event_recoveries`);
    await q.query(`ALTER TABLE notification_targets DROP CONSTRAINT notification_targets_max_deliveries_check,
      DROP COLUMN next_send_at, DROP COLUMN max_deliveries_per_second`);
  }
}
