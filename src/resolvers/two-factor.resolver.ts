import { Arg, Ctx, Mutation, Resolver } from "type-graphql";
import { Allowed } from "../auth/allowed.js";
import type { Services } from "../services/registry.js";
import type { RequestContext } from "../auth/request-context.js";
import { tenantContext } from "../auth/graphql-edge.js";
import {
  ConfirmTwoFactorInput,
  DisableTwoFactorInput,
  OrganizationPayload,
  SetOrganizationTwoFactorRequirementInput,
  TwoFactorRecoveryCodes,
  TwoFactorRecoveryCodesPayload,
  TwoFactorSetup,
  TwoFactorSetupPayload,
  UserPayload,
} from "../schema/two-factor.js";

/**
 * Two-factor sign-in of the calling dashboard user. Every user role holds users:read, so each
 * user manages their own second factor; API keys are refused with INVALID_STATE (they have no login).
 */
@Resolver()
export class TwoFactorResolver {
  constructor(private readonly services: Services) {}

  @Allowed("users:read")
  @Mutation(() => TwoFactorSetupPayload, {
    description: "A new TOTP secret for the calling user's authenticator; two-factor sign-in starts with confirmTwoFactor. Sessions only.",
  })
  async enableTwoFactor(@Ctx() ctx: RequestContext): Promise<typeof TwoFactorSetupPayload> {
    return Object.assign(new TwoFactorSetup(), await this.services.twoFactor.enable(tenantContext(ctx)));
  }

  @Allowed("users:read")
  @Mutation(() => TwoFactorRecoveryCodesPayload, {
    description: "Turns two-factor sign-in on with a current code; returns ten one-time recovery codes, shown only here.",
  })
  async confirmTwoFactor(
    @Arg("input") input: ConfirmTwoFactorInput,
    @Ctx() ctx: RequestContext,
  ): Promise<typeof TwoFactorRecoveryCodesPayload> {
    const recoveryCodes = await this.services.twoFactor.confirm(tenantContext(ctx), input.code);
    return Object.assign(new TwoFactorRecoveryCodes(), { recoveryCodes });
  }

  @Allowed("users:read")
  @Mutation(() => UserPayload, { description: "Turns two-factor sign-in off with a current code or a recovery code." })
  disableTwoFactor(@Arg("input") input: DisableTwoFactorInput, @Ctx() ctx: RequestContext): Promise<typeof UserPayload> {
    return this.services.twoFactor.disable(tenantContext(ctx), input.code);
  }

  @Allowed("users:write")
  @Mutation(() => OrganizationPayload, {
    description: "Organization-wide (both environments): members without two-factor sign-in can then only set it up.",
  })
  setOrganizationTwoFactorRequirement(
    @Arg("input") input: SetOrganizationTwoFactorRequirementInput,
    @Ctx() ctx: RequestContext,
  ): Promise<typeof OrganizationPayload> {
    return this.services.twoFactor.setRequirement(tenantContext(ctx), input.required);
  }
}
