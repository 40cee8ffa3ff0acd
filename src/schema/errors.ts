import { Field, ObjectType, registerEnumType } from "type-graphql";

export enum UserErrorCode {
  INVALID_INPUT = "INVALID_INPUT",
  NOT_FOUND = "NOT_FOUND",
  ALREADY_EXISTS = "ALREADY_EXISTS",
  INVALID_STATE = "INVALID_STATE",
  LIMIT_EXCEEDED = "LIMIT_EXCEEDED",
  UPGRADE_REQUIRED = "UPGRADE_REQUIRED",
  LAST_ADMIN = "LAST_ADMIN",
  UNSAFE_URL = "UNSAFE_URL",
  INVALID_CREDENTIALS = "INVALID_CREDENTIALS",
  RATE_LIMITED = "RATE_LIMITED",
  NOT_AVAILABLE_IN_LIVE = "NOT_AVAILABLE_IN_LIVE",
  TWO_FACTOR_REQUIRED = "TWO_FACTOR_REQUIRED",
}
registerEnumType(UserErrorCode, { name: "UserErrorCode" });

@ObjectType({ description: "One problem with the input or the state of the system." })
export class FieldUserError {
  @Field(() => UserErrorCode)
  code: UserErrorCode;

  @Field(() => [String], { description: 'Path of the input field at fault, e.g. ["input", "secretKey", "name"]; empty when no field is.' })
  errorPath: string[];

  @Field()
  description: string;
}

@ObjectType({ description: "The mutation was refused; nothing was changed." })
export class UserError {
  @Field(() => [FieldUserError])
  errors: FieldUserError[];
}

@ObjectType({ description: "The actor lacks a permission the mutation needs; nothing was changed." })
export class AccessDeniedError {
  @Field()
  message: string;
}
