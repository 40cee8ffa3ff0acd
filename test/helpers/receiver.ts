import { createServer, IncomingMessage, Server, ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";

export interface ReceivedRequest {
  path: string;
  headers: Record<string, string>;
  body: string;
  /** The body parsed as JSON, or null when it is not JSON. */
  json: any;
  receivedAt: number;
  /** Which TCP connection it came on: 1 for the receiver's first, 2 for its second… */
  connection: number;
  /** The status this receiver answered, or null while it holds the request (or never answered it). */
  answered: number | null;
}

/** An answer: a status with an optional body and headers, sent after an optional delay; or "hang": hold the request open. */
export type Answer = number | { status: number; body?: string; delayMs?: number; headers?: Record<string, string> } | "hang";

/** What to answer a request: an answer, or a function of the request giving one. */
export type Behaviour = Answer | ((request: ReceivedRequest) => Answer);

/**
 * A customer's HTTP endpoint on 127.0.0.1 (a webhook receiver, a collaborative-authorization endpoint): it
 * records every request and answers what the test tells it to. Per path, queued answers are used once each,
 * in order; afterwards `otherwise` answers (default 200).
 */
export class Receiver {
  readonly requests: ReceivedRequest[] = [];
  /** The behaviour once a path's queued answers are used up. */
  otherwise: Behaviour = 200;
  private queued = new Map<string, Behaviour[]>();
  private held: ServerResponse[] = [];
  private connections = new WeakMap<Socket, number>();
  private server!: Server;
  url!: string;

  static async start(): Promise<Receiver> {
    const receiver = new Receiver();
    receiver.server = createServer((req, res) => receiver.handle(req, res));
    let opened = 0;
    receiver.server.on("connection", (socket: Socket) => receiver.connections.set(socket, ++opened));
    await new Promise<void>((resolve) => receiver.server.listen(0, "127.0.0.1", resolve));
    receiver.url = `http://127.0.0.1:${(receiver.server.address() as AddressInfo).port}`;
    return receiver;
  }

  /** A URL of its own for one target or endpoint (`name` with or without its leading slash). */
  target(name: string): string {
    return `${this.url}${pathOf(name)}`;
  }

  /** The next requests to `name` get these answers, in order; afterwards `otherwise`. */
  answer(name: string, ...behaviours: Behaviour[]): void {
    const path = pathOf(name);
    this.queued.set(path, [...(this.queued.get(path) ?? []), ...behaviours]);
  }

  /** The requests received on `name`, oldest first. */
  to(name: string): ReceivedRequest[] {
    const path = pathOf(name);
    return this.requests.filter((request) => request.path === path);
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      const path = req.url ?? "/";
      let json: any = null;
      try {
        json = JSON.parse(body);
      } catch {
        // recorded as it came
      }
      const request: ReceivedRequest = {
        path,
        headers: req.headers as Record<string, string>,
        body,
        json,
        receivedAt: Date.now(),
        connection: this.connections.get(req.socket) ?? 0,
        answered: null,
      };
      this.requests.push(request);
      const behaviour = this.queued.get(path)?.shift() ?? this.otherwise;
      const answer = typeof behaviour === "function" ? behaviour(request) : behaviour;
      if (answer === "hang") {
        this.held.push(res);
        return;
      }
      const {
        status,
        body: text,
        delayMs,
        headers,
      } = typeof answer === "number" ? { status: answer, body: undefined, delayMs: 0, headers: {} } : answer;
      const send = () => {
        if (res.destroyed) return;
        request.answered = status;
        res.writeHead(status, { "content-type": text === undefined ? "text/plain" : "application/json", ...headers });
        res.end(text ?? (status >= 300 ? "receiver says no" : "ok"));
      };
      if (delayMs) {
        this.held.push(res);
        setTimeout(send, delayMs).unref();
      } else send();
    });
  }

  async stop(): Promise<void> {
    for (const res of this.held) res.destroy();
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

function pathOf(name: string): string {
  return name.startsWith("/") ? name : `/${name}`;
}

/** Whether a request is a collaborative-authorization decision request (not an endpoint's verification). */
export function isDecisionRequest(request: ReceivedRequest): boolean {
  return request.json?.type === "COLLABORATIVE_AUTHORIZATION_REQUEST";
}

/** A collaborative-authorization endpoint that answers its verification 200 and approves every decision. */
export async function approvingEndpoint(): Promise<Receiver> {
  const endpoint = await Receiver.start();
  endpoint.otherwise = (request) =>
    isDecisionRequest(request) ? { status: 200, body: JSON.stringify({ responseCode: "APPROVED" }) } : 200;
  return endpoint;
}
