import { Foundation1763900000000 } from "./1763900000000-foundation.js";
import { SigningKeys1763900000100 } from "./1763900000100-signing-keys.js";
import { Users1763900001000 } from "./1763900001000-users.js";
import { NotificationTargets1763900002000 } from "./1763900002000-notification-targets.js";
import { CollaborativeAuthorization1763900003000 } from "./1763900003000-collaborative-authorization.js";
import { OnePendingInvitation1763900004200 } from "./1763900004200-one-pending-invitation.js";
import { EncryptSecrets1763900005000 } from "./1763900005000-encrypt-secrets.js";
import { ApiKeyControls1763900006000 } from "./1763900006000-api-key-controls.js";
import { TwoFactor1763900007000 } from "./1763900007000-two-factor.js";
import { DeliveryControls1763900008000 } from "./1763900008000-delivery-controls.js";
import { EventPartitions1763900009000 } from "./1763900009000-event-partitions.js";
import { PacedQueue1763900010000 } from "./1763900010000-paced-queue.js";
import { TargetEventsOrder1763900011000 } from "./1763900011000-target-events-order.js";

/** In order. Each capability adds its own file; never edit one that has shipped. */
export const MIGRATIONS = [
  Foundation1763900000000,
  SigningKeys1763900000100,
  Users1763900001000,
  NotificationTargets1763900002000,
  CollaborativeAuthorization1763900003000,
  OnePendingInvitation1763900004200,
  EncryptSecrets1763900005000,
  ApiKeyControls1763900006000,
  TwoFactor1763900007000,
  DeliveryControls1763900008000,
  EventPartitions1763900009000,
  PacedQueue1763900010000,
  TargetEventsOrder1763900011000,
];
