import { Field, ObjectType, registerEnumType } from "type-graphql";
import { DomainErrorCode } from "../services/domain-errors.js";

/** The codes a client sees are the domain's own (src/services/domain-errors.ts), under the schema's name. */
export const UserErrorCode = DomainErrorCode;
export type UserErrorCode = DomainErrorCode;
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
