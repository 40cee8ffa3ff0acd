import { Field, ID, Int, ObjectType } from "type-graphql";
import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn, UpdateDateColumn } from "typeorm";
import { encodeId } from "../schema/ids.js";
import { Node } from "../schema/node.js";
import { bigintAsNumber } from "./column-transformers.js";
import { ActorType, APIKeyRole } from "./enums.js";
import { registerEnumType } from "type-graphql";
import { TenantScoped } from "./tenant-scoped.js";

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
export function apiKeyStatus(
  key: { state: APIKeyState; expiresAt: Date | null },
  now: number = Date.now(),
): APIKeyStatus {
  if (key.state === APIKeyState.REVOKED) return APIKeyStatus.REVOKED;
  if (key.expiresAt !== null && key.expiresAt.getTime() <= now) return APIKeyStatus.EXPIRED;
  return key.state === APIKeyState.DEACTIVATED ? APIKeyStatus.DEACTIVATED : APIKeyStatus.ACTIVE;
}

@Entity({ name: "api_keys" })
@ObjectType("APIKey", { implements: Node, simpleResolvers: true })
export class ApiKey extends TenantScoped implements Node {
  @PrimaryGeneratedColumn("uuid")
  id: string;

  @Field(() => ID, { name: "id" })
  get nodeId(): string {
    return encodeId("APIKey", this.id);
  }

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

  @Field(() => APIKeyStatus)
  get status(): APIKeyStatus {
    return apiKeyStatus(this);
  }

  /** SHA-256 of the full key; the plaintext is never stored. */
  @Index({ unique: true })
  @Column({ name: "key_hash", type: "bytea" })
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
  @CreateDateColumn({ name: "created_at", type: "timestamptz" })
  createdAt: Date;

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
