import { randomBytes } from "node:crypto";
import { sha256 } from "../crypto.js";
import { generateSecret, generateURI, verify } from "otplib";
import type { AttemptLimits } from "../auth/attempt-limits.js";
import type { RequestContext, TenantContext } from "../auth/request-context.js";
import type { SecretBox } from "../db/secret-box.js";
import { sql } from "../db/sql.js";
import { ActorType } from "../entities/enums.js";
import { Organization } from "../entities/organization.js";
import { User } from "../entities/user.js";
import { InvalidState, InvalidTwoFactorCode, NotFound } from "./domain-errors.js";
import type { OrganizationService } from "./organizations.js";
import type { Transactions } from "./transaction.js";
import type { UntenantedRows } from "./untenanted-rows.js";

/** RFC 6238 as every authenticator app reads it: SHA-1, 6 digits, 30 s steps. */
const PERIOD_SECONDS = 30;
/** One step either side of now, for the clocks of phones. */
const TOLERANCE_SECONDS = PERIOD_SECONDS;
const SEALED = "two_factor_secrets.secret";
export const RECOVERY_CODE_COUNT = 10;
/** Base32 (RFC 4648) without padding: no 0/1/8/9, so codes copied by hand are not misread. */
const RECOVERY_ALPHABET = "abcdefghijklmnopqrstuvwxyz234567";
const RECOVERY_CODE_CHARS = 12;

/** Milliseconds since the epoch; tests pass a clock of their own to compute codes for chosen instants. */
export type Clock = () => number;

export interface TwoFactorSetup {
  secret: string;
  otpauthUri: string;
}

/** "ab3d-efgh-2jkl" → "ab3defgh2jkl": dashes, spaces and case do not matter. */
function normalizeRecoveryCode(code: string): string {
  return code.replace(/[-\s]/g, "").toLowerCase();
}

/**
 * Recovery codes carry 60 random bits each, so a plain SHA-256 cannot be reversed by guessing, and it
 * lets a login find the code by its hash (one indexed lookup) instead of running a slow, salted hash
 * against every code the user has. Guessing online is bounded by the login attempt limits.
 */
function hashRecoveryCode(code: string): Buffer {
  return sha256(normalizeRecoveryCode(code));
}

function newRecoveryCode(): string {
  const bytes = randomBytes(RECOVERY_CODE_CHARS);
  const chars = Array.from(bytes, (byte) => RECOVERY_ALPHABET[byte % RECOVERY_ALPHABET.length]).join("");
  return chars.match(/.{4}/g)!.join("-");
}

function isTotpCode(code: string): boolean {
  return /^[0-9]{6}$/.test(code);
}

/**
 * Two-factor sign-in with TOTP (RFC 6238): set-up, confirmation with recovery codes, the
 * second check of a login, and the organization's requirement. Each accepted code is spent:
 * a TOTP code by its time step (the last accepted step is stored per user, so the same code,
 * or an older one, is refused even within its 90 s window), a recovery code by its row.
 */
export class TwoFactorService {
  constructor(
    private readonly transactions: Transactions,
    private readonly box: SecretBox,
    private readonly limits: AttemptLimits,
    private readonly organizations: OrganizationService,
    /** The issuer shown by authenticator apps (the dashboard's title). */
    private readonly issuer: string,
    private readonly now: Clock = Date.now,
  ) {}

  /** A new secret, pending until confirmed; calling again replaces a pending one. */
  async enable(ctx: TenantContext): Promise<TwoFactorSetup> {
    const user = await this.sessionUser(ctx);
    if (user.twoFactorEnabled) throw new InvalidState("Two-factor sign-in is already on; disable it first to set up a new authenticator");
    const secret = generateSecret();
    await this.transactions.run(ctx, async (tx) => {
      await tx.untenanted.rows(
        sql`INSERT INTO two_factor_secrets (user_id, secret, last_used_step) VALUES (${user.id}, ${this.box.seal(secret, SEALED)}, NULL)
            ON CONFLICT (user_id) DO UPDATE SET secret = EXCLUDED.secret, last_used_step = NULL, created_at = now()`,
      );
      await tx.audit("user.two_factor_setup", user.nodeId);
    });
    return { secret, otpauthUri: generateURI({ issuer: this.issuer, label: user.email, secret }) };
  }

  /** Proves the authenticator holds the pending secret; turns two-factor sign-in on and returns fresh recovery codes. */
  async confirm(ctx: TenantContext, code: string): Promise<string[]> {
    const user = await this.sessionUser(ctx);
    if (user.twoFactorEnabled) throw new InvalidState("Two-factor sign-in is already on");
    const attempt = await this.limits.reserveLogin(user.email, ctx.ip);
    const codes = Array.from({ length: RECOVERY_CODE_COUNT }, newRecoveryCode);
    await this.transactions.run(ctx, async (tx) => {
      const pending = await this.secretOf(tx.untenanted, user.id);
      if (!pending) throw new InvalidState("Call enableTwoFactor first", "code");
      if (!(await this.spendTotp(tx.untenanted, user.id, pending.secret, pending.lastUsedStep, code))) throw new InvalidTwoFactorCode();
      await tx.untenanted.update(User, { id: user.id }, { twoFactorEnabled: true });
      await tx.untenanted.rows(sql`DELETE FROM two_factor_recovery_codes WHERE user_id = ${user.id}`);
      await tx.untenanted.rows(
        sql`INSERT INTO two_factor_recovery_codes (user_id, code_hash) SELECT ${user.id}, unnest(${codes.map(hashRecoveryCode)}::bytea[])`,
      );
      await tx.audit("user.two_factor_enable", user.nodeId);
    });
    await attempt.succeeded();
    return codes;
  }

  /** Needs a current code (or a recovery code): a stolen session alone cannot turn the second factor off. */
  async disable(ctx: TenantContext, code: string): Promise<User> {
    const user = await this.sessionUser(ctx);
    if (!user.twoFactorEnabled) throw new InvalidState("Two-factor sign-in is not on");
    const organization = await this.organizations.findById(ctx, user.organizationId);
    if (organization?.requireTwoFactor) throw new InvalidState("Your organization requires two-factor sign-in");
    const attempt = await this.limits.reserveLogin(user.email, ctx.ip);
    await this.transactions.run(ctx, async (tx) => {
      if (!(await this.spend(tx.untenanted, user.id, code))) throw new InvalidTwoFactorCode();
      await tx.untenanted.update(User, { id: user.id }, { twoFactorEnabled: false });
      await tx.untenanted.rows(sql`DELETE FROM two_factor_secrets WHERE user_id = ${user.id}`);
      await tx.untenanted.rows(sql`DELETE FROM two_factor_recovery_codes WHERE user_id = ${user.id}`);
      await tx.audit("user.two_factor_disable", user.nodeId);
    });
    await attempt.succeeded();
    return (await this.transactions.untenanted.findOneBy(User, { id: user.id }))!;
  }

  /**
   * The second check of a login: a TOTP code of the user's secret or one of their unused recovery
   * codes, spent if it matches (concurrent logins with one code: one wins). The caller counts failures.
   */
  spendCode(_ctx: RequestContext, userId: string, code: string): Promise<boolean> {
    return this.spend(this.transactions.untenanted, userId, code);
  }

  private spend(rows: UntenantedRows, userId: string, code: string): Promise<boolean> {
    return isTotpCode(code) ? this.spendStoredTotp(rows, userId, code) : this.spendRecoveryCode(rows, userId, code);
  }

  /** Organization-wide: both environments, every member. */
  async setRequirement(ctx: TenantContext, required: boolean): Promise<Organization> {
    const organization = await this.transactions.run(ctx, async (tx) => {
      await tx.untenanted.update(Organization, { id: ctx.organizationId }, { requireTwoFactor: required });
      const saved = await tx.untenanted.findOneByOrFail(Organization, { id: ctx.organizationId });
      await tx.audit(required ? "organization.require_two_factor" : "organization.allow_without_two_factor", saved.nodeId);
      return saved;
    });
    this.organizations.forget(ctx, organization.id);
    return organization;
  }

  private async sessionUser(ctx: TenantContext): Promise<User> {
    if (ctx.actor.type !== ActorType.USER) throw new InvalidState("Two-factor sign-in belongs to dashboard users; log in with a session");
    const user = await this.transactions.untenanted.findOneBy(User, { id: ctx.actor.id, organizationId: ctx.organizationId });
    if (!user) throw new NotFound("User");
    return user;
  }

  private async secretOf(rows: UntenantedRows, userId: string): Promise<{ secret: string; lastUsedStep: number | null } | null> {
    const [stored] = await rows.rows<{ secret: string; last_used_step: string | null }>(
      sql`SELECT secret, last_used_step FROM two_factor_secrets WHERE user_id = ${userId}`,
    );
    if (!stored) return null;
    const step = stored.last_used_step;
    return { secret: this.box.open(stored.secret, SEALED), lastUsedStep: step === null ? null : Number(step) };
  }

  private async spendStoredTotp(rows: UntenantedRows, userId: string, code: string): Promise<boolean> {
    const stored = await this.secretOf(rows, userId);
    return stored !== null && this.spendTotp(rows, userId, stored.secret, stored.lastUsedStep, code);
  }

  /** Accepts a code of the current step or one either side, newer than the last accepted one, and records its step. */
  private async spendTotp(
    rows: UntenantedRows,
    userId: string,
    secret: string,
    lastUsedStep: number | null,
    code: string,
  ): Promise<boolean> {
    if (!isTotpCode(code)) return false;
    const epoch = Math.floor(this.now() / 1000);
    const result = await verify({
      secret,
      token: code,
      epoch,
      period: PERIOD_SECONDS,
      epochTolerance: TOLERANCE_SECONDS,
      ...(lastUsedStep !== null && lastUsedStep >= 0 ? { afterTimeStep: lastUsedStep } : {}),
    }).catch(() => ({ valid: false as const }));
    if (!result.valid) return false;
    const step = Math.floor(epoch / PERIOD_SECONDS) + result.delta;
    // Conditional on the stored step, so two requests racing with one code cannot both pass.
    const [{ spent }] = await rows.rows<{ spent: number }>(
      sql`WITH spent AS (
            UPDATE two_factor_secrets SET last_used_step = ${step}
             WHERE user_id = ${userId} AND (last_used_step IS NULL OR last_used_step < ${step}) RETURNING 1)
          SELECT count(*)::int AS spent FROM spent`,
    );
    return spent === 1;
  }

  private async spendRecoveryCode(rows: UntenantedRows, userId: string, code: string): Promise<boolean> {
    const [{ spent }] = await rows.rows<{ spent: number }>(
      sql`WITH spent AS (
            UPDATE two_factor_recovery_codes SET used_at = now()
             WHERE user_id = ${userId} AND code_hash = ${hashRecoveryCode(code)} AND used_at IS NULL RETURNING 1)
          SELECT count(*)::int AS spent FROM spent`,
    );
    return spent === 1;
  }
}
