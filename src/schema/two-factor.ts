import { Matches } from "class-validator";
import { Field, InputType, ObjectType } from "type-graphql";
import { Organization } from "../entities/organization.js";
import { User } from "../entities/user.js";
import { payloadUnion } from "./payload.js";

/** An authenticator code: six digits. */
export const TOTP_CODE = /^[0-9]{6}$/;
/** An authenticator code, or a recovery code (12 letters and digits in groups of four, dashes optional). */
export const SECOND_FACTOR_CODE = /^([0-9]{6}|[A-Za-z2-7]{4}-?[A-Za-z2-7]{4}-?[A-Za-z2-7]{4})$/;
export const SECOND_FACTOR_CODE_MESSAGE = "code must be a 6-digit authenticator code or a recovery code (xxxx-xxxx-xxxx)";

@ObjectType({ description: "A new TOTP secret, pending until confirmTwoFactor proves the authenticator has it. Shown once." })
export class TwoFactorSetup {
  @Field({ description: "Base32, for typing into an authenticator app." })
  secret: string;

  @Field({ description: "otpauth://totp/<issuer>:<email>?secret=…&issuer=…, for a QR code." })
  otpauthUri: string;
}

@ObjectType({ description: "Two-factor sign-in is on. Each recovery code works once in place of an authenticator code." })
export class TwoFactorRecoveryCodes {
  @Field(() => [String], { description: "Ten codes, shown only this once: store them somewhere safe." })
  recoveryCodes: string[];
}

@InputType()
export class ConfirmTwoFactorInput {
  @Field({ description: "The current 6-digit code of the authenticator set up with enableTwoFactor." })
  @Matches(TOTP_CODE, { message: "code must be 6 digits" })
  code: string;
}

@InputType()
export class DisableTwoFactorInput {
  @Field({ description: "A current authenticator code or an unused recovery code." })
  @Matches(SECOND_FACTOR_CODE, { message: SECOND_FACTOR_CODE_MESSAGE })
  code: string;
}

@InputType()
export class SetOrganizationTwoFactorRequirementInput {
  @Field({ description: "True: members without two-factor sign-in can only set it up until they have." })
  required: boolean;
}

export const TwoFactorSetupPayload = payloadUnion("TwoFactorSetupPayload", TwoFactorSetup);
export const TwoFactorRecoveryCodesPayload = payloadUnion("TwoFactorRecoveryCodesPayload", TwoFactorRecoveryCodes);
export const UserPayload = payloadUnion("UserPayload", User);
export const OrganizationPayload = payloadUnion("OrganizationPayload", Organization);
