import { Foundation1763900000000 } from "./1763900000000-foundation.js";
import { SigningKeys1763900000100 } from "./1763900000100-signing-keys.js";
import { Users1763900001000 } from "./1763900001000-users.js";

/** In order. Each capability adds its own file; never edit one that has shipped. */
export const MIGRATIONS = [
  Foundation1763900000000,
  SigningKeys1763900000100,
  Users1763900001000,
];
