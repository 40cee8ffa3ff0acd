import type { DataSource, EntityManager } from "typeorm";
import { ConfigError } from "../config.js";
import { ENVELOPE_VERSION, isEnvelope, SEALED_COLUMNS, SealedColumn, SecretBox, SecretBoxError } from "./secret-box.js";

const ENCRYPTION_LOCK = 7217265;
const CHECK_PLAINTEXT = "keyway encryption key check";
const CHECK_COLUMN: SealedColumn = "encryption_keys.check_value";
const BATCH = 500;

export interface EncryptionStart {
  /** The key that now encrypts every stored secret. */
  keyId: string;
  /** The key file this start generated, or null. */
  generatedKeyFile: string | null;
  /** Values encrypted for the first time (plaintext of earlier versions) or moved to the new key. */
  reencrypted: number;
  /** Keys no stored secret uses any more: they may be dropped from KEYWAY_ENCRYPTION_KEY. */
  retiredKeyIds: string[];
}

/** Where the keys come from, for messages: the variable or the file. */
function keySourceName(box: SecretBox): string {
  return box.fromEnvironment ? "KEYWAY_ENCRYPTION_KEY" : `the encryption key file ${box.source.keyFile}`;
}

/** Key ids named by stored envelopes (the registry aside). */
async function sealedKeyIds(em: EntityManager): Promise<string[]> {
  const union = SEALED_COLUMNS.map(
    ({ table, column }) => `SELECT split_part(${column}, ':', 2) AS key_id FROM ${table} WHERE ${column} LIKE '${ENVELOPE_VERSION}:%'`,
  ).join(" UNION ");
  const rows: Array<{ key_id: string }> = await em.query(union);
  return rows.map((row) => row.key_id);
}

/**
 * Runs at every start, right after migrations, in one transaction (several processes
 * starting at once take turns):
 *
 * 1. Finds the key: KEYWAY_ENCRYPTION_KEY, else the data folder's key file; with neither,
 *    generates the file — but only on a database that holds no encrypted secret, since a
 *    new key could not read them.
 * 2. Checks that every key the database has used is present and genuine (its check value
 *    opens), else refuses to start (ConfigError: exit code 2).
 * 3. Encrypts, under the first key, every stored secret that is plaintext (rows of earlier
 *    versions) or under an older key (rotation), and forgets the older keys. Idempotent:
 *    values already under the first key are left alone.
 */
export async function prepareEncryption(dataSource: DataSource, box: SecretBox): Promise<EncryptionStart> {
  if (box.loadError) throw box.loadError;
  return dataSource.transaction(async (em) => {
    await em.query("SELECT pg_advisory_xact_lock($1)", [ENCRYPTION_LOCK]);
    const registered: Array<{ key_id: string; check_value: string }> = await em.query(
      "SELECT key_id, check_value FROM encryption_keys ORDER BY created_at, key_id",
    );

    let generatedKeyFile: string | null = null;
    // Another process may have generated the file while this one waited for the lock.
    if (!box.primary && !box.fromEnvironment) box.loadKeyFile();
    if (!box.primary) {
      const used = [...new Set([...registered.map((row) => row.key_id), ...(await sealedKeyIds(em))])];
      if (used.length > 0) {
        throw new ConfigError(
          `the database holds secrets encrypted with key ${used.join(", ")}, but KEYWAY_ENCRYPTION_KEY is unset and ` +
            `${box.source.keyFile} does not exist: restore that file or set KEYWAY_ENCRYPTION_KEY (a new key cannot read them)`,
        );
      }
      if (box.generateKeyFile()) generatedKeyFile = box.source.keyFile;
    }
    const primary = box.primary!;

    for (const row of registered) {
      if (!box.hasKey(row.key_id)) {
        throw new ConfigError(
          `${keySourceName(box)} does not hold key ${row.key_id}, which encrypts the secrets stored in this database ` +
            `(it holds ${box.keyIds.join(", ")}): wrong key? To rotate, list the new key first and the old one after it`,
        );
      }
      let check: string | null = null;
      try {
        check = box.open(row.check_value, CHECK_COLUMN);
      } catch {
        // reported below
      }
      if (check !== CHECK_PLAINTEXT) {
        throw new ConfigError(`the check value of encryption key ${row.key_id} does not decrypt with ${keySourceName(box)}: wrong key`);
      }
    }
    if (!registered.some((row) => row.key_id === primary.id)) {
      await em.query("INSERT INTO encryption_keys (key_id, check_value) VALUES ($1, $2)", [
        primary.id,
        box.seal(CHECK_PLAINTEXT, CHECK_COLUMN),
      ]);
    }

    let reencrypted = 0;
    for (const { table, id, column } of SEALED_COLUMNS) {
      const context = `${table}.${column}` as SealedColumn;
      const rows: Array<{ id: string; value: string }> = await em.query(
        `SELECT ${id}::text AS id, ${column} AS value FROM ${table} WHERE ${column} NOT LIKE $1 ORDER BY ${id} FOR UPDATE`,
        [`${ENVELOPE_VERSION}:${primary.id}:%`],
      );
      for (let start = 0; start < rows.length; start += BATCH) {
        const batch = rows.slice(start, start + BATCH);
        const sealed = batch.map((row) => {
          let plaintext = row.value;
          if (isEnvelope(row.value)) {
            try {
              plaintext = box.open(row.value, context);
            } catch (error) {
              if (!(error instanceof SecretBoxError)) throw error;
              throw new ConfigError(`${error.message}; ${keySourceName(box)} must hold every key the database has used`);
            }
          }
          return box.seal(plaintext, context);
        });
        await em.query(
          `UPDATE ${table} t SET ${column} = v.value FROM unnest($1::text[], $2::text[]) AS v(id, value) WHERE t.${id}::text = v.id`,
          [batch.map((row) => row.id), sealed],
        );
        reencrypted += batch.length;
      }
    }

    const retiredKeyIds = registered.map((row) => row.key_id).filter((keyId) => keyId !== primary.id);
    if (retiredKeyIds.length > 0) await em.query("DELETE FROM encryption_keys WHERE key_id <> $1", [primary.id]);
    return { keyId: primary.id, generatedKeyFile, reencrypted, retiredKeyIds };
  });
}
