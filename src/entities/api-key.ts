import { GraphQLJSONObject } from "graphql-scalars";
import { Field, Int, ObjectType } from "type-graphql";
import { Column, Entity, Index, UpdateDateColumn } from "typeorm";
import { apiKeyPermissions } from "../auth/permissions.js";
import { formatBytes, METADATA_MAX_BYTES } from "../limits.js";
import { Node } from "./node.js";
import { bigintAsNumber } from "./column-transformers.js";
import { ActorType, APIKeyRole } from "./enums.js";
import { registerEnumType } from "type-graphql";
import { TenantScoped } from "./tenant-scoped.js";
import { NodeRow } from "./node-row.js";

/** What an operator set; EXPIRED is derived from `expiresAt` so expiry is exact to the second. */
export enum APIKeyState {
  ACTIVE = "ACTIVE",
  DEACTIVATED = "DEACTIVATED",
  REVOKED = "REVOKED",
}

export enum APIKeyStatus {
  ACTIVE = "ACTIVE",
  DEACTIVATED = "DEACTIVATED",
  REVOKED = "REVOKED",
  EXPIRED = "EXPIRED",
}
registerEnumType(APIKeyStatus, { name: "APIKeyStatus" });

/** REVOKED wins over EXPIRED, EXPIRED over DEACTIVATED: the strongest reason a key is refused. */
export function apiKeyStatus(key: { state: APIKeyState; expiresAt: Date | null }, now: number = Date.now()): APIKeyStatus {
  if (key.state === APIKeyState.REVOKED) return APIKeyStatus.REVOKED;
  if (key.expiresAt !== null && key.expiresAt.getTime() <= now) return APIKeyStatus.EXPIRED;
  return key.state === APIKeyState.DEACTIVATED ? APIKeyStatus.DEACTIVATED : APIKeyStatus.ACTIVE;
}

@ObjectType("APIKeyRateLimit", {
  simpleResolvers: true,
  description: "At most `limit` requests per `windowSeconds`, counted across every process.",
})
export class ApiKeyRateLimit {
  @Field(() => Int)
  limit: number;

  @Field(() => Int)
  windowSeconds: number;
}

@Entity({ name: "api_keys" })
@ObjectType("APIKey", { implements: Node, simpleResolvers: true })
export class ApiKey extends NodeRow("APIKey", TenantScoped) implements Node {
  @Field()
  @Column({ type: "text" })
  name: string;

  @Field(() => String, { nullable: true })
  @Column({ type: "text", nullable: true })
  description: string | null;

  @Field(() => APIKeyRole)
  @Column({ type: "enum", enum: APIKeyRole, enumName: "api_key_role" })
  role: APIKeyRole;

  @Column({ type: "enum", enum: APIKeyState, enumName: "api_key_state", default: APIKeyState.ACTIVE })
  state: APIKeyState;

  /** A RESTRICTED key's own permissions; null for the other roles, whose permissions come from the role. */
  @Column({ name: "permissions", type: "text", array: true, nullable: true })
  grantedPermissions: string[] | null;

  @Field(() => [String], { description: "What the key may do: its role's permissions, or a RESTRICTED key's own list." })
  get permissions(): readonly string[] {
    return apiKeyPermissions(this.role, this.grantedPermissions);
  }

  @Field(() => [String], { description: "Client addresses and CIDR ranges the key is accepted from; empty means any." })
  @Column({ name: "allowed_ips", type: "text", array: true, default: () => "'{}'" })
  allowedIps: string[];

  @Column({ name: "rate_limit_limit", type: "integer", nullable: true })
  rateLimitLimit: number | null;

  @Column({ name: "rate_limit_window_seconds", type: "integer", nullable: true })
  rateLimitWindowSeconds: number | null;

  @Field(() => ApiKeyRateLimit, { nullable: true, description: "null means no limit." })
  get rateLimit(): ApiKeyRateLimit | null {
    if (this.rateLimitLimit === null || this.rateLimitWindowSeconds === null) return null;
    return Object.assign(new ApiKeyRateLimit(), { limit: this.rateLimitLimit, windowSeconds: this.rateLimitWindowSeconds });
  }

  /** `json`, not `jsonb`: returned exactly as given, key order included. */
  @Field(() => GraphQLJSONObject, {
    nullable: true,
    description: `Yours to set (≤ ${formatBytes(METADATA_MAX_BYTES)} as JSON), returned as given; Keyway never reads it.`,
  })
  @Column({ type: "json", nullable: true })
  metadata: Record<string, any> | null; // eslint-disable-line @typescript-eslint/no-explicit-any -- any JSON object the client chooses; Keyway never reads into it

  @Field(() => APIKeyStatus)
  get status(): APIKeyStatus {
    return apiKeyStatus(this);
  }

  /**
   * SHA-256 of the full key; the plaintext is never stored. Written at creation, read only by authentication's
   * own SQL: entities are loaded without it (select: false), which spares every list row its bytea parsing
   * (2 % of a 20-key page's CPU).
   */
  @Index({ unique: true })
  @Column({ name: "key_hash", type: "bytea", select: false })
  keyHash: Buffer;

  /** Plaintext, set only on the instance returned by create and rotate. */
  @Field(() => String, { nullable: true, description: "The secret key. Returned once, by createSecretAPIKey and rotateAPIKey." })
  key: string | null = null;

  @Field({ description: "The first 12 characters of the key, safe to show." })
  @Column({ type: "text" })
  prefix: string;

  @Column({ type: "text" })
  last4: string;

  @Field({ description: "prefix…last4, for lists." })
  get redactedKey(): string {
    return `${this.prefix}…${this.last4}`;
  }

  @Field()
  @UpdateDateColumn({ name: "updated_at", type: "timestamptz" })
  updatedAt: Date;

  @Field(() => Date, { nullable: true, description: "null means the key never expires." })
  @Column({ name: "expires_at", type: "timestamptz", nullable: true })
  expiresAt: Date | null;

  @Field(() => Date, { nullable: true, description: "null means never used. May lag by up to a second." })
  @Column({ name: "last_used_at", type: "timestamptz", nullable: true })
  lastUsedAt: Date | null;

  @Field(() => Int)
  @Column({ name: "usage_count", type: "bigint", default: 0, transformer: bigintAsNumber })
  usageCount: number;

  @Field(() => Date, { nullable: true })
  @Column({ name: "deactivated_at", type: "timestamptz", nullable: true })
  deactivatedAt: Date | null;

  @Field(() => Date, { nullable: true })
  @Column({ name: "revoked_at", type: "timestamptz", nullable: true })
  revokedAt: Date | null;

  /** Deleted keys stay for the audit trail but are gone from lists, node() and authentication. */
  @Column({ name: "deleted_at", type: "timestamptz", nullable: true })
  deletedAt: Date | null;

  @Column({ name: "created_by_type", type: "enum", enum: ActorType, enumName: "actor_type" })
  createdByType: ActorType;

  @Column({ name: "created_by_id", type: "uuid", nullable: true })
  createdById: string | null;

  @Column({ name: "rotated_from_id", type: "uuid", nullable: true })
  rotatedFromId: string | null;

  @Column({ name: "rotated_to_id", type: "uuid", nullable: true })
  rotatedToId: string | null;

  @Column({ name: "expiring_soon_notified_at", type: "timestamptz", nullable: true })
  expiringSoonNotifiedAt: Date | null;

  @Column({ name: "expired_notified_at", type: "timestamptz", nullable: true })
  expiredNotifiedAt: Date | null;
}
