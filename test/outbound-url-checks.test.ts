import "reflect-metadata";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { Environment } from "../src/entities/enums";
import { OutboundHttp } from "../src/services/outbound-http";

// A send to a URL whose host is an IP address reuses the verdict of its first check (OutboundHttp.literalUrls):
// the check is not repeated, and what it allowed in one environment it still refuses in the other.

let receiver: http.Server;
let port: number;
let received = 0;

beforeAll(async () => {
  receiver = http.createServer((req, res) => {
    received++;
    req.resume();
    req.on("end", () => res.end("{}"));
  });
  await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
  port = (receiver.address() as AddressInfo).port;
});
afterAll(async () => {
  receiver.closeAllConnections();
  await new Promise((resolve) => receiver.close(resolve));
});
afterEach(() => jest.restoreAllMocks());

it("checks an address URL on its first send only", async () => {
  const outbound = new OutboundHttp("test");
  const checks = jest.spyOn(outbound, "assertSafe");
  try {
    const url = `http://127.0.0.1:${port}/hook`;
    expect((await outbound.postJson(url, Environment.TEST, "{}", {}, 2000)).httpStatus).toBe(200);
    expect(checks).toHaveBeenCalledTimes(1);
    expect((await outbound.postJson(url, Environment.TEST, "{}", {}, 2000)).httpStatus).toBe(200);
    expect(checks).toHaveBeenCalledTimes(1);
    expect(received).toBe(2);
  } finally {
    outbound.close();
  }
});

it("keeps refusing in LIVE a loopback URL that TEST was allowed to reach", async () => {
  const outbound = new OutboundHttp("test");
  try {
    const url = `https://127.0.0.1:${port}/hook`;
    const inTest = await outbound.postJson(url, Environment.TEST, "{}", {}, 2000);
    expect(inTest.errorMessage ?? "").not.toMatch(/not a public address/);
    const before = received;
    for (let i = 0; i < 2; i++) {
      const inLive = await outbound.postJson(url, Environment.LIVE, "{}", {}, 2000);
      expect(inLive.httpStatus).toBeNull();
      expect(inLive.errorMessage).toMatch(/127\.0\.0\.1 resolves to 127\.0\.0\.1, which is not a public address/);
    }
    expect(received).toBe(before);
  } finally {
    outbound.close();
  }
});

it("checks a refused URL again on every send", async () => {
  const outbound = new OutboundHttp("none");
  const checks = jest.spyOn(outbound, "assertSafe");
  try {
    const url = `http://127.0.0.1:${port}/hook`;
    for (let i = 1; i <= 2; i++) {
      const response = await outbound.postJson(url, Environment.TEST, "{}", {}, 2000);
      expect(response.errorMessage).toMatch(/not a public address/);
      expect(checks).toHaveBeenCalledTimes(i);
    }
  } finally {
    outbound.close();
  }
});

it("checks a hostname URL on every send: its answer may change", async () => {
  const answers = ["93.184.216.34", "127.0.0.1"];
  let lookups = 0;
  const outbound = new OutboundHttp("none", async () => [{ address: answers[Math.min(lookups++, 1)], family: 4 }]);
  const checks = jest.spyOn(outbound, "assertSafe");
  try {
    const url = `http://flip.example.test:${port}/hook`;
    await outbound.postJson(url, Environment.TEST, "{}", {}, 500);
    const second = await outbound.postJson(url, Environment.TEST, "{}", {}, 500);
    expect(second.errorMessage).toMatch(/not a public address/);
    expect(checks).toHaveBeenCalledTimes(2);
  } finally {
    outbound.close();
  }
});
