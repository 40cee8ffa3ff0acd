import http from "node:http";
import type { AddressInfo } from "node:net";

export interface ReceivedMessage {
  path: string;
  headers: Record<string, string>;
  body: string;
  json: any;
}

/** How the endpoint answers a message: status and raw body, after an optional delay. */
export type Behaviour = (message: ReceivedMessage) => { status: number; body: string; delayMs?: number };

export const approve: Behaviour = () => ({ status: 200, body: JSON.stringify({ responseCode: "APPROVED" }) });
export const decline: Behaviour = () => ({ status: 200, body: JSON.stringify({ responseCode: "DECLINED" }) });
export const approveHalf: Behaviour = (m) => ({
  status: 200,
  body: JSON.stringify({ responseCode: "APPROVED", authorizedAmount: Math.floor(m.json.transaction.amount / 2) }),
});
export const slow = (delayMs: number): Behaviour => (m) => ({ ...approve(m), delayMs });
export const failWith500: Behaviour = () => ({ status: 500, body: "internal error" });
export const garbage: Behaviour = () => ({ status: 200, body: "<html>not json</html>" });

/**
 * A customer's collaborative-authorization endpoint on 127.0.0.1. Verification
 * requests are answered 200 unless `verification` says otherwise; decision requests
 * follow `decision`. Every message is recorded.
 */
export class DecisionEndpoint {
  readonly received: ReceivedMessage[] = [];
  verification: Behaviour = () => ({ status: 200, body: "ok" });
  decision: Behaviour = approve;
  private readonly server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      let json: any = null;
      try {
        json = JSON.parse(body);
      } catch {
        // recorded as is
      }
      const message: ReceivedMessage = { path: req.url ?? "/", headers: req.headers as Record<string, string>, body, json };
      this.received.push(message);
      const behaviour = json?.type === "COLLABORATIVE_AUTHORIZATION_REQUEST" ? this.decision : this.verification;
      const answer = behaviour(message);
      const send = () => {
        if (res.destroyed) return;
        res.writeHead(answer.status, { "content-type": "application/json" });
        res.end(answer.body);
      };
      if (answer.delayMs) setTimeout(send, answer.delayMs).unref();
      else send();
    });
  });

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
    return this;
  }

  /** A URL of this endpoint; the path tells endpoints sharing this server apart. */
  url(path = "/decide"): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}${path}`;
  }

  /** Messages received on a path, decision requests only unless `all`. */
  messages(path?: string, all = false): ReceivedMessage[] {
    return this.received.filter(
      (m) => (path === undefined || m.path === path) && (all || m.json?.type === "COLLABORATIVE_AUTHORIZATION_REQUEST"),
    );
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
