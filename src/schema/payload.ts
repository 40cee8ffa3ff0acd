import { getNamedType, getNullableType, type GraphQLInputType, GraphQLSchema, isInputObjectType, isUnionType } from "graphql";
import { ArgumentValidationError, AuthorizationError, type ClassType, createUnionType } from "type-graphql";
import type { ValidationError } from "class-validator";
import { AccessDenied, DomainError } from "../services/domain-errors.js";
import { AccessDeniedError, FieldUserError, UserError, UserErrorCode } from "./errors.js";

/** `<Entity> | UserError | AccessDeniedError`, Highnote's mutation payload shape. */
export function payloadUnion<T extends ClassType>(name: string, entity: T) {
  return createUnionType({
    name,
    types: () => [entity, UserError, AccessDeniedError] as const,
  });
}

/** Same as payloadUnion, for operations no actor is denied (signUp, login). */
export function publicPayloadUnion<T extends ClassType>(name: string, entity: T) {
  return createUnionType({ name, types: () => [entity, UserError] as const });
}

export function userError(code: UserErrorCode, description: string, path: string[]): UserError {
  const error = Object.assign(new FieldUserError(), { code, description, errorPath: path });
  return Object.assign(new UserError(), { errors: [error] });
}

function validationErrors(errors: ValidationError[], parent: string[]): FieldUserError[] {
  return errors.flatMap((error) => {
    const path = [...parent, error.property];
    const own = Object.values(error.constraints ?? {}).map((description) =>
      Object.assign(new FieldUserError(), { code: UserErrorCode.INVALID_INPUT, errorPath: path, description }),
    );
    return [...own, ...validationErrors(error.children ?? [], path)];
  });
}

/** Malformed input found by the GraphQL layer itself, at a path it already knows (`input` included). */
export class InvalidInputAt extends Error {
  constructor(
    message: string,
    readonly path: string[],
  ) {
    super(message);
  }
}

/**
 * Where a domain error's field sits in the mutation's `input`: a field of the input itself, or of
 * one of its input objects (createAPIKey's `secretKey`). `rateLimit.limit` → input.rateLimit.limit.
 */
export function errorPath(field: string | null, input: GraphQLInputType | undefined): string[] {
  if (field === null) return [];
  const segments = field.split(".");
  const type = input && getNamedType(input);
  const fields = type && isInputObjectType(type) ? type.getFields() : {};
  if (!(segments[0] in fields)) {
    for (const [name, child] of Object.entries(fields)) {
      const nested = getNamedType(child.type);
      if (isInputObjectType(nested) && segments[0] in nested.getFields()) return ["input", name, ...segments];
    }
  }
  return ["input", ...segments];
}

/**
 * The one place that turns refusals into payload members; anything else is rethrown (and masked).
 * `input` is the type of the mutation's `input` argument, where a domain error's field is looked up.
 */
export function toErrorPayload(error: unknown, input?: GraphQLInputType): UserError | AccessDeniedError {
  if (error instanceof AuthorizationError || error instanceof AccessDenied) {
    return Object.assign(new AccessDeniedError(), {
      message: error instanceof AccessDenied ? error.message : "Access denied: the actor lacks the permission this mutation needs",
    });
  }
  if (error instanceof ArgumentValidationError) {
    return Object.assign(new UserError(), {
      // Only the paths and messages: class-validator's raw errors echo the input back.
      errors: validationErrors(error.extensions.validationErrors, ["input"]),
    });
  }
  if (error instanceof DomainError) return userError(error.code, error.message, errorPath(error.field, input));
  if (error instanceof InvalidInputAt) return userError(UserErrorCode.INVALID_INPUT, error.message, error.path);
  throw error;
}

/**
 * Wraps every Mutation field whose type is a payload union, so authorization,
 * validation and domain errors become union members. Runs after buildSchema
 * because @Authorized's middleware sits before any middleware we could add.
 */
export function mapMutationErrors(schema: GraphQLSchema): GraphQLSchema {
  const mutation = schema.getMutationType();
  for (const field of Object.values(mutation?.getFields() ?? {})) {
    const type = getNullableType(field.type);
    if (!isUnionType(type) || !type.getTypes().some((member) => member.name === "UserError")) continue;
    const resolve = field.resolve;
    if (!resolve) continue;
    const input = field.args.find((arg) => arg.name === "input")?.type;
    field.resolve = async (source, args, context, info) => {
      try {
        return await resolve(source, args, context, info);
      } catch (error) {
        return toErrorPayload(error, input);
      }
    };
  }
  return schema;
}
