import { In, IsNull, MoreThan } from "typeorm";
import type { TenantContext } from "../auth/request-context.js";
import type { SecretBox } from "../db/secret-box.js";
import { SigningKey } from "../entities/signing-key.js";
import { MAX_SIGNING_KEYS } from "../limits.js";
import { LimitExceeded } from "./domain-errors.js";
import type { TenantScope } from "./tenant-scope.js";
import type { Transaction, Transactions } from "./transaction.js";
import { generateSigningSecret } from "./webhook-signature.js";

export const ROTATION_GRACE_MS = 24 * 3_600_000;

/**
 * Signing keys of targets and endpoints (owners). Changes join the caller's transaction.
 * Secrets are stored encrypted; every key this service returns carries its plaintext `secret`
 * (decrypted once per row and process: the box caches it).
 */
export class SigningKeyService {
  constructor(
    private readonly transactions: Transactions,
    private readonly box: SecretBox,
  ) {}

  async create(tx: Transaction, ownerId: string): Promise<SigningKey> {
    const { scope } = tx;
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
  async rotate(tx: Transaction, ownerId: string, now = new Date()): Promise<SigningKey> {
    const { scope } = tx;
    const valid = await this.validIn(scope, ownerId, now);
    if (valid.length >= MAX_SIGNING_KEYS) {
      throw new LimitExceeded(`At most ${MAX_SIGNING_KEYS} signing keys may be valid at once; wait for older ones to expire`, "targetId");
    }
    const graceEnd = new Date(now.getTime() + ROTATION_GRACE_MS);
    for (const key of valid) {
      if (key.expiresAt === null || key.expiresAt > graceEnd) {
        key.expiresAt = graceEnd;
        await scope.save(key);
      }
    }
    return this.create(tx, ownerId);
  }

  /** Unexpired keys, newest first: the ones that sign. */
  validKeys(ctx: TenantContext, ownerId: string, now = new Date()): Promise<SigningKey[]> {
    return this.validIn(this.transactions.scope(ctx), ownerId, now);
  }

  private async validIn(scope: TenantScope, ownerId: string, now: Date): Promise<SigningKey[]> {
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
  async validKeysByOwner(ctx: TenantContext, ownerIds: readonly string[]): Promise<Map<string, SigningKey[]>> {
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
