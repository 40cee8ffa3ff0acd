import { Arg, Args, Ctx, FieldResolver, Mutation, Resolver } from "type-graphql";
import { Allowed } from "../auth/allowed.js";
import type { Services } from "../services/registry.js";
import type { RequestContext } from "../auth/request-context.js";
import { tenantContext } from "../auth/graphql-edge.js";
import { Organization } from "../entities/organization.js";
import type { OpenedSession } from "../services/sessions.js";
import { ConnectionArgs, toConnection } from "../schema/connection.js";
import { inputId } from "../schema/ids.js";
import {
  AcceptInvitationInput,
  ChangePasswordInput,
  ChangePasswordPayload,
  InviteUserInput,
  LoginInput,
  RemoveUserInput,
  Session,
  SessionPayload,
  SignUpInput,
  UpdateUserRoleInput,
  UserInvitationConnection,
  UserInvitationPayload,
  UserMembershipConnection,
  UserMembershipPayload,
} from "../schema/users.js";

function toSession(opened: OpenedSession, token: string | null = opened.token): Session {
  return Object.assign(new Session(), opened, { token });
}

/** With `useCookie`, the token goes into the HttpOnly cookie (written by the HTTP layer) and not into the answer. */
function deliverSession(ctx: RequestContext, useCookie: boolean | null | undefined, opened: OpenedSession): Session {
  if (!useCookie) return toSession(opened);
  ctx.sessionCookie?.set(opened.token, opened.expiresAt);
  return toSession(opened, null);
}

@Resolver()
export class UserResolver {
  constructor(private readonly services: Services) {}

  @Mutation(() => SessionPayload, {
    description: "Creates an organization and its first user (ADMIN in TEST and LIVE). Needs no credentials.",
  })
  async signUp(@Arg("input") input: SignUpInput, @Ctx() ctx: RequestContext): Promise<typeof SessionPayload> {
    return deliverSession(ctx, input.useCookie, await this.services.users.signUp(ctx, input));
  }

  @Mutation(() => SessionPayload, {
    description:
      "Needs no credentials. With two-factor sign-in on, also `code` (TWO_FACTOR_REQUIRED without it). Failed attempts, wrong codes included, are limited per email and per IP (RATE_LIMITED).",
  })
  async login(@Arg("input") input: LoginInput, @Ctx() ctx: RequestContext): Promise<typeof SessionPayload> {
    return deliverSession(ctx, input.useCookie, await this.services.users.login(ctx, input.email, input.password, input.code));
  }

  @Mutation(() => Boolean, { description: "Ends the calling session everywhere at once; false when the request carries no session." })
  async logout(@Ctx() ctx: RequestContext): Promise<boolean> {
    const ended = await this.services.users.logout(ctx);
    ctx.sessionCookie?.clear();
    return ended;
  }

  @Mutation(() => SessionPayload, { description: "Needs no credentials: the token is the proof. Returns a session of the new member." })
  async acceptInvitation(@Arg("input") input: AcceptInvitationInput, @Ctx() ctx: RequestContext): Promise<typeof SessionPayload> {
    return deliverSession(ctx, input.useCookie, await this.services.users.acceptInvitation(ctx, input.token, input.password, input.name));
  }

  @Allowed("users:write")
  @Mutation(() => UserInvitationPayload, {
    description: "Into the current environment; the payload's `token` is the only time it is shown (valid 7 days).",
  })
  inviteUser(@Arg("input") input: InviteUserInput, @Ctx() ctx: RequestContext): Promise<typeof UserInvitationPayload> {
    return this.services.users.invite(tenantContext(ctx), input.email, input.role);
  }

  @Allowed("users:write")
  @Mutation(() => UserMembershipPayload, { description: "The user's role in the current environment." })
  updateUserRole(@Arg("input") input: UpdateUserRoleInput, @Ctx() ctx: RequestContext): Promise<typeof UserMembershipPayload> {
    return this.services.users.updateRole(tenantContext(ctx), inputId("User", input.userId, "userId"), input.role);
  }

  @Allowed("users:write")
  @Mutation(() => UserMembershipPayload, {
    description: "Removes the user from the current environment (from the organization when it was their last role).",
  })
  removeUser(@Arg("input") input: RemoveUserInput, @Ctx() ctx: RequestContext): Promise<typeof UserMembershipPayload> {
    return this.services.users.remove(tenantContext(ctx), inputId("User", input.userId, "userId"));
  }

  // Every user role holds users:read; API keys get INVALID_STATE (they have no password).
  @Allowed("users:read")
  @Mutation(() => ChangePasswordPayload, { description: "Ends every session of the user and returns a new one." })
  async changePassword(@Arg("input") input: ChangePasswordInput, @Ctx() ctx: RequestContext): Promise<typeof ChangePasswordPayload> {
    return toSession(await this.services.users.changePassword(tenantContext(ctx), input.currentPassword, input.newPassword));
  }
}

@Resolver(() => Organization)
export class OrganizationUsersResolver {
  constructor(private readonly services: Services) {}

  @Allowed("users:read")
  @FieldResolver(() => UserMembershipConnection, { description: "Members of the current environment with their role, newest first." })
  users(@Args() page: ConnectionArgs, @Ctx() ctx: RequestContext) {
    return toConnection(this.services.users.listMemberships(tenantContext(ctx), page));
  }

  @Allowed("users:read")
  @FieldResolver(() => UserInvitationConnection, {
    description: "Invitations into the current environment, pending and accepted, newest first.",
  })
  invitations(@Args() page: ConnectionArgs, @Ctx() ctx: RequestContext) {
    return toConnection(this.services.users.listInvitations(tenantContext(ctx), page));
  }
}
