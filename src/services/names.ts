import { InvalidInput } from "./domain-errors.js";

/** Names of API keys, notification targets and authorization endpoints: 1–100 characters once trimmed. */
export const NAME_MAX = 100;

/** The trimmed name, or INVALID_INPUT at `field` when it is blank or too long. */
export function cleanName(raw: string, field = "name"): string {
  const name = raw.trim();
  if (name.length === 0 || name.length > NAME_MAX) throw new InvalidInput(`Name must be 1–${NAME_MAX} characters`, field);
  return name;
}
