import { GraphQLError, GraphQLScalarType, Kind } from "graphql";

const ISO_8601 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/;

function parse(value: unknown): Date {
  if (typeof value !== "string" || !ISO_8601.test(value) || Number.isNaN(Date.parse(value))) {
    throw new GraphQLError(`DateTime must be an ISO-8601 string with a time zone, e.g. 2030-01-31T12:00:00Z; got ${JSON.stringify(value)}`);
  }
  return new Date(value);
}

/** `scalar DateTime`: ISO-8601 strings out (UTC, milliseconds) and in (any offset). */
export const DateTimeScalar = new GraphQLScalarType({
  name: "DateTime",
  description: "An ISO-8601 date and time, e.g. 2030-01-31T12:00:00.000Z",
  serialize: (value) => {
    if (value instanceof Date) return value.toISOString();
    if (typeof value === "string") return new Date(value).toISOString();
    throw new GraphQLError("DateTime cannot represent a non-date value");
  },
  parseValue: parse,
  parseLiteral: (ast) => {
    if (ast.kind !== Kind.STRING) throw new GraphQLError("DateTime must be a string");
    return parse(ast.value);
  },
});
