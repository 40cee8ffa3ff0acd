import { NAME_MAX } from "../limits.js";
import { InvalidInput } from "./domain-errors.js";

/** The trimmed name (1–NAME_MAX characters), or INVALID_INPUT at `field` when it is blank or too long. */
export function cleanName(raw: string, field = "name"): string {
  const name = raw.trim();
  if (name.length === 0 || name.length > NAME_MAX) throw new InvalidInput(`Name must be 1–${NAME_MAX} characters`, field);
  return name;
}
