import { ArrayMaxSize, IsOptional, Length, Max, MaxLength, Min, ValidateNested } from "class-validator";
import { GraphQLJSONObject } from "graphql-scalars";
import { Field, ID, InputType, Int, ObjectType } from "type-graphql";
import { ApiKey, APIKeyStatus } from "../entities/api-key.js";
import { APIKeyRole } from "../entities/enums.js";
import {
  DESCRIPTION_MAX,
  MAX_ALLOWED_IPS,
  MAX_ROTATION_GRACE_SECONDS,
  METADATA_MAX_BYTES,
  NAME_MAX,
  RATE_LIMIT_MAX,
  RATE_LIMIT_WINDOW_MAX_SECONDS,
  SHORT_TEXT_MAX,
} from "../limits.js";
import { Connection } from "./connection.js";
import { payloadUnion } from "./payload.js";

@InputType()
export class APIKeyRateLimitInput {
  @Field(() => Int, { description: `1–${RATE_LIMIT_MAX.toLocaleString("en")} requests…` })
  limit: number;

  @Field(() => Int, { description: `…per 1–${RATE_LIMIT_WINDOW_MAX_SECONDS} seconds.` })
  windowSeconds: number;
}

/** A key's own controls (restricted permissions, allowed IPs, rate limit, metadata), shared by create and update. */
@InputType()
abstract class APIKeyControlsInput {
  @Field(() => [String], {
    nullable: true,
    description: "RESTRICTED keys only (and required for them): the permissions the key holds, each one you hold yourself.",
  })
  permissions?: string[] | null;

  @Field(() => [String], {
    nullable: true,
    description: `Up to ${MAX_ALLOWED_IPS} IPv4/IPv6 addresses or CIDR ranges the key is accepted from; null or empty: any address.`,
  })
  @IsOptional()
  @ArrayMaxSize(MAX_ALLOWED_IPS)
  allowedIps?: string[] | null;

  @Field(() => APIKeyRateLimitInput, { nullable: true, description: "null: no limit." })
  rateLimit?: APIKeyRateLimitInput | null;

  @Field(() => GraphQLJSONObject, { nullable: true, description: `Any JSON object up to ${METADATA_MAX_BYTES} bytes, returned as given.` })
  metadata?: Record<string, any> | null; // eslint-disable-line @typescript-eslint/no-explicit-any -- any JSON object the client chooses; Keyway never reads into it
}

@InputType({ description: "Highnote's secret key shape." })
export class SecretAPIKeyInput extends APIKeyControlsInput {
  @Field({ description: `1–${NAME_MAX} characters, unique among the environment's keys.` })
  @Length(1, NAME_MAX)
  name: string;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @MaxLength(DESCRIPTION_MAX)
  description?: string | null;

  @Field(() => APIKeyRole, { defaultValue: APIKeyRole.READONLY })
  role: APIKeyRole;

  @Field(() => Date, { nullable: true, description: "In the future; null (the default) means the key never expires." })
  expiresAt?: Date | null;
}

@InputType()
export class CreateSecretAPIKeyInput {
  @Field(() => SecretAPIKeyInput)
  @ValidateNested()
  secretKey: SecretAPIKeyInput;
}

@InputType({ description: "Omitted fields stay as they are; null clears expiresAt, allowedIps, rateLimit and metadata." })
export class UpdateAPIKeyInput extends APIKeyControlsInput {
  @Field(() => ID)
  apiKeyId: string;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @Length(1, NAME_MAX)
  name?: string | null;

  @Field(() => String, { nullable: true, description: "null or empty clears it." })
  @IsOptional()
  @MaxLength(DESCRIPTION_MAX)
  description?: string | null;

  @Field(() => Date, { nullable: true, description: "null means Never; omit to leave unchanged." })
  expiresAt?: Date | null;

  @Field(() => APIKeyRole, { nullable: true })
  role?: APIKeyRole | null;
}

@InputType({ description: "Names one API key." })
export class APIKeyIdInput {
  @Field(() => ID)
  apiKeyId: string;
}

@InputType()
export class ActivateAPIKeyInput extends APIKeyIdInput {}
@InputType()
export class DeactivateAPIKeyInput extends APIKeyIdInput {}
@InputType()
export class RevokeAPIKeyInput extends APIKeyIdInput {}
@InputType()
export class DeleteAPIKeyInput extends APIKeyIdInput {}

@InputType()
export class RotateAPIKeyInput extends APIKeyIdInput {
  @Field(() => Int, {
    defaultValue: 0,
    description: `How long the old key keeps working, 0–${MAX_ROTATION_GRACE_SECONDS} seconds (7 days). 0 expires it at once.`,
  })
  @Min(0)
  @Max(MAX_ROTATION_GRACE_SECONDS)
  expireOldKeyInSeconds: number;
}

@InputType()
export class APIKeyFilterInput {
  @Field(() => String, { nullable: true, description: "Case-insensitive substring of name or description." })
  @IsOptional()
  @MaxLength(SHORT_TEXT_MAX)
  search?: string | null;

  @Field(() => [APIKeyStatus], { nullable: true })
  status?: APIKeyStatus[] | null;

  @Field(() => [APIKeyRole], { nullable: true })
  role?: APIKeyRole[] | null;
}

@ObjectType("APIKeyDailyUsage", { simpleResolvers: true })
export class APIKeyDailyUsage {
  @Field({ description: "YYYY-MM-DD (UTC)." })
  date: string;

  @Field(() => Int)
  requestCount: number;
}

export const APIKeyConnection = Connection("APIKey", ApiKey);
export const APIKeyPayload = payloadUnion("APIKeyPayload", ApiKey);
