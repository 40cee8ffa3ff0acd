import { MigrationInterface, QueryRunner } from "typeorm";

/**
 * A target's events are listed newest event first: by the event's creation, the key the deliveries
 * are partitioned by, instead of the delivery's. The list index follows, so that a page reads the
 * newest days' partitions first and stops at the page's end.
 */
export class TargetEventsOrder1763900011000 implements MigrationInterface {
  name = "TargetEventsOrder1763900011000";

  async up(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX notification_deliveries_target_list_idx`);
    await q.query(
      `CREATE INDEX notification_deliveries_target_list_idx ON notification_deliveries (target_id, event_created_at DESC, id DESC)`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX notification_deliveries_target_list_idx`);
    await q.query(`CREATE INDEX notification_deliveries_target_list_idx ON notification_deliveries (target_id, created_at DESC, id DESC)`);
  }
}
