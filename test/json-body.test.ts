import { request } from "node:http";
import { gzipSync } from "node:zlib";
import { bearer, startTestServer, TestServer } from "./helpers/server";

// POST /graphql reads the plain JSON body itself (src/http/json-body.ts) and leaves every other
// body to body-parser: both must answer alike.
let server: TestServer;

beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server?.stop();
});

/** A raw POST: headers exactly as given, the body written in `parts` (chunked unless content-length is set). */
function rawPost(
  headers: Record<string, string>,
  parts: Buffer[],
): Promise<{ status: number; body: { data?: unknown; errors?: Array<{ message: string }> } }> {
  return new Promise((resolve, reject) => {
    const url = new URL(server.url);
    const req = request({ host: url.hostname, port: url.port, path: url.pathname, method: "POST", headers }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (text += chunk));
      res.on("end", () =>
        resolve({ status: res.statusCode!, body: JSON.parse(text) as { data?: unknown; errors?: Array<{ message: string }> } }),
      );
    });
    req.on("error", reject);
    for (const part of parts) req.write(part);
    req.end();
  });
}

const PING = Buffer.from(JSON.stringify({ query: "{ ping }" }));
const json = (extra: Record<string, string> = {}) => ({ "content-type": "application/json", ...bearer(server.adminKey), ...extra });

describe("GraphQL request bodies", () => {
  it("reads a plain JSON body, also when it arrives in pieces", async () => {
    const whole = await rawPost(json({ "content-length": String(PING.length) }), [PING]);
    expect(whole).toEqual({ status: 200, body: { data: { ping: "pong" } } });
    const pieces = await rawPost(json({ "content-length": String(PING.length) }), [PING.subarray(0, 5), PING.subarray(5)]);
    expect(pieces).toEqual({ status: 200, body: { data: { ping: "pong" } } });
  });

  it("reads a body with a byte order mark, a charset, or a chunked or gzip-compressed body", async () => {
    const bom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), PING]);
    for (const [headers, body] of [
      [json({ "content-length": String(bom.length) }), bom],
      [json({ "content-type": "application/json; charset=utf-8", "content-length": String(PING.length) }), PING],
      [json(), PING],
      [json({ "content-encoding": "gzip" }), gzipSync(PING)],
    ] as const) {
      expect(await rawPost(headers, [body])).toEqual({ status: 200, body: { data: { ping: "pong" } } });
    }
  });

  it("refuses malformed JSON and JSON that is not an object, with 400 and no GraphQL", async () => {
    for (const text of ['{"query": "{ ping }"', '"{ ping }"', "12"]) {
      const body = Buffer.from(text);
      for (const headers of [json({ "content-length": String(body.length) }), json()]) {
        const result = await rawPost(headers, [body]);
        expect(result.status).toBe(400);
        expect(result.body.errors?.[0].message).toBe("Malformed request");
      }
    }
  });

  it("refuses a body over 1 MB, whether it says so in Content-Length or not", async () => {
    const big = Buffer.from(JSON.stringify({ query: "{ ping }", variables: { pad: "x".repeat(1024 * 1024) } }));
    for (const headers of [json({ "content-length": String(big.length) }), json()]) {
      const result = await rawPost(headers, [big]);
      expect(result.status).toBe(413);
      expect(result.body.errors?.[0].message).toMatch(/1 MB/);
    }
  });
});
