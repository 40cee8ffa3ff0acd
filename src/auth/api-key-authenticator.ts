import { timingSafeEqual } from "node:crypto";
import type { Logger } from "pino";
import { Sql, sql } from "../db/sql.js";
import type { CrossTenant } from "../services/cross-tenant.js";
import { apiKeyStatus, APIKeyState, APIKeyStatus } from "../entities/api-key.js";
import { ActorType, APIKeyRole, Environment } from "../entities/enums.js";
import { sha256 } from "../crypto.js";
import { parseApiKey } from "./api-key-format.js";
import { IpAllowlist } from "./ip-allowlist.js";
import { apiKeyPermissions, Permission } from "./permissions.js";
import { KeyControls, Principal } from "./request-context.js";
import { unauthenticated } from "./graphql-edge.js";

interface KeySnapshot {
  id: string;
  organizationId: string;
  environment: Environment;
  name: string;
  role: APIKeyRole;
  state: APIKeyState;
  expiresAt: Date | null;
  deleted: boolean;
  hash: Buffer;
  permissions: ReadonlySet<Permission>;
  controls: KeyControls;
  cachedAt: number;
  /** Built once per snapshot: the warm path hands out the same frozen principal (status is still checked per request). */
  principal: Readonly<Principal & { keyId: string }>;
}

/**
 * Verifies API keys. The warm path is a hash and a map lookup, no database
 * round trip: snapshots are cached by hash and evicted when a key changes
 * (in this process at commit, in the others through LISTEN/NOTIFY on
 * API_KEY_CHANGED_CHANNEL), with a TTL as a backstop.
 */
export class ApiKeyAuthenticator {
  private readonly byHash = new Map<string, KeySnapshot>();
  private readonly hashById = new Map<string, string>();
  /** Bumped on every eviction; a lookup that raced one does not cache its (maybe stale) row. */
  private epoch = 0;
  cacheHits = 0;
  cacheMisses = 0;

  constructor(
    private readonly crossTenant: CrossTenant,
    private readonly keyPrefix: string,
    private readonly ttlMs: number,
    private readonly logger: Logger,
  ) {}

  /**
   * Resolves to the key's id and principal, or throws 401 UNAUTHENTICATED.
   * Warm path (seam: `cachedSnapshot`): a hash and a map lookup. A cached hash was read for a
   * key that passed parseApiKey in this process, so the shape and checksum check (a regex,
   * a CRC-32 and its base62) runs only on a miss; it is a third of this method's CPU.
   */
  async authenticate(key: string): Promise<Principal & { keyId: string }> {
    const hash = sha256(key);
    const cached = this.cachedSnapshot(hash);
    if (cached) return principalOf(cached);
    if (!parseApiKey(key, this.keyPrefix)) throw unauthenticated("Invalid API key");
    const snapshot = await this.lookup(hash);
    if (!snapshot || !timingSafeEqual(snapshot.hash, hash)) throw unauthenticated("Invalid API key");
    return principalOf(snapshot);
  }

  /** The fresh cached snapshot of this hash (compared in constant time), or null. */
  private cachedSnapshot(hash: Buffer): KeySnapshot | null {
    const cached = this.byHash.get(hash.toString("hex"));
    if (!cached || Date.now() - cached.cachedAt >= this.ttlMs || !timingSafeEqual(cached.hash, hash)) return null;
    this.cacheHits++;
    return cached;
  }

  /** The role and tenant of a key by id, for shared-secret JWTs whose `sub` names a key. */
  async principalForKeyId(keyId: string, environment: Environment): Promise<Principal & { keyId: string }> {
    const rows = await this.crossTenant.rows<RawKeyRow>(
      "authenticate a shared-secret JWT by its key",
      sql`${SELECT_KEY} WHERE id = ${keyId} AND environment = ${environment}`,
    );
    if (rows.length === 0) throw unauthenticated("Invalid token");
    return principalOf(toSnapshot(rows[0]));
  }

  private async lookup(hash: Buffer): Promise<KeySnapshot | null> {
    const hex = hash.toString("hex");
    const cached = this.byHash.get(hex);
    if (cached && Date.now() - cached.cachedAt < this.ttlMs) {
      this.cacheHits++;
      return cached;
    }
    this.cacheMisses++;
    const epoch = this.epoch;
    const rows = await this.crossTenant.rows<RawKeyRow>("authenticate an API key by its hash", sql`${SELECT_KEY} WHERE key_hash = ${hash}`);
    if (rows.length === 0) return null;
    const snapshot = toSnapshot(rows[0]);
    if (epoch === this.epoch && this.ttlMs > 0) {
      this.byHash.set(hex, snapshot);
      this.hashById.set(snapshot.id, hex);
    }
    return snapshot;
  }

  invalidate(keyId: string): void {
    this.epoch++;
    const hex = this.hashById.get(keyId);
    if (hex) this.byHash.delete(hex);
    this.hashById.delete(keyId);
  }

  invalidateAll(): void {
    this.epoch++;
    this.byHash.clear();
    this.hashById.clear();
  }

  get size(): number {
    return this.byHash.size;
  }

  /** Called by the change listener; a malformed payload clears everything rather than risk a stale key. */
  onChangeNotification(payload: string | undefined): void {
    if (payload && /^[0-9a-f-]{36}$/.test(payload)) this.invalidate(payload);
    else {
      this.logger.warn({ payload }, "unexpected api key change notification; clearing the key cache");
      this.invalidateAll();
    }
  }
}

interface RawKeyRow {
  id: string;
  organization_id: string;
  environment: Environment;
  name: string;
  role: APIKeyRole;
  state: APIKeyState;
  expires_at: Date | null;
  deleted_at: Date | null;
  key_hash: Buffer;
  permissions: string[] | null;
  allowed_ips: string[];
  rate_limit_limit: number | null;
  rate_limit_window_seconds: number | null;
}

const SELECT_KEY = Sql.raw(`SELECT id, organization_id, environment, name, role, state, expires_at, deleted_at, key_hash,
  permissions, allowed_ips, rate_limit_limit, rate_limit_window_seconds FROM api_keys`);

/** The key's principal, or 401 with the reason the key is refused. */
function principalOf(snapshot: KeySnapshot): Principal & { keyId: string } {
  const reason = snapshot.deleted ? "DELETED" : apiKeyStatus(snapshot);
  if (reason !== APIKeyStatus.ACTIVE) throw unauthenticated(`API key is ${reason.toLowerCase()}`, reason);
  return snapshot.principal;
}

function toSnapshot(row: RawKeyRow): KeySnapshot {
  const permissions = new Set(apiKeyPermissions(row.role, row.permissions));
  const controls: KeyControls = {
    allowlist: row.allowed_ips.length > 0 ? new IpAllowlist(row.allowed_ips) : null,
    rateLimit:
      row.rate_limit_limit !== null && row.rate_limit_window_seconds !== null
        ? { limit: row.rate_limit_limit, windowSeconds: row.rate_limit_window_seconds }
        : null,
  };
  return {
    id: row.id,
    organizationId: row.organization_id,
    environment: row.environment,
    name: row.name,
    role: row.role,
    state: row.state,
    expiresAt: row.expires_at,
    deleted: row.deleted_at !== null,
    hash: row.key_hash,
    permissions,
    controls,
    cachedAt: Date.now(),
    principal: Object.freeze({
      keyId: row.id,
      organizationId: row.organization_id,
      environment: row.environment,
      actor: Object.freeze({ type: ActorType.API_KEY, id: row.id, displayName: row.name, role: row.role }),
      permissions,
      keyControls: controls,
    }),
  };
}
