import { Client } from "pg";
import type { Logger } from "pino";

/**
 * A LISTEN connection that survives database restarts. Each (re)connect calls
 * `onReconnect` so a listener can drop whatever it might have missed.
 */
export class ChangeListener {
  private client: Client | null = null;
  private stopped = false;
  private retry: NodeJS.Timeout | null = null;

  constructor(
    private readonly databaseUrl: string,
    private readonly handlers: Record<string, (payload: string | undefined) => void>,
    private readonly onReconnect: () => void,
    private readonly logger: Logger,
  ) {}

  async start(): Promise<void> {
    const client = new Client({ connectionString: this.databaseUrl, application_name: "keyway-listener" });
    client.on("error", (error) => {
      this.logger.warn({ err: error }, "change listener lost its connection");
      this.scheduleReconnect();
    });
    client.on("end", () => this.scheduleReconnect());
    client.on("notification", (message) => this.handlers[message.channel]?.(message.payload));
    await client.connect();
    for (const channel of Object.keys(this.handlers)) await client.query(`LISTEN ${channel}`);
    this.client = client;
  }

  private scheduleReconnect(): void {
    if (this.stopped || this.retry) return;
    this.client = null;
    this.retry = setTimeout(() => void this.reconnect(), 1000);
    this.retry.unref();
  }

  private async reconnect(): Promise<void> {
    this.retry = null;
    try {
      await this.start();
      this.onReconnect();
    } catch (error) {
      this.logger.warn({ err: error }, "change listener reconnect failed");
      this.scheduleReconnect();
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.retry) clearTimeout(this.retry);
    await this.client?.end().catch(() => {});
  }
}
