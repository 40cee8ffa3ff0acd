import { createServer, IncomingMessage, Server, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface ReceivedRequest {
  path: string;
  headers: Record<string, string>;
  body: string;
  json: any;
  receivedAt: number;
  /** The status this receiver answered, or null while it holds the request. */
  answered: number | null;
}

/** What to do with a request: answer a status, or hold it open ("hang"). */
export type Behaviour = number | "hang";

/**
 * A webhook receiver on 127.0.0.1, as a customer would run one: it records every
 * request and answers what the test tells it to (per path, default 200).
 */
export class Receiver {
  readonly requests: ReceivedRequest[] = [];
  private behaviours = new Map<string, Behaviour[]>();
  private held: ServerResponse[] = [];
  private server!: Server;
  url!: string;

  static async start(): Promise<Receiver> {
    const receiver = new Receiver();
    receiver.server = createServer((req, res) => receiver.handle(req, res));
    await new Promise<void>((resolve) => receiver.server.listen(0, "127.0.0.1", resolve));
    receiver.url = `http://127.0.0.1:${(receiver.server.address() as AddressInfo).port}`;
    return receiver;
  }

  /** A URL of its own for one target. */
  target(name: string): string {
    return `${this.url}/${name}`;
  }

  /** The next requests to `/<name>` get these answers, in order; afterwards 200. */
  answer(name: string, ...behaviours: Behaviour[]): void {
    this.behaviours.set(`/${name}`, [...(this.behaviours.get(`/${name}`) ?? []), ...behaviours]);
  }

  to(name: string): ReceivedRequest[] {
    return this.requests.filter((request) => request.path === `/${name}`);
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      const path = req.url ?? "/";
      const request: ReceivedRequest = {
        path,
        headers: req.headers as Record<string, string>,
        body,
        json: JSON.parse(body),
        receivedAt: Date.now(),
        answered: null,
      };
      this.requests.push(request);
      const behaviour = this.behaviours.get(path)?.shift() ?? 200;
      if (behaviour === "hang") {
        this.held.push(res);
        return;
      }
      request.answered = behaviour;
      res.writeHead(behaviour, { "content-type": "text/plain" }).end(behaviour >= 300 ? "receiver says no" : "ok");
    });
  }

  async stop(): Promise<void> {
    for (const res of this.held) res.destroy();
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

/** Polls until `check` returns a value other than undefined/false, or fails after `timeoutMs`. */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value as T;
    } catch (error) {
      // A refused query will not get better by asking again.
      if ((error as { response?: { status?: number } }).response?.status === 400) throw error;
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}${last ? `: ${String(last)}` : ""}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
