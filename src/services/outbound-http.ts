import { lookup as dnsLookup, LookupAddress } from "node:dns";
import http from "node:http";
import https from "node:https";
import type { LookupFunction } from "node:net";
import type { PrivateUrlPolicy } from "../config.js";
import { Environment } from "../entities/enums.js";
import { RESPONSE_BODY_MAX_BYTES } from "../limits.js";
import { classifyAddress, isMetadataHostname } from "./address-ranges.js";
import { UnsafeUrl } from "./domain-errors.js";

export interface OutboundResponse {
  /** null when no HTTP response arrived (timeout, refused, unsafe address). */
  httpStatus: number | null;
  durationMs: number;
  /** At most RESPONSE_BODY_MAX_BYTES (1 KB) of the response body. */
  responseBody: string | null;
  errorMessage: string | null;
  timedOut: boolean;
  /** The response's Retry-After header, as sent. */
  retryAfter?: string | null;
}

/** An HTTP response arrived and its status is 2xx: the only answer that counts as success. */
export function answeredWith2xx(response: OutboundResponse): boolean {
  return response.httpStatus !== null && response.httpStatus >= 200 && response.httpStatus <= 299;
}

/** At most this many checked URLs are kept; the map starts again when full. */
const LITERAL_URLS_KEPT = 10_000;

export type DnsLookup = (hostname: string) => Promise<LookupAddress[]>;

const systemLookup: DnsLookup = (hostname) =>
  new Promise((resolve, reject) => dnsLookup(hostname, { all: true }, (error, addresses) => (error ? reject(error) : resolve(addresses))));

/**
 * Every request Keyway makes to a customer's URL (webhook deliveries, collaborative
 * authorization) goes through here. The URL is checked when it is saved and the
 * resolved address again when the connection is made, so a DNS answer that changes
 * to 127.0.0.1 later is still refused. Redirects are never followed.
 */
export class OutboundHttp {
  /**
   * Keep-alive connections, one pool per environment and scheme. Every new connection
   * goes through the guarded lookup, so a reused one was checked when it was opened;
   * reuse spares a TCP (and TLS) handshake per delivery.
   */
  private readonly agents: Record<Environment, { "http:": http.Agent; "https:": https.Agent }>;
  /**
   * URLs whose host is an IP address, as `assertSafe` passed them, by environment and text. Their verdict cannot
   * change while the process runs (the policy is read at start and no lookup is involved), so a delivery or a
   * decision to the same URL skips parsing and classifying it again. Hostnames are not kept: they are resolved and
   * checked on each call, as their answer may change.
   */
  private readonly literalUrls = new Map<string, URL>();

  constructor(
    private readonly allowPrivate: PrivateUrlPolicy,
    /** Tests resolve names through their own table instead of the network. */
    private readonly resolve: DnsLookup = systemLookup,
  ) {
    const agents = (environment: Environment) => {
      const options = { keepAlive: true, maxSockets: 50, maxFreeSockets: 50, lookup: this.guardedLookup(environment) };
      return { "http:": new http.Agent(options), "https:": new https.Agent(options) };
    };
    this.agents = { [Environment.TEST]: agents(Environment.TEST), [Environment.LIVE]: agents(Environment.LIVE) };
  }

  /** Closes the pooled connections (shutdown). */
  close(): void {
    for (const pair of Object.values(this.agents)) {
      pair["http:"].destroy();
      pair["https:"].destroy();
    }
  }

  /**
   * Public addresses always; private ones (loopback, RFC 1918, …) where KEYWAY_ALLOW_PRIVATE_URLS
   * allows them (TEST by default outside production); metadata and other special-purpose ranges never.
   */
  private addressAllowed(address: string, environment: Environment): boolean {
    const classified = classifyAddress(address);
    if (classified?.class === "public") return true;
    const allowed = this.allowPrivate === "all" || (this.allowPrivate === "test" && environment === Environment.TEST);
    return allowed && classified?.class === "private";
  }

  /** Parses and checks a URL at save time; throws UnsafeUrl (UNSAFE_URL at `field`). */
  async assertSafe(uri: string, environment: Environment, field = "uri"): Promise<URL> {
    let url: URL;
    try {
      url = new URL(uri);
    } catch {
      throw new UnsafeUrl("Not a valid URL", field);
    }
    const schemes = environment === Environment.LIVE ? ["https:"] : ["https:", "http:"];
    if (!schemes.includes(url.protocol)) {
      throw new UnsafeUrl(environment === Environment.LIVE ? "LIVE URLs must use https" : "URLs must use http or https", field);
    }
    if (url.username || url.password) throw new UnsafeUrl("URLs must not contain credentials", field);
    if (isMetadataHostname(url.hostname)) throw new UnsafeUrl(`${url.hostname} is a cloud metadata service`, field);
    // The WHATWG parser has already turned decimal/octal/hex and short IPv4 forms (2130706433, 127.1)
    // into dotted quads and IPv6 into its compact form in brackets.
    const literal = url.hostname.startsWith("[") ? url.hostname.slice(1, -1) : classifyAddress(url.hostname) ? url.hostname : null;
    const addresses = literal !== null ? [literal] : await this.resolveOrRefuse(url.hostname, field);
    for (const address of addresses) {
      if (!this.addressAllowed(address, environment)) {
        throw new UnsafeUrl(`${url.hostname} resolves to ${address}, which is not a public address`, field);
      }
    }
    if (literal !== null) {
      if (this.literalUrls.size >= LITERAL_URLS_KEPT) this.literalUrls.clear();
      this.literalUrls.set(`${environment} ${uri}`, new URL(url.href));
    }
    return url;
  }

  /** `assertSafe` for a send: a URL with an IP address that passed before is not checked again (`literalUrls`). */
  private checkedForSend(uri: string, environment: Environment): Promise<URL> {
    const passed = this.literalUrls.get(`${environment} ${uri}`);
    return passed ? Promise.resolve(passed) : this.assertSafe(uri, environment);
  }

  private async resolveOrRefuse(host: string, field: string): Promise<string[]> {
    try {
      const answers = await this.resolve(host);
      if (answers.length === 0) throw new Error("no addresses");
      return answers.map((answer) => answer.address);
    } catch {
      throw new UnsafeUrl(`${host} does not resolve`, field);
    }
  }

  /** A lookup for net.connect that refuses addresses the environment may not reach. */
  private guardedLookup(environment: Environment): LookupFunction {
    return (hostname, options, callback) => {
      this.resolve(hostname).then(
        (answers) => {
          const bad = answers.find((answer) => !this.addressAllowed(answer.address, environment));
          if (bad || answers.length === 0) {
            callback(new Error(`refused to connect: ${hostname} resolves to ${bad?.address ?? "nothing"}`), "", 4);
            return;
          }
          if ((options as { all?: boolean }).all) (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, answers);
          else callback(null, answers[0].address, answers[0].family);
        },
        (error: Error) => callback(error as NodeJS.ErrnoException, "", 4),
      );
    };
  }

  /**
   * POSTs a JSON body; never throws for network or HTTP failures, it reports them.
   * `timeoutMs` bounds the whole call, name resolution included, so a caller with a
   * deadline (collaborative authorization) gets an answer in time whatever DNS does.
   */
  async postJson(
    uri: string,
    environment: Environment,
    body: string,
    headers: Record<string, string>,
    timeoutMs: number,
  ): Promise<OutboundResponse> {
    const started = performance.now();
    const done = (partial: Partial<OutboundResponse>): OutboundResponse => ({
      httpStatus: null,
      responseBody: null,
      errorMessage: null,
      timedOut: false,
      ...partial,
      durationMs: Math.round(performance.now() - started),
    });
    return new Promise<OutboundResponse>((resolve) => {
      let settled = false;
      let request: http.ClientRequest | null = null;
      const finish = (result: OutboundResponse) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(result);
      };
      const timer = setTimeout(() => {
        finish(done({ errorMessage: `no response within ${timeoutMs} ms`, timedOut: true }));
        request?.destroy();
      }, timeoutMs);
      this.checkedForSend(uri, environment).then(
        (url) => {
          if (settled) return;
          const transport = url.protocol === "https:" ? https : http;
          request = transport.request(
            url,
            {
              method: "POST",
              headers: {
                "content-type": "application/json",
                "user-agent": "Keyway-Webhooks/1",
                ...headers,
                "content-length": Buffer.byteLength(body),
              },
              agent: this.agents[environment][url.protocol as "http:" | "https:"],
            },
            (response) => {
              const chunks: Buffer[] = [];
              let size = 0;
              response.on("data", (chunk: Buffer) => {
                if (size < RESPONSE_BODY_MAX_BYTES) chunks.push(chunk.subarray(0, RESPONSE_BODY_MAX_BYTES - size));
                size += chunk.length;
              });
              response.on("end", () =>
                finish(
                  done({
                    httpStatus: response.statusCode ?? null,
                    responseBody: Buffer.concat(chunks).toString("utf8"),
                    retryAfter: response.headers["retry-after"] ?? null,
                  }),
                ),
              );
              response.on("error", (error) =>
                finish(
                  done({
                    httpStatus: response.statusCode ?? null,
                    errorMessage: error.message,
                    responseBody: Buffer.concat(chunks).toString("utf8"),
                  }),
                ),
              );
            },
          );
          request.on("error", (error) => finish(done({ errorMessage: error.message })));
          request.end(body);
        },
        (error: Error) => finish(done({ errorMessage: error.message })),
      );
    });
  }
}
