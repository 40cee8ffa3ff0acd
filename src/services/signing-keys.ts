import { In, IsNull, MoreThan } from "typeorm";
import type { TenantContext } from "../auth/request-context.js";
import { SigningKey } from "../entities/signing-key.js";
import { LimitExceeded } from "./domain-errors.js";
import type { TenantScope } from "./tenant-scope.js";
import type { Transactions } from "./transaction.js";
import { generateSigningSecret } from "./webhook-signature.js";

export const MAX_SIGNING_KEYS = 5;
export const ROTATION_GRACE_MS = 24 * 3_600_000;

/** Signing keys of targets and endpoints (owners). Callers pass the scope of their transaction. */
export class SigningKeyService {
  constructor(private readonly transactions: Transactions) {}

  create(scope: TenantScope, ownerId: string): Promise<SigningKey> {
    return scope.save(scope.create(SigningKey, { ownerId, secret: generateSigningSecret(), expiresAt: null }));
  }

  /** Adds a key and gives the current ones 24 h; at most 5 unexpired keys. */
  async rotate(scope: TenantScope, ownerId: string, now = new Date()): Promise<SigningKey> {
    const valid = await this.validKeys(scope, ownerId, now);
    if (valid.length >= MAX_SIGNING_KEYS) {
      throw new LimitExceeded(`At most ${MAX_SIGNING_KEYS} signing keys may be valid at once; wait for older ones to expire`, ["targetId"]);
    }
    const graceEnd = new Date(now.getTime() + ROTATION_GRACE_MS);
    for (const key of valid) {
      if (key.expiresAt === null || key.expiresAt > graceEnd) {
        key.expiresAt = graceEnd;
        await scope.save(key);
      }
    }
    return this.create(scope, ownerId);
  }

  /** Unexpired keys, newest first: the ones that sign. */
  validKeys(scope: TenantScope, ownerId: string, now = new Date()): Promise<SigningKey[]> {
    return scope.em.find(SigningKey, {
      where: [
        { organizationId: scope.ctx.organizationId, environment: scope.ctx.environment, ownerId, expiresAt: IsNull() },
        { organizationId: scope.ctx.organizationId, environment: scope.ctx.environment, ownerId, expiresAt: MoreThan(now) },
      ],
      order: { createdAt: "DESC" },
    });
  }

  /** Unexpired keys of several owners at once (lists), newest first per owner. */
  async validKeysByOwner(ctx: Pick<TenantContext, "organizationId" | "environment">, ownerIds: readonly string[]): Promise<Map<string, SigningKey[]>> {
    const scope = this.transactions.scope(ctx);
    const now = new Date();
    const keys = await scope.em.find(SigningKey, {
      where: [
        { organizationId: ctx.organizationId, environment: ctx.environment, ownerId: In([...ownerIds]), expiresAt: IsNull() },
        { organizationId: ctx.organizationId, environment: ctx.environment, ownerId: In([...ownerIds]), expiresAt: MoreThan(now) },
      ],
      order: { createdAt: "DESC" },
    });
    const byOwner = new Map<string, SigningKey[]>(ownerIds.map((id) => [id, []]));
    for (const key of keys) byOwner.get(key.ownerId)?.push(key);
    return byOwner;
  }
}
