import { createUnionType } from "type-graphql";
import { ApiKey } from "../entities/api-key.js";
import { User } from "../entities/user.js";

/** Who did something: a dashboard user or an API key. Null where Keyway itself acted. */
export const Actor = createUnionType({
  name: "Actor",
  types: () => [User, ApiKey] as const,
});
