import { Foundation1763900000000 } from "./1763900000000-foundation.js";
import { SigningKeys1763900000100 } from "./1763900000100-signing-keys.js";
import { NotificationTargets1763900002000 } from "./1763900002000-notification-targets.js";

/** In order. Each capability adds its own file; never edit one that has shipped. */
export const MIGRATIONS = [Foundation1763900000000, SigningKeys1763900000100,
  NotificationTargets1763900002000];
