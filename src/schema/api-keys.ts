import { IsOptional, Length, Max, MaxLength, Min, ValidateNested } from "class-validator";
import { Field, ID, InputType, Int } from "type-graphql";
import { ApiKey, APIKeyStatus } from "../entities/api-key.js";
import { APIKeyRole } from "../entities/enums.js";
import { MAX_ROTATION_GRACE_SECONDS } from "../services/api-keys.js";
import { Connection } from "./connection.js";
import { payloadUnion } from "./payload.js";

@InputType({ description: "Highnote's secret key shape." })
export class SecretAPIKeyInput {
  @Field({ description: "1–100 characters, unique among the environment's keys." })
  @Length(1, 100)
  name: string;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @MaxLength(500)
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

@InputType()
export class UpdateAPIKeyInput {
  @Field(() => ID)
  apiKeyId: string;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @Length(1, 100)
  name?: string | null;

  @Field(() => String, { nullable: true, description: "null or empty clears it." })
  @IsOptional()
  @MaxLength(500)
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
  @MaxLength(200)
  search?: string | null;

  @Field(() => [APIKeyStatus], { nullable: true })
  status?: APIKeyStatus[] | null;

  @Field(() => [APIKeyRole], { nullable: true })
  role?: APIKeyRole[] | null;
}

export const APIKeyConnection = Connection("APIKey", ApiKey);
export const APIKeyPayload = payloadUnion("APIKeyPayload", ApiKey);
