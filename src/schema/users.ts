import { IsEmail, IsOptional, Length, Matches, MaxLength } from "class-validator";
import { Field, ID, InputType, Int, ObjectType } from "type-graphql";
import { AuditLogEntry } from "../entities/audit-log-entry.js";
import { UserRole } from "../entities/enums.js";
import { Membership } from "../entities/membership.js";
import { SharedSecret } from "../entities/shared-secret.js";
import { User } from "../entities/user.js";
import { UserInvitation } from "../entities/user-invitation.js";
import { EMAIL_MAX, NAME_MAX, PASSWORD_MAX_BYTES, PASSWORD_MAX_CHARS, PASSWORD_MIN_BYTES, SHORT_TEXT_MAX } from "../limits.js";
import { Connection } from "./connection.js";
import { payloadUnion, publicPayloadUnion } from "./payload.js";
import { SECOND_FACTOR_CODE, SECOND_FACTOR_CODE_MESSAGE } from "./two-factor.js";

@ObjectType({ description: "A dashboard login. Send `token` as `Authorization: Bearer <token>`." })
export class Session {
  @Field(() => String, {
    nullable: true,
    description: "Null when the session was asked for with `useCookie: true`: the token is then only in the HttpOnly cookie.",
  })
  token: string | null;

  @Field({ description: "Absolute end of the session (12 h after login by default), whatever the activity." })
  expiresAt: Date;

  @Field(() => Int, { description: "The session ends after this many seconds without a request." })
  idleTimeoutSeconds: number;

  @Field(() => User)
  user: User;
}

/** The `useCookie` argument of every mutation that opens a session. */
const USE_COOKIE = {
  nullable: true,
  defaultValue: false,
  description:
    "Keep the session token out of JavaScript: the response sets it as an HttpOnly, SameSite=Strict cookie and `Session.token` is null.",
};

@InputType()
export class SignUpInput {
  @Field({ description: `1–${NAME_MAX} characters.` })
  @Length(1, NAME_MAX)
  organizationName: string;

  @Field()
  @IsEmail()
  @MaxLength(EMAIL_MAX)
  email: string;

  @Field({ description: `${PASSWORD_MIN_BYTES}–${PASSWORD_MAX_BYTES} bytes (bcrypt ignores the rest, so longer is refused).` })
  @MaxLength(PASSWORD_MAX_CHARS)
  password: string;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @MaxLength(NAME_MAX)
  name?: string | null;

  @Field(() => Boolean, USE_COOKIE)
  useCookie?: boolean | null;
}

@InputType()
export class LoginInput {
  @Field()
  @MaxLength(EMAIL_MAX)
  email: string;

  @Field()
  @MaxLength(PASSWORD_MAX_CHARS)
  password: string;

  @Field(() => String, {
    nullable: true,
    description: "With two-factor sign-in on: a current authenticator code or an unused recovery code (else TWO_FACTOR_REQUIRED).",
  })
  @IsOptional()
  @Matches(SECOND_FACTOR_CODE, { message: SECOND_FACTOR_CODE_MESSAGE })
  code?: string | null;

  @Field(() => Boolean, USE_COOKIE)
  useCookie?: boolean | null;
}

@InputType()
export class InviteUserInput {
  @Field()
  @IsEmail()
  @MaxLength(EMAIL_MAX)
  email: string;

  @Field(() => UserRole, { description: "At most the inviter's own permissions." })
  role: UserRole;
}

@InputType()
export class AcceptInvitationInput {
  @Field()
  @MaxLength(SHORT_TEXT_MAX)
  token: string;

  @Field(() => String, {
    nullable: true,
    description: `A new user's password (${PASSWORD_MIN_BYTES}–${PASSWORD_MAX_BYTES} bytes); a user who already has an account gives their current one.`,
  })
  @IsOptional()
  @MaxLength(PASSWORD_MAX_CHARS)
  password?: string | null;

  @Field(() => String, { nullable: true, description: "A new user's name." })
  @IsOptional()
  @MaxLength(NAME_MAX)
  name?: string | null;

  @Field(() => Boolean, USE_COOKIE)
  useCookie?: boolean | null;
}

@InputType()
export class UpdateUserRoleInput {
  @Field(() => ID, { description: "usr_…" })
  userId: string;

  @Field(() => UserRole)
  role: UserRole;
}

@InputType()
export class RemoveUserInput {
  @Field(() => ID, { description: "usr_…" })
  userId: string;
}

@InputType()
export class ChangePasswordInput {
  @Field()
  @MaxLength(PASSWORD_MAX_CHARS)
  currentPassword: string;

  @Field({ description: `${PASSWORD_MIN_BYTES}–${PASSWORD_MAX_BYTES} bytes.` })
  @MaxLength(PASSWORD_MAX_CHARS)
  newPassword: string;
}

@InputType()
export class AuditLogFilterInput {
  @Field(() => String, { nullable: true, description: "Exact action, e.g. api_key.revoke." })
  @IsOptional()
  @MaxLength(NAME_MAX)
  action?: string | null;

  @Field(() => ID, { nullable: true, description: "usr_… or key_…" })
  actorId?: string | null;
}

export const SessionPayload = publicPayloadUnion("SessionPayload", Session);
export const ChangePasswordPayload = payloadUnion("ChangePasswordPayload", Session);
export const UserInvitationPayload = payloadUnion("UserInvitationPayload", UserInvitation);
export const UserMembershipPayload = payloadUnion("UserMembershipPayload", Membership);
export const SharedSecretPayload = payloadUnion("SharedSecretPayload", SharedSecret);
export const UserMembershipConnection = Connection("UserMembership", Membership);
export const UserInvitationConnection = Connection("UserInvitation", UserInvitation);
export const AuditLogEntryConnection = Connection("AuditLogEntry", AuditLogEntry);
