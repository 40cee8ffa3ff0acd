import { createCipheriv, createDecipheriv, createHmac, randomBytes } from "node:crypto";
import { chmodSync, linkSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { ConfigError, parseEncryptionKeys } from "../config.js";

/**
 * Encryption of secrets at rest (webhook and endpoint signing secrets, API shared
 * secrets, session JWT secrets, TOTP secrets): AES-256-GCM with a random 96-bit IV per value, stored
 * as a text envelope
 *
 *     v1:<keyId>:<iv>:<ciphertext>:<tag>        (each part base64url)
 *
 * `keyId` names the key (an HMAC of a constant under the key: it reveals nothing about
 * it), so rotation can tell which values are still under an old key. The column's name
 * is the additional authenticated data: an envelope copied into another column does not
 * open. Decrypted values are cached in memory per envelope (plaintext in this process's
 * memory, as the signing code needs it anyway), so hot paths decrypt once per key row.
 */
export const ENVELOPE_VERSION = "v1";
export const KEY_FILE_NAME = "encryption.key";

/** Every column that holds a sealed secret: table, primary key, column. */
export const SEALED_COLUMNS = [
  { table: "signing_keys", id: "id", column: "secret" },
  { table: "shared_secrets", id: "id", column: "secret" },
  { table: "session_secrets", id: "kid", column: "secret" },
  { table: "two_factor_secrets", id: "user_id", column: "secret" },
] as const;

export type SealedColumn = `${(typeof SEALED_COLUMNS)[number]["table"]}.secret` | "encryption_keys.check_value";

const IV_BYTES = 12;
const TAG_BYTES = 16;
const CACHE_LIMIT = 10_000;

export interface EncryptionKey {
  id: string;
  key: Buffer;
}

export function keyIdOf(key: Buffer): string {
  return createHmac("sha256", key).update("keyway encryption key id").digest().subarray(0, 6).toString("base64url");
}

export function isEnvelope(value: string): boolean {
  return value.startsWith(`${ENVELOPE_VERSION}:`);
}

/** A stored value that cannot be opened: unknown key, tampered or truncated. */
export class SecretBoxError extends Error {}

/**
 * Where the keys come from: KEYWAY_ENCRYPTION_KEY when set, else the key file in the
 * data folder (same syntax), generated on a database that holds no encrypted secrets.
 */
export interface KeySource {
  configured: Buffer[] | null;
  keyFile: string;
}

export class SecretBox {
  private keys: EncryptionKey[] = [];
  private byId = new Map<string, Buffer>();
  private readonly cache = new Map<string, Map<string, string>>();
  /** A key file that exists but cannot be used; reported at start-up (prepareEncryption), as a settings error. */
  loadError: ConfigError | null = null;

  constructor(readonly source: KeySource) {
    if (source.configured) {
      this.useKeys(source.configured);
      return;
    }
    try {
      this.loadKeyFile();
    } catch (error) {
      this.loadError = error as ConfigError;
    }
  }

  /** The data folder's key file, when there is none in the environment. */
  static keyFileIn(dataDir: string): string {
    return path.join(dataDir, KEY_FILE_NAME);
  }

  get fromEnvironment(): boolean {
    return this.source.configured !== null;
  }

  /** The key that seals; null until one is loaded or generated. */
  get primary(): EncryptionKey | null {
    return this.keys[0] ?? null;
  }

  get keyIds(): string[] {
    return this.keys.map((key) => key.id);
  }

  hasKey(id: string): boolean {
    return this.byId.has(id);
  }

  /**
   * Reads the key file if it exists (false if it does not). A file that exists but does not
   * parse is a ConfigError: starting with a new key would make the stored secrets unreadable.
   */
  loadKeyFile(): boolean {
    let raw: string;
    try {
      raw = readFileSync(this.source.keyFile, "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return false;
      throw new ConfigError(`cannot read the encryption key file ${this.source.keyFile}: ${(error as Error).message}`);
    }
    this.useKeys(parseEncryptionKeys(`the encryption key file ${this.source.keyFile}`, raw.trim()));
    return true;
  }

  /**
   * Writes a new random key into the key file (mode 0600, folder created 0700) and uses it.
   * Exclusive: when another process got there first, its key is used instead. Returns
   * whether this call created the file.
   */
  generateKeyFile(): boolean {
    const file = this.source.keyFile;
    mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    const temporary = `${file}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
    writeFileSync(temporary, `${randomBytes(32).toString("base64")}\n`, { mode: 0o600, flag: "wx" });
    let created = true;
    try {
      chmodSync(temporary, 0o600);
      // link() fails when the file exists: the key appears whole or not at all, never half-written.
      linkSync(temporary, file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      created = false;
    } finally {
      unlinkSync(temporary);
    }
    this.loadKeyFile();
    return created;
  }

  seal(plaintext: string, column: SealedColumn): string {
    const key = this.primary;
    if (!key) throw new SecretBoxError("no encryption key is loaded");
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv("aes-256-gcm", key.key, iv);
    cipher.setAAD(Buffer.from(column));
    const ciphertext = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
    // Not cached: some sealed values are never stored (an INSERT … ON CONFLICT DO NOTHING that lost).
    return [
      ENVELOPE_VERSION,
      key.id,
      iv.toString("base64url"),
      ciphertext.toString("base64url"),
      cipher.getAuthTag().toString("base64url"),
    ].join(":");
  }

  /** The plaintext of a stored envelope; throws SecretBoxError for anything else. */
  open(sealed: string, column: SealedColumn): string {
    const cached = this.cache.get(column)?.get(sealed);
    if (cached !== undefined) return cached;
    const parts = sealed.split(":");
    if (parts.length !== 5 || parts[0] !== ENVELOPE_VERSION) {
      throw new SecretBoxError(`a value in ${column} is not encrypted (expected a ${ENVELOPE_VERSION} envelope)`);
    }
    const [, keyId, iv, ciphertext, tag] = parts;
    const key = this.byId.get(keyId);
    if (!key) throw new SecretBoxError(`a value in ${column} is encrypted with key ${keyId}, which is not loaded`);
    let plaintext: string;
    try {
      const decipher = createDecipheriv("aes-256-gcm", key, Buffer.from(iv, "base64url"));
      decipher.setAAD(Buffer.from(column));
      const tagBytes = Buffer.from(tag, "base64url");
      if (tagBytes.length !== TAG_BYTES) throw new Error("bad tag length");
      decipher.setAuthTag(tagBytes);
      plaintext = Buffer.concat([decipher.update(Buffer.from(ciphertext, "base64url")), decipher.final()]).toString("utf8");
    } catch {
      throw new SecretBoxError(
        `a value in ${column} does not decrypt with key ${keyId}: it was altered or the key is not the one that sealed it`,
      );
    }
    this.remember(column, sealed, plaintext);
    return plaintext;
  }

  private remember(column: SealedColumn, sealed: string, plaintext: string): void {
    let entries = this.cache.get(column);
    if (!entries) this.cache.set(column, (entries = new Map<string, string>()));
    if (entries.size >= CACHE_LIMIT) entries.clear();
    entries.set(sealed, plaintext);
  }

  private useKeys(keys: Buffer[]): void {
    this.keys = [];
    this.byId = new Map();
    for (const key of keys) {
      const id = keyIdOf(key);
      if (this.byId.has(id)) continue;
      this.byId.set(id, key);
      this.keys.push({ id, key });
    }
  }
}
