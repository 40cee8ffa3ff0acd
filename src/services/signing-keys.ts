import { In, IsNull, MoreThan } from "typeorm";
import type { TenantContext } from "../auth/request-context.js";
import type { SecretBox } from "../db/secret-box.js";
import { SigningKey } from "../entities/signing-key.js";
import { LimitExceeded } from "./domain-errors.js";
import type { TenantScope } from "./tenant-scope.js";
import type { Transactions } from "./transaction.js";
import { generateSigningSecret } from "./webhook-signature.js";

export const MAX_SIGNING_KEYS = 5;
export const ROTATION_GRACE_MS = 24 * 3_600_000;

/**
 * Signing keys of targets and endpoints (owners). Callers pass the scope of their transaction.
 * Secrets are stored encrypted; every key this service returns carries its plaintext `secret`
 * (decrypted once per row and process: the box caches it).
 */
export class SigningKeyService {
  constructor(
    private readonly transactions: Transactions,
    private readonly box: SecretBox,
  ) {}

  async create(scope: TenantScope, ownerId: string): Promise<SigningKey> {
    const secret = generateSigningSecret();
    const key = await scope.save(
      scope.create(SigningKey, { ownerId, sealedSecret: this.box.seal(secret, "signing_keys.secret"), expiresAt: null }),
    );
    key.secret = secret;
    return key;
  }

  /** The plaintext of a stored (encrypted) signing secret, for SQL that reads the column itself. */
  open(sealedSecret: string): string {
    return this.box.open(sealedSecret, "signing_keys.secret");
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
  async validKeys(scope: TenantScope, ownerId: string, now = new Date()): Promise<SigningKey[]> {
    const keys = await scope.find(
      SigningKey,
      [
        { ownerId, expiresAt: IsNull() },
        { ownerId, expiresAt: MoreThan(now) },
      ],
      { createdAt: "DESC" },
    );
    return keys.map((key) => this.opened(key));
  }

  /** Unexpired keys of several owners at once (lists), newest first per owner. */
  async validKeysByOwner(
    ctx: Pick<TenantContext, "organizationId" | "environment">,
    ownerIds: readonly string[],
  ): Promise<Map<string, SigningKey[]>> {
    const scope = this.transactions.scope(ctx);
    const now = new Date();
    const keys = await scope.find(
      SigningKey,
      [
        { ownerId: In([...ownerIds]), expiresAt: IsNull() },
        { ownerId: In([...ownerIds]), expiresAt: MoreThan(now) },
      ],
      { createdAt: "DESC" },
    );
    const byOwner = new Map<string, SigningKey[]>(ownerIds.map((id) => [id, []]));
    for (const key of keys) byOwner.get(key.ownerId)?.push(this.opened(key));
    return byOwner;
  }

  private opened(key: SigningKey): SigningKey {
    key.secret = this.open(key.sealedSecret);
    return key;
  }
}
