import { DataSource } from "typeorm";
import { createDatabase } from "./helpers/database";
import { MIGRATIONS } from "../src/db/migrations";

/** An installation with events, deliveries and attempts from before the day partitions. */
it("moves existing events, deliveries and attempts into the day partitions, keeping their ids and times", async () => {
  const database = await createDatabase();
  const open = async (migrations: typeof MIGRATIONS) => {
    const dataSource = new DataSource({ type: "postgres", url: database.url, migrations, migrationsTableName: "keyway_migrations" });
    await dataSource.initialize();
    await dataSource.runMigrations({ transaction: "each" });
    return dataSource;
  };
  try {
    const before = await open(
      MIGRATIONS.slice(
        0,
        MIGRATIONS.findIndex((migration) => migration.name === "EventPartitions1763900009000"),
      ),
    );
    const [org] = await before.query("INSERT INTO organizations (name) VALUES ('old') RETURNING id");
    const [target] = await before.query(
      `INSERT INTO notification_targets (organization_id, environment, name, uri, subscriptions, status)
       VALUES ($1, 'TEST', 't', 'https://example.com/', '{API_KEY_CREATED}', 'ACTIVE') RETURNING id`,
      [org.id],
    );
    const events = await before.query(
      `INSERT INTO notification_events (organization_id, environment, name, data, created_at, expires_at)
       SELECT $1, 'TEST', 'API_KEY_CREATED', jsonb_build_object('n', n), now() - n * interval '1 day 1 hour 1.234567 second',
              now() - n * interval '1 day' + interval '30 days'
         FROM generate_series(0, 12) AS n RETURNING id, created_at::text, data`,
      [org.id],
    );
    await before.query(
      `INSERT INTO notification_deliveries (organization_id, environment, event_id, target_id, step, attempt_count)
       SELECT organization_id, environment, id, $1, 1, 1 FROM notification_events`,
      [target.id],
    );
    await before.query(
      `INSERT INTO delivery_attempts (organization_id, environment, delivery_id, event_id, target_id, attempt_number, status, duration_ms)
       SELECT organization_id, environment, id, event_id, target_id, 1, 'SUCCESS', 3 FROM notification_deliveries`,
    );
    await before.destroy();

    const after = await open(MIGRATIONS);
    try {
      const moved = await after.query(
        `SELECT e.id, e.created_at::text, e.data, e.tableoid::regclass::text AS partition,
                'notification_events_p' || to_char(e.created_at AT TIME ZONE 'UTC', 'YYYYMMDD') AS day,
                d.event_created_at = e.created_at AS delivery_day, a.event_created_at = e.created_at AS attempt_day
           FROM notification_events e
           JOIN notification_deliveries d ON d.event_id = e.id
           JOIN delivery_attempts a ON a.delivery_id = d.id ORDER BY e.created_at DESC`,
      );
      expect(moved.map((row: any) => [row.id, row.created_at, row.data])).toEqual(
        events.map((row: any) => [row.id, row.created_at, row.data]),
      );
      for (const row of moved) {
        expect(row).toMatchObject({ partition: row.day, delivery_day: true, attempt_day: true });
      }
      const [{ count }] = await after.query("SELECT count(*)::int AS count FROM ONLY notification_events_default");
      expect(count).toBe(0);
    } finally {
      await after.destroy();
    }
  } finally {
    await database.drop();
  }
});
