import {
  defaultFieldResolver,
  getNamedType,
  getNullableType,
  GraphQLError,
  GraphQLInputType,
  GraphQLSchema,
  isEnumType,
  isInputObjectType,
  isListType,
  isObjectType,
  isScalarType,
  isUnionType,
  type GraphQLFieldResolver,
} from "graphql";
import { InvalidInputAt } from "./payload.js";

/**
 * Text PostgreSQL cannot store and UTF-8 cannot encode: NUL characters and UTF-16
 * surrogates without their other half. Such input is refused as invalid input before
 * any resolver sees it, for every String, ID and JSON argument or input field of the
 * schema (the walk below is generated from the schema, so new fields are covered).
 */
// eslint-disable-next-line no-control-regex -- matching NUL is what this pattern is for
const MALFORMED = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

const MESSAGE = "Text must not contain NUL characters or unpaired UTF-16 surrogates";

type Path = Array<string | number>;
/** Returns the path of the first malformed string in `value`, or null. */
type Check = (value: unknown, path: Path) => Path | null;

/** Scalars whose coerced values hold no text. */
const TEXTLESS_SCALARS = new Set(["Int", "Float", "Boolean", "DateTime"]);

function checkString(value: unknown, path: Path): Path | null {
  return typeof value === "string" && MALFORMED.test(value) ? path : null;
}

/** JSON-like values (custom scalars): every string and every key. */
function checkDeep(value: unknown, path: Path): Path | null {
  if (typeof value === "string") return checkString(value, path);
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = checkDeep(value[i], [...path, i]);
      if (found) return found;
    }
    return null;
  }
  if (value !== null && typeof value === "object") {
    for (const [key, item] of Object.entries(value)) {
      if (MALFORMED.test(key)) return [...path, key];
      const found = checkDeep(item, [...path, key]);
      if (found) return found;
    }
  }
  return null;
}

/** Checks for one input type, built once per type; null when its values can hold no text. */
function checkerFor(type: GraphQLInputType, known: Map<string, Check | null>): Check | null {
  const nullable = getNullableType(type);
  if (isListType(nullable)) {
    const item = checkerFor(nullable.ofType, known);
    if (!item) return null;
    return (value, path) => {
      if (!Array.isArray(value)) return item(value, path);
      for (let i = 0; i < value.length; i++) {
        const found = item(value[i], [...path, i]);
        if (found) return found;
      }
      return null;
    };
  }
  const named = getNamedType(type);
  if (isEnumType(named)) return null;
  if (isScalarType(named)) {
    if (named.name === "String" || named.name === "ID") return checkString;
    return TEXTLESS_SCALARS.has(named.name) ? null : checkDeep;
  }
  if (!isInputObjectType(named)) return null;
  if (known.has(named.name)) {
    // Built, or being built (a recursive input type): look it up when called.
    return known.get(named.name) === null ? null : (value, path) => known.get(named.name)!(value, path);
  }
  known.set(named.name, (value, path) => known.get(named.name)!(value, path));
  const fields = Object.values(named.getFields()).flatMap((field) => {
    const check = checkerFor(field.type, known);
    return check ? [{ name: field.name, check }] : [];
  });
  const check: Check | null =
    fields.length === 0
      ? null
      : (value, path) => {
          if (value === null || typeof value !== "object") return null;
          for (const { name, check } of fields) {
            const item = (value as Record<string, unknown>)[name];
            if (item === undefined || item === null) continue;
            const found = check(item, [...path, name]);
            if (found) return found;
          }
          return null;
        };
  known.set(named.name, check);
  return check;
}

function badUserInput(path: Path): GraphQLError {
  return new GraphQLError(`${MESSAGE} (argument ${path.join(".")})`, {
    extensions: { code: "BAD_USER_INPUT", argumentPath: path, http: { status: 400 } },
  });
}

/**
 * Wraps the resolver of every field with text-bearing arguments. A mutation whose payload
 * has UserError answers INVALID_INPUT at the field (errorPath `input.…`, mapped by
 * mapMutationErrors, which must wrap this); any other field answers 400 BAD_USER_INPUT.
 */
export function refuseMalformedText(schema: GraphQLSchema): GraphQLSchema {
  const known = new Map<string, Check | null>();
  const mutation = schema.getMutationType();
  for (const type of Object.values(schema.getTypeMap())) {
    if (type.name.startsWith("__") || !isObjectType(type)) continue;
    for (const field of Object.values(type.getFields())) {
      if (field.args.length === 0) continue;
      const checks = field.args.flatMap((arg) => {
        const check = checkerFor(arg.type, known);
        return check ? [{ name: arg.name, check }] : [];
      });
      if (checks.length === 0) continue;
      const payload = getNullableType(field.type);
      const asUserError = type === mutation && isUnionType(payload) && payload.getTypes().some((member) => member.name === "UserError");
      const resolve: GraphQLFieldResolver<unknown, unknown> = field.resolve ?? defaultFieldResolver;
      field.resolve = (source, args, context, info) => {
        for (const { name, check } of checks) {
          const value = (args as Record<string, unknown>)[name];
          const found = value === undefined || value === null ? null : check(value, [name]);
          if (!found) continue;
          if (asUserError && found[0] === "input") throw new InvalidInputAt(MESSAGE, found.map(String));
          throw badUserInput(found);
        }
        return resolve(source, args, context, info);
      };
    }
  }
  return schema;
}
