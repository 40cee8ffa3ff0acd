import { GraphQLError, GraphQLScalarType, Kind } from "graphql";

const ISO_8601 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/;

function parse(value: unknown): Date {
  if (typeof value !== "string" || !ISO_8601.test(value) || Number.isNaN(Date.parse(value))) {
    throw new GraphQLError(`DateTime must be an ISO-8601 string with a time zone, e.g. 2030-01-31T12:00:00Z; got ${JSON.stringify(value)}`);
  }
  return new Date(value);
}

const twoDigits = (n: number) => (n < 10 ? `0${n}` : String(n));

/**
 * `date.toISOString()`, built from the UTC fields for years 1000–9999 (any other date, an invalid one included, goes
 * to toISOString itself, which writes extended years and throws for invalid ones). Saves about 0.5 µs per
 * timestamp: the benchmark's page of 20 keys writes 40 of them.
 */
export function isoString(date: Date): string {
  const year = date.getUTCFullYear();
  if (!(year >= 1000 && year <= 9999)) return date.toISOString();
  const ms = date.getUTCMilliseconds();
  return (
    `${year}-${twoDigits(date.getUTCMonth() + 1)}-${twoDigits(date.getUTCDate())}T${twoDigits(date.getUTCHours())}:` +
    `${twoDigits(date.getUTCMinutes())}:${twoDigits(date.getUTCSeconds())}.${ms < 10 ? `00${ms}` : ms < 100 ? `0${ms}` : ms}Z`
  );
}

/** `scalar DateTime`: ISO-8601 strings out (UTC, milliseconds) and in (any offset). */
export const DateTimeScalar = new GraphQLScalarType({
  name: "DateTime",
  description: "An ISO-8601 date and time, e.g. 2030-01-31T12:00:00.000Z",
  serialize: (value) => {
    if (value instanceof Date) return isoString(value);
    if (typeof value === "string") return new Date(value).toISOString();
    throw new GraphQLError("DateTime cannot represent a non-date value");
  },
  parseValue: parse,
  parseLiteral: (ast) => {
    if (ast.kind !== Kind.STRING) throw new GraphQLError("DateTime must be a string");
    return parse(ast.value);
  },
});
