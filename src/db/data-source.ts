import { DataSource } from "typeorm";
import { ENTITIES } from "../entities/index.js";
import { MIGRATIONS } from "./migrations/index.js";
import { typeParsers } from "./timestamps.js";

export function createDataSource(url: string, poolSize = 20): DataSource {
  return new DataSource({
    type: "postgres",
    url,
    entities: ENTITIES,
    migrations: MIGRATIONS,
    migrationsTableName: "keyway_migrations",
    synchronize: false,
    uuidExtension: "pgcrypto",
    // A connection lives at most an hour: its named statements (one per list shape, and per day for
    // the event list, whose SQL carries the partitions' span) go with it.
    extra: { max: poolSize, application_name: "keyway", types: typeParsers, maxLifetimeSeconds: 3600 },
  });
}

const MIGRATION_LOCK = 7217262;

/** Runs pending migrations, one transaction each; several processes starting at once take turns. */
export async function migrate(dataSource: DataSource): Promise<string[]> {
  const lock = dataSource.createQueryRunner();
  await lock.connect();
  try {
    await lock.query("SELECT pg_advisory_lock($1)", [MIGRATION_LOCK]);
    const migrations = await dataSource.runMigrations({ transaction: "each" });
    return migrations.map((migration) => migration.name);
  } finally {
    await lock.query("SELECT pg_advisory_unlock($1)", [MIGRATION_LOCK]).catch(() => {});
    await lock.release();
  }
}
