import { randomUUID } from "node:crypto";
import { Brackets, IsNull, QueryFailedError } from "typeorm";
import { API_KEY_CHANGED_CHANNEL, generateApiKey, KEY_PREFIX_DISPLAY_LENGTH } from "../auth/api-key-format.js";
import { sha256 } from "../crypto.js";
import type { ApiKeyAuthenticator } from "../auth/api-key-authenticator.js";
import { normalizeAllowedIp } from "../auth/ip-allowlist.js";
import { apiKeyPermissions, covers, isPermission, Permission, PERMISSIONS } from "../auth/permissions.js";
import { systemContext, type RequestContext, type TenantContext } from "../auth/request-context.js";
import type { Config } from "../config.js";
import { sql } from "../db/sql.js";
import { ApiKey, apiKeyStatus, APIKeyState, APIKeyStatus } from "../entities/api-key.js";
import { ApiKeyDailyUsage } from "../entities/api-key-daily-usage.js";
import { ActorType, APIKeyRole, Environment, NotificationEventName } from "../entities/enums.js";
import {
  DESCRIPTION_MAX,
  MAX_ALLOWED_IPS,
  MAX_ROTATION_GRACE_SECONDS,
  METADATA_MAX_BYTES,
  RATE_LIMIT_MAX,
  RATE_LIMIT_WINDOW_MAX_SECONDS,
} from "../limits.js";
import { paginate, type PageArgs } from "../db/pagination.js";
import { encodeId } from "../db/ids.js";
import { AccessDenied, AlreadyExists, InvalidInput, InvalidState, NotFound } from "./domain-errors.js";
import { cleanName } from "./names.js";
import { assertMayCreate } from "./plans.js";
import type { Transaction, Transactions } from "./transaction.js";

export interface RateLimitInput {
  limit: number;
  windowSeconds: number;
}

type Metadata = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- any JSON object the client chooses; Keyway never reads into it

/** A key's own controls. On an update, omitted (undefined) leaves one unchanged and null clears it. */
export interface ApiKeyControlsInput {
  /** RESTRICTED keys only. */
  permissions?: string[] | null;
  allowedIps?: string[] | null;
  rateLimit?: RateLimitInput | null;
  metadata?: Metadata | null;
}

export interface NewApiKey extends ApiKeyControlsInput {
  name: string;
  description?: string | null;
  role?: APIKeyRole | null;
  expiresAt?: Date | null;
}

export interface ApiKeyChanges extends ApiKeyControlsInput {
  name?: string | null;
  description?: string | null;
  expiresAt?: Date | null;
  role?: APIKeyRole | null;
}

export interface DailyUsage {
  /** YYYY-MM-DD, UTC. */
  date: string;
  requestCount: number;
}

export interface ApiKeyFilter {
  search?: string | null;
  status?: APIKeyStatus[] | null;
  role?: APIKeyRole[] | null;
}

const DAY_MS = 86_400_000;

/** Mirrors apiKeyStatus() in SQL so lists filter exactly as keys display. */
const STATUS_SQL = (alias: string) =>
  `CASE WHEN ${alias}.state = 'REVOKED' THEN 'REVOKED'
        WHEN ${alias}.expires_at <= now() THEN 'EXPIRED'
        ELSE ${alias}.state::text END`;

/** What a notification event carries about a key: never the secret or its hash. */
export function apiKeyEventData(key: ApiKey): Record<string, unknown> {
  return {
    object: "api_key",
    id: key.nodeId,
    name: key.name,
    description: key.description,
    role: key.role,
    permissions: key.permissions,
    status: key.status,
    environment: key.environment,
    redactedKey: key.redactedKey,
    allowedIps: key.allowedIps,
    rateLimit: key.rateLimit && { limit: key.rateLimit.limit, windowSeconds: key.rateLimit.windowSeconds },
    metadata: key.metadata,
    expiresAt: key.expiresAt?.toISOString() ?? null,
    rotatedFrom: key.rotatedFromId ? encodeId("APIKey", key.rotatedFromId) : null,
    rotatedTo: key.rotatedToId ? encodeId("APIKey", key.rotatedToId) : null,
  };
}

function isUniqueViolation(error: unknown, constraint: string): boolean {
  return error instanceof QueryFailedError && (error.driverError as { constraint?: string }).constraint === constraint;
}

export class ApiKeyService {
  constructor(
    private readonly config: Config,
    private readonly transactions: Transactions,
    private readonly authenticator: ApiKeyAuthenticator,
  ) {}

  async create(ctx: TenantContext, input: NewApiKey): Promise<ApiKey> {
    const role = input.role ?? APIKeyRole.READONLY;
    const permissions = this.cleanPermissions(role, input.permissions, null);
    this.assertMayGrant(ctx, role, permissions);
    const name = cleanName(input.name);
    this.assertFuture(input.expiresAt);
    const controls = {
      grantedPermissions: permissions,
      allowedIps: this.cleanAllowedIps(input.allowedIps) ?? [],
      ...this.rateLimitColumns(input.rateLimit),
      metadata: this.cleanMetadata(input.metadata) ?? null,
    };
    return this.transactions.run(ctx, async (tx) => {
      await this.assertMayCreate(tx);
      await this.assertNameFree(tx, name, null);
      const key = await this.insertKey(tx, {
        name,
        description: this.cleanDescription(input.description),
        role,
        expiresAt: input.expiresAt ?? null,
        rotatedFromId: null,
        ...controls,
      });
      await tx.audit("api_key.create", key.nodeId);
      await tx.emit(NotificationEventName.API_KEY_CREATED, apiKeyEventData(key));
      return key;
    });
  }

  async update(ctx: TenantContext, keyId: string, changes: ApiKeyChanges): Promise<ApiKey> {
    const name = changes.name != null ? cleanName(changes.name) : null;
    if (changes.expiresAt) this.assertFuture(changes.expiresAt);
    const allowedIps = this.cleanAllowedIps(changes.allowedIps);
    const rateLimit = changes.rateLimit !== undefined ? this.rateLimitColumns(changes.rateLimit) : null;
    const metadata = this.cleanMetadata(changes.metadata);
    return this.change(ctx, keyId, "api_key.update", NotificationEventName.API_KEY_UPDATED, async (key, tx) => {
      // Changing a key is wielding it: nobody edits a key that holds more than they do.
      this.assertMayGrant(ctx, key.role, key.grantedPermissions);
      if (key.state === APIKeyState.REVOKED) throw new InvalidState("A revoked key cannot be changed", "apiKeyId");
      const role = changes.role ?? key.role;
      // A RESTRICTED key keeps its list unless a new one is given; other roles hold none of their own.
      const permissions = this.cleanPermissions(role, changes.permissions, role === key.role ? key.grantedPermissions : null);
      this.assertMayGrant(ctx, role, permissions);
      key.grantedPermissions = permissions;
      if (allowedIps !== undefined) key.allowedIps = allowedIps ?? [];
      if (rateLimit) Object.assign(key, rateLimit);
      if (metadata !== undefined) key.metadata = metadata;
      if (name !== null && name.toLowerCase() !== key.name.toLowerCase()) await this.assertNameFree(tx, name, key.id);
      if (name !== null) key.name = name;
      if (changes.description !== undefined) key.description = this.cleanDescription(changes.description);
      // expiresAt: null clears the expiry ("Never"); omitted leaves it. A new expiry is announced afresh.
      if (changes.expiresAt !== undefined && changes.expiresAt?.getTime() !== key.expiresAt?.getTime()) {
        key.expiresAt = changes.expiresAt;
        key.expiringSoonNotifiedAt = null;
        key.expiredNotifiedAt = null;
      }
      if (changes.role) key.role = changes.role;
    });
  }

  activate(ctx: TenantContext, keyId: string): Promise<ApiKey> {
    return this.change(ctx, keyId, "api_key.activate", NotificationEventName.API_KEY_ACTIVATED, async (key) => {
      if (key.state === APIKeyState.REVOKED) throw new InvalidState("A revoked key cannot be activated", "apiKeyId");
      if (key.state === APIKeyState.ACTIVE) throw new InvalidState("The key is already active", "apiKeyId");
      key.state = APIKeyState.ACTIVE;
      key.deactivatedAt = null;
    });
  }

  deactivate(ctx: TenantContext, keyId: string): Promise<ApiKey> {
    return this.change(ctx, keyId, "api_key.deactivate", NotificationEventName.API_KEY_DEACTIVATED, async (key) => {
      if (key.state === APIKeyState.REVOKED) throw new InvalidState("A revoked key cannot be deactivated", "apiKeyId");
      if (key.state === APIKeyState.DEACTIVATED) throw new InvalidState("The key is already deactivated", "apiKeyId");
      key.state = APIKeyState.DEACTIVATED;
      key.deactivatedAt = new Date();
    });
  }

  revoke(ctx: TenantContext, keyId: string): Promise<ApiKey> {
    return this.change(ctx, keyId, "api_key.revoke", NotificationEventName.API_KEY_REVOKED, async (key) => {
      if (key.state === APIKeyState.REVOKED) throw new InvalidState("The key is already revoked", "apiKeyId");
      key.state = APIKeyState.REVOKED;
      key.revokedAt = new Date();
    });
  }

  delete(ctx: TenantContext, keyId: string): Promise<ApiKey> {
    return this.change(ctx, keyId, "api_key.delete", NotificationEventName.API_KEY_DELETED, async (key) => {
      key.deletedAt = new Date();
    });
  }

  /** A successor with the same name, role and description; the old key works for `graceSeconds` more. */
  async rotate(ctx: TenantContext, keyId: string, graceSeconds: number): Promise<ApiKey> {
    if (!Number.isInteger(graceSeconds) || graceSeconds < 0 || graceSeconds > MAX_ROTATION_GRACE_SECONDS) {
      throw new InvalidInput(`expireOldKeyInSeconds must be between 0 and ${MAX_ROTATION_GRACE_SECONDS}`, "expireOldKeyInSeconds");
    }
    return this.transactions.run(ctx, async (tx) => {
      const old = await this.lockKey(tx, keyId);
      // Rotation hands out a new secret with the key's permissions: no escalation through it.
      this.assertMayGrant(ctx, old.role, old.grantedPermissions);
      const status = apiKeyStatus(old);
      if (status !== APIKeyStatus.ACTIVE) throw new InvalidState(`A key that is ${status} cannot be rotated`, "apiKeyId");
      if (old.rotatedToId) throw new InvalidState("The key has already been rotated", "apiKeyId");
      await this.assertMayCreate(tx);

      const originalExpiry = old.expiresAt;
      const graceEnd = new Date(Date.now() + graceSeconds * 1000);
      const successorId = randomUUID();
      old.expiresAt = originalExpiry && originalExpiry < graceEnd ? originalExpiry : graceEnd;
      old.rotatedToId = successorId;
      await tx.scope.save(old);
      await this.notifyChanged(tx, old.id);

      const successor = await this.insertKey(tx, {
        id: successorId,
        name: old.name,
        description: old.description,
        role: old.role,
        // The successor keeps the old key's own expiry, not the grace period's, and its controls.
        expiresAt: originalExpiry,
        rotatedFromId: old.id,
        grantedPermissions: old.grantedPermissions,
        allowedIps: old.allowedIps,
        rateLimitLimit: old.rateLimitLimit,
        rateLimitWindowSeconds: old.rateLimitWindowSeconds,
        metadata: old.metadata,
      });
      await tx.audit("api_key.rotate", successor.nodeId);
      await tx.emit(NotificationEventName.API_KEY_ROTATED, apiKeyEventData(successor));
      return successor;
    });
  }

  /**
   * Requests per UTC day for the last `days` days (today included), oldest first, days
   * without requests as 0, for each of the keys (one query for a page of them): from the
   * rows the usage flush writes together with `usageCount`.
   */
  async dailyUsage(ctx: TenantContext, keyIds: readonly string[], days: number, now = new Date()): Promise<Map<string, DailyUsage[]>> {
    const today = Math.floor(now.getTime() / DAY_MS) * DAY_MS;
    const dates = Array.from({ length: days }, (_, i) => new Date(today - (days - 1 - i) * DAY_MS).toISOString().slice(0, 10));
    const rows: Array<{ id: string; date: string; count: string }> = await this.transactions
      .scope(ctx)
      .query(ApiKey, "k")
      .innerJoin(ApiKeyDailyUsage, "u", "u.apiKeyId = k.id AND u.date >= :from", { from: dates[0] })
      .andWhere("k.id IN (:...keyIds)", { keyIds })
      .select("k.id", "id")
      .addSelect("u.date::text", "date")
      .addSelect("u.requestCount", "count")
      .getRawMany();
    const counts = new Map(rows.map((row) => [`${row.id}:${row.date}`, Number(row.count)]));
    return new Map(keyIds.map((id) => [id, dates.map((date) => ({ date, requestCount: counts.get(`${id}:${date}`) ?? 0 }))]));
  }

  /** A key of the caller's tenant, null when it does not exist there or is deleted. */
  findById(ctx: TenantContext, id: string): Promise<ApiKey | null> {
    return this.transactions.scope(ctx).findOne(ApiKey, { id, deletedAt: IsNull() });
  }

  /** Several keys by id (createdBy, rotatedFrom/To), deleted ones included: history stays readable. */
  findManyById(ctx: TenantContext, ids: readonly string[]): Promise<Map<string, ApiKey>> {
    return this.transactions.scope(ctx).findManyById(ApiKey, ids);
  }

  /** `columns`: the properties to read (the others are left unset), or null for all of them. */
  list(ctx: TenantContext, args: PageArgs, filter: ApiKeyFilter | null | undefined, columns: ReadonlyArray<keyof ApiKey> | null = null) {
    const query = this.transactions.scope(ctx).query(ApiKey, "k").andWhere("k.deletedAt IS NULL");
    if (columns) query.select(columns.map((column) => `k.${column}`));
    if (filter?.search) {
      const pattern = `%${filter.search.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
      query.andWhere(new Brackets((q) => q.where("k.name ILIKE :pattern").orWhere("k.description ILIKE :pattern")), { pattern });
    }
    if (filter?.status?.length) query.andWhere(`${STATUS_SQL("k")} IN (:...statuses)`, { statuses: filter.status });
    if (filter?.role?.length) query.andWhere("k.role IN (:...roles)", { roles: filter.role });
    return paginate(query, args);
  }

  /**
   * Writes API_KEY_EXPIRING_SOON once for each key that expires within the configured
   * days and API_KEY_EXPIRED once for each key that has expired; each in its own
   * transaction with the flag that makes it happen only once, also with several processes.
   */
  async sweepExpiry(ctx: RequestContext, now = new Date()): Promise<{ expiringSoon: number; expired: number }> {
    const soon = new Date(now.getTime() + this.config.expiringSoonDays * 86_400_000);
    const due = await this.transactions.crossTenant.rows<{
      id: string;
      organization_id: string;
      environment: Environment;
      expired: boolean;
    }>(
      "key expiry sweep",
      sql`SELECT id, organization_id, environment, expires_at <= ${now} AS expired
            FROM api_keys
           WHERE deleted_at IS NULL AND state <> 'REVOKED' AND expired_notified_at IS NULL
             AND expires_at IS NOT NULL AND expires_at <= ${soon}
             AND (expires_at <= ${now} OR (expiring_soon_notified_at IS NULL AND rotated_to_id IS NULL))
           ORDER BY expires_at
           LIMIT 1000`,
    );
    const counts = { expiringSoon: 0, expired: 0 };
    for (const row of due) {
      const ctx = systemContext(row.organization_id, row.environment, new Set(PERMISSIONS));
      const sent = await this.transactions.run(ctx, async (tx) => {
        const key = await tx.scope.findOneForUpdate(ApiKey, { id: row.id }, true);
        if (!key || key.deletedAt || key.state === APIKeyState.REVOKED || !key.expiresAt) return false;
        if (row.expired ? key.expiredNotifiedAt : key.expiringSoonNotifiedAt) return false;
        if (row.expired) key.expiredNotifiedAt = now;
        else key.expiringSoonNotifiedAt = now;
        await tx.scope.save(key);
        const event = row.expired ? NotificationEventName.API_KEY_EXPIRED : NotificationEventName.API_KEY_EXPIRING_SOON;
        await tx.emit(event, apiKeyEventData(key));
        return true;
      });
      if (sent) counts[row.expired ? "expired" : "expiringSoon"]++;
    }
    return counts;
  }

  /**
   * Issues a key outside any request: the bootstrap and the operator CLI.
   * Same rules for the format and storage, audited as SYSTEM.
   */
  issueAsOperator(ctx: TenantContext, name: string, role: APIKeyRole, controls: ApiKeyControlsInput = {}): Promise<ApiKey> {
    const permissions = this.cleanPermissions(role, controls.permissions, null);
    const values = {
      grantedPermissions: permissions,
      allowedIps: this.cleanAllowedIps(controls.allowedIps) ?? [],
      ...this.rateLimitColumns(controls.rateLimit),
      metadata: this.cleanMetadata(controls.metadata) ?? null,
    };
    return this.transactions.run(ctx, async (tx) => {
      const key = await this.insertKey(tx, { name, description: null, role, expiresAt: null, rotatedFromId: null, ...values });
      await tx.audit("api_key.create", key.nodeId);
      await tx.emit(NotificationEventName.API_KEY_CREATED, apiKeyEventData(key));
      return key;
    });
  }

  private async change(
    ctx: TenantContext,
    keyId: string,
    action: string,
    event: NotificationEventName,
    apply: (key: ApiKey, tx: Transaction) => Promise<void>,
  ): Promise<ApiKey> {
    return this.transactions.run(ctx, async (tx) => {
      const key = await this.lockKey(tx, keyId);
      // Stopping or restarting a key grants nothing, so keys:write suffices even for a key
      // stronger than the actor (anyone who may manage keys can block a leaked admin key).
      await apply(key, tx);
      try {
        await tx.scope.save(key);
      } catch (error) {
        if (isUniqueViolation(error, "api_keys_name_key")) throw new AlreadyExists("A key with this name already exists", "name");
        throw error;
      }
      await this.notifyChanged(tx, key.id);
      await tx.audit(action, key.nodeId);
      await tx.emit(event, apiKeyEventData(key));
      return key;
    });
  }

  private async lockKey(tx: Transaction, keyId: string): Promise<ApiKey> {
    const key = await tx.scope.findOneForUpdate(ApiKey, { id: keyId, deletedAt: IsNull() });
    if (!key) throw new NotFound("API key", "apiKeyId");
    return key;
  }

  /** Every process evicts the key from its cache: this one at commit, the others on NOTIFY. */
  private async notifyChanged(tx: Transaction, keyId: string): Promise<void> {
    tx.afterCommit(() => this.authenticator.invalidate(keyId));
    await tx.notify(API_KEY_CHANGED_CHANNEL, keyId);
  }

  private async insertKey(
    tx: Transaction,
    values: Pick<ApiKey, "name" | "description" | "role" | "expiresAt" | "rotatedFromId"> &
      Partial<Pick<ApiKey, "grantedPermissions" | "allowedIps" | "rateLimitLimit" | "rateLimitWindowSeconds" | "metadata">> & {
        id?: string;
      },
  ): Promise<ApiKey> {
    const plaintext = generateApiKey(this.config.keyPrefix, tx.ctx.environment);
    const { actor } = tx.ctx;
    const key = tx.scope.create(ApiKey, {
      ...values,
      id: values.id ?? randomUUID(),
      keyHash: sha256(plaintext),
      prefix: plaintext.slice(0, KEY_PREFIX_DISPLAY_LENGTH),
      last4: plaintext.slice(-4),
      state: APIKeyState.ACTIVE,
      usageCount: 0,
      createdByType: actor.type,
      createdById: actor.type === ActorType.SYSTEM ? null : actor.id,
    });
    try {
      await tx.scope.insert(ApiKey, key);
    } catch (error) {
      if (isUniqueViolation(error, "api_keys_name_key")) throw new AlreadyExists("A key with this name already exists", "name");
      throw error;
    }
    const saved = await tx.scope.findOne(ApiKey, { id: key.id });
    saved!.key = plaintext;
    return saved!;
  }

  /** No escalation: the key's permissions (by role, or a RESTRICTED key's own) must all be the actor's. */
  private assertMayGrant(ctx: TenantContext, role: APIKeyRole, own: readonly string[] | null): void {
    if (!covers(ctx.permissions, apiKeyPermissions(role, own))) {
      throw new AccessDenied(
        role === APIKeyRole.RESTRICTED
          ? "Access denied: the key would hold permissions you do not have"
          : `Access denied: a ${role} key holds permissions you do not have`,
      );
    }
  }

  /**
   * A RESTRICTED key's permissions (required, each known, deduplicated, in PERMISSIONS order);
   * null for every other role, which may not be given any. `current` stands in when none are given.
   */
  private cleanPermissions(role: APIKeyRole, given: string[] | null | undefined, current: string[] | null): string[] | null {
    const field = "permissions";
    if (role !== APIKeyRole.RESTRICTED) {
      if (given != null) throw new InvalidInput(`permissions are set only on RESTRICTED keys; ${role} keys hold their role's`, field);
      return null;
    }
    const list = given ?? current;
    if (list == null) throw new InvalidInput("A RESTRICTED key needs its permissions", field);
    list.forEach((permission, index) => {
      if (!isPermission(permission)) {
        throw new InvalidInput(`Unknown permission "${permission.slice(0, 50)}"; known: ${PERMISSIONS.join(", ")}`, `${field}.${index}`);
      }
    });
    if (list.length === 0) throw new InvalidInput("A RESTRICTED key needs at least one permission", field);
    const held = new Set<string>(list);
    return PERMISSIONS.filter((permission: Permission) => held.has(permission));
  }

  /** Canonical addresses and ranges, deduplicated; undefined when not given, null (clear) for null. */
  private cleanAllowedIps(given: string[] | null | undefined): string[] | null | undefined {
    if (given === undefined || given === null) return given;
    const field = "allowedIps";
    if (given.length > MAX_ALLOWED_IPS) throw new InvalidInput(`At most ${MAX_ALLOWED_IPS} addresses or ranges`, field);
    const normalized = given.map((entry, index) => {
      const canonical = normalizeAllowedIp(entry);
      if (canonical === null) {
        throw new InvalidInput(
          "Not an IPv4 or IPv6 address or CIDR range (e.g. 203.0.113.7, 10.0.0.0/8, 2001:db8::/32)",
          `${field}.${index}`,
        );
      }
      return canonical;
    });
    return [...new Set(normalized)];
  }

  private rateLimitColumns(given: RateLimitInput | null | undefined): Pick<ApiKey, "rateLimitLimit" | "rateLimitWindowSeconds"> {
    if (!given) return { rateLimitLimit: null, rateLimitWindowSeconds: null };
    if (!Number.isInteger(given.limit) || given.limit < 1 || given.limit > RATE_LIMIT_MAX) {
      throw new InvalidInput(`limit must be between 1 and ${RATE_LIMIT_MAX}`, "rateLimit.limit");
    }
    if (!Number.isInteger(given.windowSeconds) || given.windowSeconds < 1 || given.windowSeconds > RATE_LIMIT_WINDOW_MAX_SECONDS) {
      throw new InvalidInput(`windowSeconds must be between 1 and ${RATE_LIMIT_WINDOW_MAX_SECONDS}`, "rateLimit.windowSeconds");
    }
    return { rateLimitLimit: given.limit, rateLimitWindowSeconds: given.windowSeconds };
  }

  private cleanMetadata(given: Metadata | null | undefined): Metadata | null | undefined {
    if (given == null) return given;
    if (Buffer.byteLength(JSON.stringify(given)) > METADATA_MAX_BYTES) {
      throw new InvalidInput(`metadata must be at most ${METADATA_MAX_BYTES} bytes as JSON`, "metadata");
    }
    return given;
  }

  private assertMayCreate(tx: Transaction): Promise<void> {
    return assertMayCreate(tx, {
      lock: "api_keys",
      max: this.config.maxKeysPerEnvironment,
      what: "API keys",
      count: (tx) => tx.scope.count(ApiKey, { deletedAt: IsNull() }),
    });
  }

  private async assertNameFree(tx: Transaction, name: string, exceptId: string | null): Promise<void> {
    const clash = await tx.scope
      .query(ApiKey, "k")
      .andWhere("lower(k.name) = lower(:name) AND k.deletedAt IS NULL AND k.rotatedToId IS NULL", { name })
      .andWhere(exceptId ? "k.id <> :exceptId" : "TRUE", { exceptId })
      .getExists();
    if (clash) throw new AlreadyExists(`An API key named "${name}" already exists in this environment`, "name");
  }

  private cleanDescription(raw: string | null | undefined): string | null {
    const description = raw?.trim() || null;
    if (description && description.length > DESCRIPTION_MAX) {
      throw new InvalidInput(`Description must be at most ${DESCRIPTION_MAX} characters`, "description");
    }
    return description;
  }

  private assertFuture(expiresAt: Date | null | undefined): void {
    if (expiresAt && expiresAt.getTime() <= Date.now()) throw new InvalidInput("expiresAt must be in the future", "expiresAt");
  }
}
