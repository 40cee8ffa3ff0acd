import { decodeId, ID_PREFIXES, type NodeTypeName } from "../db/ids.js";
import { InvalidInput } from "../services/domain-errors.js";

/** Decodes an input id; an id of another type or shape is INVALID_INPUT at the input field `field`. */
export function inputId(type: NodeTypeName, id: string, field: string): string {
  const uuid = decodeId(type, id);
  if (!uuid) throw new InvalidInput(`Not a ${type} id: expected ${ID_PREFIXES[type]}_…`, field);
  return uuid;
}
