import type { Logger } from "pino";
import type { DataSource } from "typeorm";
import type { ApiKeyAuthenticator } from "../auth/api-key-authenticator.js";
import type { Authenticator } from "../auth/authenticate.js";
import type { AttemptLimits } from "../auth/attempt-limits.js";
import type { UsageRecorder } from "../auth/usage-recorder.js";
import type { Config } from "../config.js";
import type { SecretBox } from "../db/secret-box.js";
import type { Metrics } from "../metrics.js";
import type { ApiKeyService } from "./api-keys.js";
import type { AuditLogService } from "./audit-log.js";
import type { CollaborativeAuthorizationService } from "./collaborative-authorization.js";
import type { DeliveryService } from "./deliveries.js";
import type { PacedQueue } from "./paced-queue.js";
import type { NotificationEventRecoveryService } from "./event-recovery.js";
import type { NotificationEventService } from "./notification-events.js";
import type { NotificationTargetService } from "./notification-targets.js";
import type { OrganizationService } from "./organizations.js";
import type { OutboundHttp } from "./outbound-http.js";
import type { PasswordHasher } from "./passwords.js";
import type { SessionService } from "./sessions.js";
import type { SharedSecretService } from "./shared-secrets.js";
import type { SigningKeyService } from "./signing-keys.js";
import type { Transactions } from "./transaction.js";
import type { TwoFactorService } from "./two-factor.js";
import type { UserService } from "./users.js";

/** Services, wired once by the composition root (`app.ts`). Resolvers and jobs receive them from there. */
export interface Services {
  config: Config;
  logger: Logger;
  dataSource: DataSource;
  /** Encrypts and decrypts the secrets stored in the database. */
  secretBox: SecretBox;
  transactions: Transactions;
  passwords: PasswordHasher;
  apiKeyAuthenticator: ApiKeyAuthenticator;
  usage: UsageRecorder;
  authenticator: Authenticator;
  organizations: OrganizationService;
  apiKeys: ApiKeyService;
  users: UserService;
  twoFactor: TwoFactorService;
  outboundHttp: OutboundHttp;
  signingKeys: SigningKeyService;
  attemptLimits: AttemptLimits;
  sessions: SessionService;
  sharedSecrets: SharedSecretService;
  auditLog: AuditLogService;
  metrics: Metrics;
  collaborativeAuthorization: CollaborativeAuthorizationService;
  notificationTargets: NotificationTargetService;
  notificationEvents: NotificationEventService;
  deliveries: DeliveryService;
  /** Rate-limited targets' first attempts, queued at their pace (started with the job worker). */
  pacedQueue: PacedQueue;
  eventRecovery: NotificationEventRecoveryService;
}
