import { MigrationInterface, QueryRunner } from "typeorm";

/**
 * Deliveries to a rate-limited target that wait to be queued (src/services/paced-queue.ts): the fan-out marks
 * them instead of adding a job each, and the paced queue moves them into the job queue at the target's pace.
 * The partial index holds only the waiting ones, oldest event first per target.
 */
export class PacedQueue1763900010000 implements MigrationInterface {
  name = "PacedQueue1763900010000";

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE notification_deliveries ADD COLUMN awaiting_queue boolean NOT NULL DEFAULT false`);
    await q.query(
      `CREATE INDEX notification_deliveries_awaiting_queue_idx ON notification_deliveries (target_id, event_created_at, id) WHERE awaiting_queue`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX notification_deliveries_awaiting_queue_idx`);
    await q.query(`ALTER TABLE notification_deliveries DROP COLUMN awaiting_queue`);
  }
}
