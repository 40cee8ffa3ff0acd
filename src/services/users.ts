import { randomBytes, randomUUID } from "node:crypto";
import { In, IsNull } from "typeorm";
import { sha256 } from "../crypto.js";
import type { AttemptLimits } from "../auth/attempt-limits.js";
import { covers, USER_ROLE_PERMISSIONS } from "../auth/permissions.js";
import { actingAs, type RequestContext, type TenantContext } from "../auth/request-context.js";
import type { Config } from "../config.js";
import { sql } from "../db/sql.js";
import { ActorType, Environment, NotificationEventName, Plan, UserRole } from "../entities/enums.js";
import { Membership } from "../entities/membership.js";
import { User } from "../entities/user.js";
import { UserInvitation } from "../entities/user-invitation.js";
import { PASSWORD_MAX_BYTES } from "../limits.js";
import { paginate, type PageArgs } from "../db/pagination.js";
import { encodeId } from "../db/ids.js";
import {
  AccessDenied,
  AlreadyExists,
  InvalidCredentials,
  InvalidInput,
  InvalidState,
  LastAdmin,
  InvalidTwoFactorCode,
  NotFound,
  TwoFactorRequired,
} from "./domain-errors.js";
import { createOrganizationWithAdmin } from "./organizations.js";
import { assertPasswordStrength, type PasswordHasher } from "./passwords.js";
import type { OpenedSession, SessionService } from "./sessions.js";
import type { Transaction, Transactions } from "./transaction.js";
import type { TwoFactorService } from "./two-factor.js";

export interface SignUp {
  organizationName: string;
  email: string;
  password: string;
  name?: string | null;
}

export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

/** The request `ctx` acting as `user` (audit rows name them) with their role in `membership`'s environment. */
function userContext(ctx: RequestContext, user: User, membership: Pick<Membership, "environment" | "role">): TenantContext {
  return actingAs(ctx, {
    organizationId: user.organizationId,
    environment: membership.environment,
    actor: { type: ActorType.USER, id: user.id, displayName: user.name ?? user.email, role: membership.role, sessionId: null },
    permissions: new Set(USER_ROLE_PERMISSIONS[membership.role]),
  });
}

function membershipEventData(membership: Membership): Record<string, unknown> {
  return {
    object: "user_membership",
    id: membership.nodeId,
    user: { id: membership.user.nodeId, email: membership.user.email, name: membership.user.name },
    role: membership.role,
    environment: membership.environment,
  };
}

/**
 * Dashboard users. Identities (email, password) are organization-wide; roles
 * are per environment (memberships). Emails are unique across the
 * installation, so login needs no organization.
 */
export class UserService {
  private dummyHash: Promise<string> | null = null;

  constructor(
    private readonly config: Config,
    private readonly transactions: Transactions,
    private readonly passwords: PasswordHasher,
    private readonly sessions: SessionService,
    private readonly limits: AttemptLimits,
    private readonly twoFactor: TwoFactorService,
  ) {}

  /** A user who is a member of the caller's environment: identities are organization-wide, visibility is not. */
  async findById(ctx: TenantContext, id: string): Promise<User | null> {
    const membership = await this.transactions
      .scope(ctx)
      .query(Membership, "m")
      .leftJoinAndSelect("m.user", "u")
      .andWhere("m.userId = :id", { id })
      .getOne();
    return membership?.user ?? null;
  }

  async findManyById(ctx: TenantContext, ids: readonly string[]): Promise<Map<string, User>> {
    const users = await this.transactions.untenanted.find(User, { id: In([...ids]), organizationId: ctx.organizationId });
    return new Map(users.map((user) => [user.id, user]));
  }

  findMembership(ctx: TenantContext, id: string): Promise<Membership | null> {
    return this.transactions.scope(ctx).query(Membership, "m").leftJoinAndSelect("m.user", "u").andWhere("m.id = :id", { id }).getOne();
  }

  findInvitation(ctx: TenantContext, id: string): Promise<UserInvitation | null> {
    return this.transactions.scope(ctx).findOne(UserInvitation, { id });
  }

  listMemberships(ctx: TenantContext, args: PageArgs) {
    return paginate(this.transactions.scope(ctx).query(Membership, "m").leftJoinAndSelect("m.user", "u"), args);
  }

  listInvitations(ctx: TenantContext, args: PageArgs) {
    return paginate(this.transactions.scope(ctx).query(UserInvitation, "i"), args);
  }

  /** A new organization (plan from KEYWAY_DEFAULT_PLAN) whose first user is ADMIN in TEST and LIVE. */
  async signUp(ctx: RequestContext, input: SignUp): Promise<OpenedSession> {
    if (!this.config.signupEnabled) throw new InvalidState("Sign-up is disabled on this server");
    const organizationName = input.organizationName.trim();
    if (!organizationName) throw new InvalidInput("Organization name must not be blank", "organizationName");
    assertPasswordStrength(input.password, "password");
    const email = normalizeEmail(input.email);
    const passwordHash = await this.passwords.hash(input.password);

    const organizationId = randomUUID();
    const user = Object.assign(new User(), { id: randomUUID(), organizationId, email, name: input.name?.trim() || null, passwordHash });
    return this.transactions.run(userContext(ctx, user, { environment: Environment.TEST, role: UserRole.ADMIN }), async (tx) => {
      await this.lockEmail(tx, email);
      if (await tx.untenanted.existsBy(User, { email })) throw new AlreadyExists("An account with this email already exists", "email");
      await createOrganizationWithAdmin(tx, { id: organizationId, name: organizationName, plan: Plan[this.config.defaultPlan] }, user);
      const saved = await tx.untenanted.findOneByOrFail(User, { id: user.id });
      const session = await this.sessions.open(tx, saved);
      await tx.audit("user.sign_up", saved.nodeId);
      return session;
    });
  }

  /**
   * Wrong email and wrong password take the same path and about the same time
   * (a bcrypt comparison either way) and give the same INVALID_CREDENTIALS.
   */
  async login(ctx: RequestContext, rawEmail: string, password: string, code?: string | null): Promise<OpenedSession> {
    const email = normalizeEmail(rawEmail);
    // Counted as failed until the password (and the second factor, when on) proves right.
    const attempt = await this.limits.reserveLogin(email, ctx.ip);
    const user = await this.transactions.untenanted.findOneBy(User, { email });
    if (!(await this.passwordMatches(user, password))) throw new InvalidCredentials();
    if (user!.twoFactorEnabled) {
      if (!code) {
        // The password was right: asking for the code is not a failed attempt.
        await attempt.succeeded();
        throw new TwoFactorRequired();
      }
      if (!(await this.twoFactor.spendCode(ctx, user!.id, code))) throw new InvalidTwoFactorCode();
    }
    await attempt.succeeded();
    await this.limits.loginSucceeded(email);
    // Across environments on purpose (the user's own rows): login happens before any tenant is chosen.
    const memberships = await this.transactions.crossTenant.findBy("sign-in: the user's memberships", Membership, { userId: user!.id });
    // Audited in the environment the client asked for, or the user's other one.
    const membership = memberships.find((m) => m.environment === ctx.requestedEnvironment) ?? memberships[0];
    if (!membership) throw new InvalidCredentials();
    return this.transactions.run(userContext(ctx, user!, membership), async (tx) => {
      const session = await this.sessions.open(tx, user!);
      await tx.audit("user.login", user!.nodeId);
      return session;
    });
  }

  /** Ends the calling session. False when the caller has none (an API key, no credentials). */
  async logout(ctx: RequestContext): Promise<boolean> {
    const { principal } = ctx;
    const actor = principal?.actor;
    if (!principal || actor?.type !== ActorType.USER || !actor.sessionId) return false;
    const sessionId = actor.sessionId;
    await this.transactions.run(actingAs(ctx, principal), async (tx) => {
      await this.sessions.revoke(tx, sessionId);
      await tx.audit("user.logout", encodeId("User", actor.id));
    });
    return true;
  }

  /** Ends every session of the user (this one too) and returns a fresh one. */
  async changePassword(ctx: TenantContext, currentPassword: string, newPassword: string): Promise<OpenedSession> {
    const { actor } = ctx;
    if (actor.type !== ActorType.USER) throw new InvalidState("Only a dashboard user has a password; log in with a session");
    const user = await this.findById(ctx, actor.id);
    if (!user) throw new NotFound("User");
    const attempt = await this.limits.reserveLogin(user.email, ctx.ip);
    if (!(await this.passwordMatches(user, currentPassword))) throw new InvalidCredentials();
    await attempt.succeeded();
    assertPasswordStrength(newPassword, "newPassword");
    user.passwordHash = await this.passwords.hash(newPassword);
    return this.transactions.run(ctx, async (tx) => {
      await tx.untenanted.update(User, { id: user.id }, { passwordHash: user.passwordHash });
      await this.sessions.revokeAllOf(tx, user.id);
      const session = await this.sessions.open(tx, user);
      await tx.audit("user.change_password", user.nodeId);
      return session;
    });
  }

  /**
   * Invites into the caller's environment. A new invitation for the same email
   * replaces a pending one (its token stops working): "resend" is inviting again.
   */
  async invite(ctx: TenantContext, rawEmail: string, role: UserRole): Promise<UserInvitation> {
    this.assertMayGrant(ctx, role);
    const email = normalizeEmail(rawEmail);
    return this.transactions.run(ctx, async (tx) => {
      // Invitations of one email into one environment take turns, so the one replaced is gone before
      // the next is written (the database allows one pending invitation per email and environment).
      await tx.lockTenant(`user_invitation:${email}`);
      const existing = await tx.untenanted.findOneBy(User, { email });
      if (existing && existing.organizationId !== ctx.organizationId) {
        throw new AlreadyExists("This email belongs to a user of another organization", "email");
      }
      if (existing && (await tx.scope.count(Membership, { userId: existing.id })) > 0) {
        throw new AlreadyExists(`This user is already a member in ${ctx.environment}`, "email");
      }
      await tx.scope.delete(UserInvitation, { email, acceptedAt: IsNull() });
      const token = `${this.config.keyPrefix}_invite_${randomBytes(24).toString("base64url")}`;
      const invitation = tx.scope.create(UserInvitation, {
        email,
        role,
        tokenHash: sha256(token),
        expiresAt: new Date(Date.now() + this.config.invitationTtlSeconds * 1000),
        acceptedAt: null,
        invitedByType: ctx.actor.type,
        invitedById: ctx.actor.id,
      });
      await tx.scope.insert(UserInvitation, invitation);
      const saved = (await tx.scope.findOne(UserInvitation, { id: invitation.id }))!;
      await tx.audit("user_invitation.create", saved.nodeId);
      await tx.emit(NotificationEventName.USER_INVITED, {
        object: "user_invitation",
        id: saved.nodeId,
        email,
        role,
        environment: saved.environment,
        expiresAt: saved.expiresAt.toISOString(),
      });
      saved.token = token;
      return saved;
    });
  }

  /**
   * The token proves the email; a new user sets a password, an existing one
   * (a member of the organization's other environment) confirms theirs.
   */
  async acceptInvitation(
    ctx: RequestContext,
    token: string,
    password: string | null | undefined,
    name: string | null | undefined,
  ): Promise<OpenedSession> {
    // Guessing tokens counts like guessing passwords.
    const tokenAttempt = await this.limits.reserveLogin(null, ctx.ip);
    // The token names its tenant: this lookup is the one read of invitations outside a TenantScope.
    const found = await this.transactions.crossTenant.findOneBy("invitation by its token", UserInvitation, { tokenHash: sha256(token) });
    if (!found) throw new NotFound("Invitation", "token");
    await tokenAttempt.succeeded();
    const existing = await this.transactions.untenanted.findOneBy(User, { email: found.email });
    let passwordHash: string | null = null;
    if (existing) {
      const attempt = await this.limits.reserveLogin(existing.email, ctx.ip);
      if (!(await this.passwordMatches(existing, password ?? ""))) throw new InvalidCredentials();
      await attempt.succeeded();
    } else {
      if (!password) throw new InvalidInput("A password is required to create the account", "password");
      assertPasswordStrength(password, "password");
      passwordHash = await this.passwords.hash(password);
    }

    const user =
      existing ??
      Object.assign(new User(), {
        id: randomUUID(),
        organizationId: found.organizationId,
        email: found.email,
        name: name?.trim() || null,
        passwordHash: passwordHash!,
      });
    return this.transactions.run(userContext(ctx, user, found), async (tx) => {
      const invitation = await tx.scope.findOneForUpdate(UserInvitation, { id: found.id });
      if (!invitation) throw new NotFound("Invitation", "token");
      if (invitation.acceptedAt) throw new InvalidState("The invitation has already been accepted", "token");
      if (invitation.expiresAt.getTime() <= Date.now()) throw new InvalidState("The invitation has expired; ask for a new one", "token");
      await this.lockEmail(tx, invitation.email);
      const owner = await tx.untenanted.findOneBy(User, { email: invitation.email });
      if (owner && owner.organizationId !== invitation.organizationId) {
        throw new AlreadyExists("This email belongs to a user of another organization", "token");
      }
      if (!owner) await tx.untenanted.insert(User, user);
      const member = owner ?? (await tx.untenanted.findOneByOrFail(User, { id: user.id }));
      if (await tx.scope.count(Membership, { userId: member.id })) {
        throw new AlreadyExists(`Already a member in ${invitation.environment}`, "token");
      }
      const membership = tx.scope.create(Membership, { userId: member.id, role: invitation.role });
      await tx.scope.insert(Membership, membership);
      invitation.acceptedAt = new Date();
      await tx.scope.save(invitation);
      const session = await this.sessions.open(tx, member);
      const saved = (await this.loadMembership(tx, member.id))!;
      await tx.audit("user_invitation.accept", invitation.nodeId);
      await tx.emit(NotificationEventName.USER_JOINED, membershipEventData(saved));
      return session;
    });
  }

  updateRole(ctx: TenantContext, userId: string, role: UserRole): Promise<Membership> {
    this.assertMayGrant(ctx, role);
    return this.changeMembership(ctx, userId, role !== UserRole.ADMIN, async (membership, tx) => {
      membership.role = role;
      await tx.scope.update(Membership, { id: membership.id }, { role });
      await tx.audit("user.update_role", membership.user.nodeId);
      await tx.emit(NotificationEventName.USER_ROLE_UPDATED, membershipEventData(membership));
    });
  }

  /**
   * Removes the user's role in the caller's environment. Without a role anywhere
   * the account is deleted too: its sessions end and the email is free again.
   */
  remove(ctx: TenantContext, userId: string): Promise<Membership> {
    return this.changeMembership(ctx, userId, true, async (membership, tx) => {
      await tx.scope.delete(Membership, { id: membership.id });
      if (!(await tx.crossTenant.existsBy("the user's remaining memberships", Membership, { userId: membership.userId }))) {
        await tx.untenanted.delete(User, { id: membership.userId });
      }
      await tx.audit("user.remove", membership.user.nodeId);
      await tx.emit(NotificationEventName.USER_REMOVED, membershipEventData(membership));
    });
  }

  /**
   * Role changes and removals of one environment take turns (advisory lock),
   * so two concurrent requests cannot both remove "the other" last ADMIN.
   */
  private changeMembership(
    ctx: TenantContext,
    userId: string,
    dropsAdmin: boolean,
    apply: (membership: Membership, tx: Transaction) => Promise<void>,
  ): Promise<Membership> {
    return this.transactions.run(ctx, async (tx) => {
      await tx.lockTenant("memberships");
      const membership = await this.loadMembership(tx, userId);
      if (!membership) throw new NotFound("User", "userId");
      // Nobody changes a member who holds more than they do.
      this.assertMayGrant(ctx, membership.role);
      if (dropsAdmin && membership.role === UserRole.ADMIN && (await tx.scope.count(Membership, { role: UserRole.ADMIN })) <= 1) {
        throw new LastAdmin("userId");
      }
      await apply(membership, tx);
      return membership;
    });
  }

  private loadMembership(tx: Transaction, userId: string): Promise<Membership | null> {
    return tx.scope.query(Membership, "m").leftJoinAndSelect("m.user", "u").andWhere("m.userId = :userId", { userId }).getOne();
  }

  private assertMayGrant(ctx: TenantContext, role: UserRole): void {
    if (!covers(ctx.permissions, USER_ROLE_PERMISSIONS[role])) {
      throw new AccessDenied(`Access denied: the ${role} role holds permissions you do not have`);
    }
  }

  /** Serializes account creation per email, so a race cannot end in a unique-index error. */
  private async lockEmail(tx: Transaction, email: string): Promise<void> {
    await tx.untenanted.rows(sql`SELECT pg_advisory_xact_lock(hashtext(${`user_email:${email}`}))`);
  }

  /** Always one bcrypt comparison, against a throwaway hash when there is no such user. */
  private async passwordMatches(user: User | null, password: string): Promise<boolean> {
    this.dummyHash ??= this.passwords.hash(randomBytes(16).toString("hex"));
    const hash = user?.passwordHash ?? (await this.dummyHash);
    // bcrypt would ignore the bytes past 72 and accept a longer string that starts right.
    const tooLong = Buffer.byteLength(password, "utf8") > PASSWORD_MAX_BYTES;
    const matches = await this.passwords.verify(password, hash);
    return user !== null && matches && !tooLong;
  }
}
