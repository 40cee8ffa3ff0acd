import { MigrationInterface, QueryRunner } from "typeorm";

/**
 * Events, their deliveries and their attempts are stored in one partition per UTC day of the
 * event's creation, so that the retention removes a day by dropping three tables (metadata
 * only, whatever the number of rows) instead of deleting rows.
 *
 * - notification_events is partitioned by RANGE (created_at); its primary key becomes
 *   (id, created_at), as a partitioned table's unique keys must hold the partition key.
 * - notification_deliveries and delivery_attempts carry the event's `event_created_at` and are
 *   partitioned by RANGE (event_created_at) on the same day boundaries: an event's deliveries
 *   and attempts live in the partitions of the event's day, even when sent days later (retries,
 *   replays). Their unique keys gain event_created_at (the same uniqueness: it follows from
 *   event_id).
 * - The foreign keys from deliveries and attempts to events (and from attempts to deliveries)
 *   are dropped: a partition of a referenced table can be dropped only after a check that scans
 *   the referencing rows. The retention drops the same day of all three tables in one
 *   transaction instead, and removes the deliveries and attempts of an event it deletes alone.
 *   Their foreign keys to organizations and targets stay.
 * - keyway_create_event_partitions(from, to) creates the days [from, to] of the three tables
 *   (existing ones are left alone); a job calls it ahead of time, and each table has a DEFAULT
 *   partition so that an insert never fails for want of a day. A row that lands in a DEFAULT
 *   partition stays there until it expires (row by row).
 * - The expiry index becomes (expires_at, created_at): the retention reads a day's latest
 *   expiry from it, and finds events expired before their day without visiting the table.
 *
 * Existing rows are copied into the partitioned tables (their days created from the oldest row on).
 */
export class EventPartitions1763900009000 implements MigrationInterface {
  name = "EventPartitions1763900009000";

  async up(q: QueryRunner): Promise<void> {
    for (const table of ["notification_events", "notification_deliveries", "delivery_attempts"]) {
      await q.query(`ALTER TABLE ${table} RENAME TO ${table}_unpartitioned`);
    }
    // Constraint and index names are schema-wide: free the ones the new tables take.
    await q.query(
      `ALTER TABLE notification_events_unpartitioned RENAME CONSTRAINT notification_events_pkey TO notification_events_unpartitioned_pkey`,
    );
    await q.query(
      `ALTER TABLE notification_deliveries_unpartitioned RENAME CONSTRAINT notification_deliveries_pkey TO notification_deliveries_unpartitioned_pkey`,
    );
    await q.query(
      `ALTER TABLE delivery_attempts_unpartitioned RENAME CONSTRAINT delivery_attempts_pkey TO delivery_attempts_unpartitioned_pkey`,
    );
    for (const index of [
      "notification_events_list_idx",
      "notification_events_expires_idx",
      "notification_deliveries_event_target_key",
      "notification_deliveries_target_list_idx",
      "delivery_attempts_number_key",
      "delivery_attempts_target_idx",
      "delivery_attempts_event_idx",
    ]) {
      await q.query(`ALTER INDEX ${index} RENAME TO ${index}_unpartitioned`);
    }

    // The same columns (LIKE copies them with their defaults and NOT NULLs, not the keys); deliveries
    // and attempts gain the event's creation time.
    await q.query(`CREATE TABLE notification_events (LIKE notification_events_unpartitioned INCLUDING DEFAULTS,
      PRIMARY KEY (id, created_at),
      FOREIGN KEY (organization_id) REFERENCES organizations(id) ON DELETE CASCADE) PARTITION BY RANGE (created_at)`);
    await q.query(
      `CREATE INDEX notification_events_list_idx ON notification_events (organization_id, environment, created_at DESC, id DESC)`,
    );
    await q.query(`CREATE INDEX notification_events_expires_idx ON notification_events (expires_at, created_at)`);
    for (const table of ["notification_deliveries", "delivery_attempts"]) {
      await q.query(`CREATE TABLE ${table} (LIKE ${table}_unpartitioned INCLUDING DEFAULTS,
        event_created_at timestamptz NOT NULL,
        PRIMARY KEY (id, event_created_at),
        FOREIGN KEY (organization_id) REFERENCES organizations(id) ON DELETE CASCADE,
        FOREIGN KEY (target_id) REFERENCES notification_targets(id) ON DELETE CASCADE) PARTITION BY RANGE (event_created_at)`);
    }
    await q.query(
      `CREATE UNIQUE INDEX notification_deliveries_event_target_key ON notification_deliveries (event_id, target_id, event_created_at)`,
    );
    await q.query(`CREATE INDEX notification_deliveries_target_list_idx ON notification_deliveries (target_id, created_at DESC, id DESC)`);
    await q.query(`CREATE UNIQUE INDEX delivery_attempts_number_key ON delivery_attempts (delivery_id, attempt_number, event_created_at)`);
    await q.query(`CREATE INDEX delivery_attempts_target_idx ON delivery_attempts (target_id, created_at DESC, id DESC)`);
    await q.query(`CREATE INDEX delivery_attempts_event_idx ON delivery_attempts (event_id, created_at DESC, id DESC)`);

    for (const table of ["notification_events", "notification_deliveries", "delivery_attempts"]) {
      await q.query(`CREATE TABLE ${table}_default PARTITION OF ${table} DEFAULT`);
    }
    // Partition names carry the day: notification_events_p20261201. Days are UTC.
    await q.query(`CREATE FUNCTION keyway_create_event_partitions(first_day date, last_day date) RETURNS integer
      LANGUAGE plpgsql AS $$
      DECLARE
        day date;
        created integer := 0;
        table_name text;
      BEGIN
        FOR day IN SELECT generate_series(first_day, last_day, interval '1 day')::date LOOP
          FOREACH table_name IN ARRAY ARRAY['notification_events', 'notification_deliveries', 'delivery_attempts'] LOOP
            IF to_regclass(format('%I', table_name || '_p' || to_char(day, 'YYYYMMDD'))) IS NULL THEN
              EXECUTE format('CREATE TABLE %I PARTITION OF %I FOR VALUES FROM (%L) TO (%L)',
                table_name || '_p' || to_char(day, 'YYYYMMDD'), table_name,
                (day::timestamp AT TIME ZONE 'UTC'), ((day + 1)::timestamp AT TIME ZONE 'UTC'));
              created := created + 1;
            END IF;
          END LOOP;
        END LOOP;
        RETURN created;
      END $$`);
    await q.query(`SELECT keyway_create_event_partitions(
      least((SELECT min(created_at) FROM notification_events_unpartitioned) AT TIME ZONE 'UTC', now() AT TIME ZONE 'UTC')::date,
      (now() AT TIME ZONE 'UTC')::date + 7)`);

    await q.query(`INSERT INTO notification_events (id, organization_id, environment, name, data, created_at, expires_at)
      SELECT id, organization_id, environment, name, data, created_at, expires_at FROM notification_events_unpartitioned`);
    await q.query(`INSERT INTO notification_deliveries (id, organization_id, environment, event_id, event_created_at, target_id, created_at,
        step, schedule_index, attempt_count, succeeded_at, next_attempt_at)
      SELECT d.id, d.organization_id, d.environment, d.event_id, e.created_at, d.target_id, d.created_at,
             d.step, d.schedule_index, d.attempt_count, d.succeeded_at, d.next_attempt_at
        FROM notification_deliveries_unpartitioned d JOIN notification_events_unpartitioned e ON e.id = d.event_id`);
    await q.query(`INSERT INTO delivery_attempts (id, organization_id, environment, delivery_id, event_id, event_created_at, target_id,
        attempt_number, status, http_status, duration_ms, response_body, error_message, created_at)
      SELECT a.id, a.organization_id, a.environment, a.delivery_id, a.event_id, e.created_at, a.target_id,
             a.attempt_number, a.status, a.http_status, a.duration_ms, a.response_body, a.error_message, a.created_at
        FROM delivery_attempts_unpartitioned a JOIN notification_events_unpartitioned e ON e.id = a.event_id`);
    for (const table of ["delivery_attempts", "notification_deliveries", "notification_events"]) {
      await q.query(`DROP TABLE ${table}_unpartitioned`);
    }
  }

  async down(): Promise<void> {
    throw new Error("The event partitions are not reverted: restore the backup taken before the upgrade");
  }
}
