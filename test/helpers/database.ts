import { randomBytes } from "node:crypto";
import { Client } from "pg";
import { TASKS } from "../../src/jobs/task-names";
import { waitFor } from "./wait";

/** The test PostgreSQL's admin URL, set by globalSetup. */
export function adminUrl(): string {
  const url = process.env.KEYWAY_TEST_ADMIN_URL;
  if (!url) throw new Error("KEYWAY_TEST_ADMIN_URL is not set: run the tests through jest (globalSetup)");
  return url;
}

/** A new, empty database on the test PostgreSQL. */
export async function createDatabase(admin: string = adminUrl()): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `keyway_test_${randomBytes(6).toString("hex")}`;
  await withClient(admin, (client) => client.query(`CREATE DATABASE ${name}`));
  const url = new URL(admin);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: () => withClient(admin, (client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(() => undefined),
  };
}

async function withClient<T>(url: string, use: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return await use(client);
  } finally {
    await client.end();
  }
}

/**
 * Waits until no job is queued or running but the recurring sweeps, and no delivery waits for the paced queue: every effect of what came before
 * (deliveries, retries) is then visible. The job queue is internal and the API does not show it, so this
 * reads graphile-worker's view directly.
 */
export async function queueDrained(databaseUrl: string): Promise<void> {
  await waitFor(
    () =>
      withClient(databaseUrl, async (client) => {
        const { rows } = await client.query(
          `SELECT (SELECT count(*) FROM graphile_worker.jobs WHERE task_identifier <> ALL($1))::int
                + (SELECT count(*) FROM notification_deliveries WHERE awaiting_queue)::int AS count`,
          [[TASKS.expireEvents, TASKS.sweepKeyExpiry]],
        );
        return rows[0].count === 0;
      }),
    30_000,
    "an empty job queue",
  );
}
