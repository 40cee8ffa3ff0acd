import "reflect-metadata";
import { lookup } from "node:dns/promises";
import { createServer, Server } from "node:http";
import type { AddressInfo } from "node:net";
import { APIKeyRole, Environment } from "../src/entities/enums";
import { OutboundHttp } from "../src/services/outbound-http";
import { waitFor } from "./helpers/wait";
import { bearer, startTestServer, TestServer } from "./helpers/server";

/**
 * An SSRF address corpus: ways of spelling loopback, private, link-local, metadata
 * and other special-purpose addresses in a URL, refused when a target or endpoint
 * is added (LIVE; TEST under KEYWAY_ALLOW_PRIVATE_URLS=none; metadata everywhere)
 * and again when the connection is made, watched by a canary: a real HTTP server
 * on the loopback port every loopback form names, which must see no connection.
 */

/** A canary listening on every loopback address (IPv4 and IPv6) of one port; counts connections, not requests. */
class Canary {
  connections = 0;
  private server!: Server;
  port = 0;

  static async start(): Promise<Canary> {
    const canary = new Canary();
    canary.server = createServer((_req, res) => res.end("ok"));
    canary.server.on("connection", () => canary.connections++);
    await new Promise<void>((resolve) => canary.server.listen(0, "::", resolve));
    canary.port = (canary.server.address() as AddressInfo).port;
    return canary;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

/** Names the test DNS answers (never the network); "localhost" forms go to the system resolver. */
const DNS: Record<string, string[]> = {
  "good.example.com": ["93.184.216.34"],
  "loopback.example.test": ["127.0.0.1"],
  "loopback6.example.test": ["::1"],
  "mapped.example.test": ["::ffff:127.0.0.1"],
  "compatible.example.test": ["::127.0.0.1"],
  "unspecified.example.test": ["0.0.0.0"],
  "private.example.test": ["10.0.0.1"],
  "imds.example.test": ["169.254.169.254"],
  "imds6.example.test": ["fd00:ec2::254"],
  "alibaba.example.test": ["100.100.100.200"],
  "one-bad-answer.example.test": ["93.184.216.34", "127.0.0.1"],
};
/** Per name, answers that change after the first lookup (DNS rebinding). */
const rebinding = new Map<string, string>();
const lookups = new Map<string, number>();

async function testDns(hostname: string) {
  const name = hostname.toLowerCase().replace(/\.+$/, "");
  const count = (lookups.get(name) ?? 0) + 1;
  lookups.set(name, count);
  const later = rebinding.get(name);
  const answers = later && count > 1 ? [later] : DNS[name];
  if (answers) return answers.map((address) => ({ address, family: address.includes(":") ? 6 : 4 }));
  if (name === "localhost" || name.endsWith(".localhost")) return lookup(name, { all: true });
  throw Object.assign(new Error(`ENOTFOUND ${hostname}`), { code: "ENOTFOUND" });
}

// A table laid out by hand, one line per kind of spelling.
// prettier-ignore
/** Hosts as they appear in a URL (before the port); LOOPBACK ones reach the canary when the port is its. */
const LOOPBACK_HOSTS = [
  "127.0.0.1", "127.1", "127.0.1", "127.000.000.001", "127.0.0.1.", "127.255.255.254", "127.1.2.3",
  "2130706433", "0x7f000001", "0x7F000001", "0x7f.0x0.0x0.0x1", "0x7f.1", "0177.0.0.1", "0177.1", "017700000001", "0000177.0.0.01",
  "１２７.０.０.１", "127。0。0。1", "%31%32%37.0.0.1", "127.0.0.1%2e",
  "[::1]", "[0:0:0:0:0:0:0:1]", "[0000::0001]", "[::ffff:127.0.0.1]", "[::ffff:7f00:1]", "[0:0:0:0:0:ffff:127.0.0.1]",
  "[::127.0.0.1]", "[::7f00:1]", "[::ffff:0:127.0.0.1]", "[64:ff9b::127.0.0.1]", "[64:ff9b::7f00:1]", "[2002:7f00:1::]", "[2002:7f00:1::1]",
  "[::1%25lo]", "[::ffff:127.0.0.1%25eth0]",
  "0.0.0.0", "0", "0x0", "00000000", "[::]", "[0:0:0:0:0:0:0:0]", "[::ffff:0.0.0.0]",
  "localhost", "localhost.", "LOCALHOST", "LocalHost.", "sub.localhost",
  "loopback.example.test", "loopback.example.test.", "LOOPBACK.example.test", "loopback6.example.test", "mapped.example.test",
  "compatible.example.test", "unspecified.example.test", "one-bad-answer.example.test",
  "good.example.com@127.0.0.1", "user:pass@127.0.0.1", "good.example.com:443@127.0.0.1", "@127.0.0.1", "a@b@127.0.0.1",
  "127.0.0.1#@good.example.com", "127.0.0.1?@good.example.com", "127.0.0.1\\@good.example.com",
];

// A table laid out by hand, one line per kind of spelling.
// prettier-ignore
const ELSEWHERE_HOSTS = [
  // Cloud metadata, in many spellings.
  "169.254.169.254", "2852039166", "0xa9fea9fe", "0251.0376.0251.0376", "169.254.43518", "0xa9.0xfe.0xa9.0xfe", "0251.254.169.254",
  "[::ffff:169.254.169.254]", "[::ffff:a9fe:a9fe]", "[::169.254.169.254]", "[64:ff9b::169.254.169.254]", "[2002:a9fe:a9fe::]",
  "[fd00:ec2::254]", "[fd00:ec2:0::254]", "[FD00:EC2::254]", "[fd00:ec2:0:0:0:0:0:254]",
  "100.100.100.200", "1684301000", "0x646464c8", "[::ffff:100.100.100.200]", "[64:ff9b::100.100.100.200]",
  "168.63.129.16", "[::ffff:168.63.129.16]", "192.0.0.192", "169.254.170.2",
  "metadata.google.internal", "metadata.google.internal.", "METADATA.GOOGLE.INTERNAL", "metadata.goog", "metadata", "instance-data",
  "imds.example.test", "imds6.example.test", "alibaba.example.test",
  // Private networks.
  "10.0.0.1", "10.1", "167772161", "012.0.0.1", "172.16.0.1", "172.31.255.254", "192.168.0.1", "192.168.1", "3232235521", "100.64.0.1",
  "[fc00::1]", "[fd12:3456::1]", "[::ffff:10.0.0.1]", "[::ffff:192.168.0.1]", "[::10.0.0.1]", "private.example.test",
  // Other special-purpose ranges.
  "169.254.1.1", "[fe80::1]", "[fe80::a9fe:a9fe]", "[fe80::1%25eth0]", "224.0.0.1", "239.255.255.250", "255.255.255.255", "240.0.0.1",
  "192.0.2.1", "198.18.0.1", "198.19.255.254", "198.51.100.1", "203.0.113.1", "192.88.99.1",
  "[ff02::1]", "[2001:db8::1]", "[2001::1]", "[2001:2::1]", "[100::1]", "[fec0::1]", "[3fff::1]", "[::2]", "[4000::1]", "[5f00::1]",
  "[64:ff9b:1::1]",
  // Not URLs at all.
  "", "[", "[::1", "127.0.0.1:99999", "[::ffff:0x7f.1]",
];

/** Bounded, with room for a busy machine (each corpus pass takes about 5 s on two idle cores). */
const TIME_LIMIT_MS = 120_000;

const METADATA_HOSTS = ELSEWHERE_HOSTS.slice(0, ELSEWHERE_HOSTS.indexOf("10.0.0.1"));

let canary: Canary;
let server: TestServer;
let strict: TestServer;
let liveKey: string;
const figures = { forms: new Set<string>(), addTime: 0, connectTime: 0 };

beforeAll(async () => {
  canary = await Canary.start();
  const env = {
    KEYWAY_WEBHOOK_ACTIVATION_TIMEOUT_MS: "2000",
    KEYWAY_DELIVERY_TIMEOUT_MS: "2000",
    KEYWAY_MAX_TARGETS_PER_ENVIRONMENT: "1000",
  };
  server = await startTestServer(env, { dnsLookup: testDns });
  strict = await startTestServer({ ...env, KEYWAY_ALLOW_PRIVATE_URLS: "none" }, { dnsLookup: testDns });
  liveKey = await server.issueKey(APIKeyRole.ADMIN, Environment.LIVE);
});
afterAll(async () => {
  process.stdout.write(
    `probe-ssrf: ${figures.forms.size} SSRF forms, ${figures.addTime} refused at add time, ${figures.connectTime} refused at connect time, canary connections ${canary?.connections}\n`,
  );
  await server?.stop();
  await strict?.stop();
  await canary?.stop();
});

function urls(scheme: string, hosts: string[]): string[] {
  return hosts.flatMap((host) => [`${scheme}://${host}:${canary.port}/hook`, `${scheme}://${host}/hook`]);
}

const ADD_TARGET = `mutation($i: AddWebhookNotificationTargetInput!) { addWebhookNotificationTarget(input: $i) { __typename ... on UserError { errors { code errorPath } } } }`;
const ADD_ENDPOINT = `mutation($i: AddCollaborativeAuthorizationEndpointInput!) { addCollaborativeAuthorizationEndpoint(input: $i) { __typename ... on UserError { errors { code errorPath } } } }`;

/** Adds a target and an endpoint with `uri`; returns what each answered. */
async function add(on: TestServer, key: string, uri: string): Promise<string[]> {
  const target = await on.post(ADD_TARGET, { i: { name: "ssrf", uri, subscriptions: ["API_KEY_CREATED"] } }, bearer(key));
  const endpoint = await on.post(ADD_ENDPOINT, { i: { name: "ssrf", uri } }, bearer(key));
  return [target, endpoint].map((result) => {
    const payload = result.body.data?.addWebhookNotificationTarget ?? result.body.data?.addCollaborativeAuthorizationEndpoint;
    const error = payload?.errors?.[0];
    return payload?.__typename === "UserError" && error.code === "UNSAFE_URL" && error.errorPath.join(".") === "input.uri"
      ? "UNSAFE_URL"
      : `${result.status} ${JSON.stringify(result.body)}`;
  });
}

async function inBatches<T, R>(items: T[], run: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = [];
  for (let i = 0; i < items.length; i += 16) results.push(...(await Promise.all(items.slice(i, i + 16).map(run))));
  return results;
}

async function expectAllRefusedAtAdd(on: TestServer, key: string, uris: string[]): Promise<void> {
  uris.forEach((uri) => figures.forms.add(uri));
  const answers = await inBatches(uris, async (uri) => [uri, await add(on, key, uri)] as const);
  figures.addTime += uris.length * 2;
  expect(answers.filter(([, [target, endpoint]]) => target !== "UNSAFE_URL" || endpoint !== "UNSAFE_URL")).toEqual([]);
}

describe("SSRF address forms at add time", () => {
  it("has a corpus of at least 150 forms", () => {
    expect(urls("https", [...LOOPBACK_HOSTS, ...ELSEWHERE_HOSTS]).length).toBeGreaterThanOrEqual(150);
  });

  it(
    "refuses every form in LIVE (targets and endpoints), and stores nothing",
    async () => {
      await expectAllRefusedAtAdd(server, liveKey, urls("https", [...LOOPBACK_HOSTS, ...ELSEWHERE_HOSTS]));
      const left = await server.post(
        `{ organizations { webhookNotificationTargets { totalCount } collaborativeAuthorizationEndpoints { totalCount } } }`,
        {},
        bearer(liveKey),
      );
      expect(left.body.data.organizations[0]).toEqual({
        webhookNotificationTargets: { totalCount: 0 },
        collaborativeAuthorizationEndpoints: { totalCount: 0 },
      });
    },
    TIME_LIMIT_MS,
  );

  it(
    "refuses every form in TEST under KEYWAY_ALLOW_PRIVATE_URLS=none",
    async () => {
      await expectAllRefusedAtAdd(strict, strict.adminKey, urls("http", [...LOOPBACK_HOSTS, ...ELSEWHERE_HOSTS]));
    },
    TIME_LIMIT_MS,
  );

  it(
    "refuses metadata addresses in TEST even where private addresses are allowed (the default test policy)",
    async () => {
      await expectAllRefusedAtAdd(server, server.adminKey, urls("http", METADATA_HOSTS));
    },
    TIME_LIMIT_MS,
  );

  it("let the canary see no connection", () => {
    expect(canary.connections).toBe(0);
  });
});

describe("SSRF at connect time (the resolved address)", () => {
  // A table laid out by hand, one line per kind of spelling.
  // prettier-ignore
  /** What DNS may answer once a URL has been accepted. */
  const LATER_ANSWERS = [
    "127.0.0.1", "127.0.0.2", "::1", "::ffff:127.0.0.1", "::ffff:7f00:1", "::127.0.0.1", "::7f00:1", "64:ff9b::7f00:1", "2002:7f00:1::1",
    "0.0.0.0", "::", "10.0.0.1", "192.168.0.1", "172.16.0.1", "100.64.0.1", "fd12::1", "169.254.169.254", "fd00:ec2::254",
    "100.100.100.200", "168.63.129.16", "192.0.0.192", "169.254.170.2", "fe80::1", "224.0.0.1", "255.255.255.255",
  ];

  /** First lookup (the check before the request) answers a public address, every later one `address`. */
  function flipping(address: string) {
    let calls = 0;
    return async () => {
      calls++;
      const answer = calls === 1 ? "93.184.216.34" : address;
      return [{ address: answer, family: answer.includes(":") ? 6 : 4 }];
    };
  }

  async function post(policy: "none" | "test", environment: Environment, address: string) {
    const outbound = new OutboundHttp(policy, flipping(address));
    try {
      const scheme = environment === Environment.LIVE ? "https" : "http";
      return await outbound.postJson(`${scheme}://flip.example.test:${canary.port}/hook`, environment, "{}", {}, 2000);
    } finally {
      outbound.close();
    }
  }

  it("refuses each answer when the connection is made, in LIVE and in TEST under none", async () => {
    const results = await inBatches(
      LATER_ANSWERS.flatMap(
        (address) =>
          [
            [address, Environment.LIVE, "test"],
            [address, Environment.TEST, "none"],
          ] as const,
      ),
      async ([address, environment, policy]) => [address, environment, (await post(policy, environment, address)).errorMessage] as const,
    );
    figures.connectTime += results.length;
    expect(results.filter(([, , message]) => !/refused to connect/.test(message ?? ""))).toEqual([]);
    expect(canary.connections).toBe(0);
  });

  it("refuses a rebound name on delivery: a LIVE target whose name later resolves to loopback fails activation unheard", async () => {
    const names = ["loopback", "mapped", "compatible", "imds6", "alibaba"].map((kind) => `rebind-${kind}.example.test`);
    const later = ["127.0.0.1", "::ffff:127.0.0.1", "::127.0.0.1", "fd00:ec2::254", "100.100.100.200"];
    names.forEach((name, i) => {
      DNS[name] = ["93.184.216.34"];
      rebinding.set(name, later[i]);
    });
    const added = await Promise.all(
      names.map((name) =>
        server.post(
          `mutation($i: AddWebhookNotificationTargetInput!) { addWebhookNotificationTarget(input: $i) { ... on WebhookNotificationTarget { id } } }`,
          { i: { name, uri: `https://${name}:${canary.port}/hook`, subscriptions: ["API_KEY_CREATED"] } },
          bearer(liveKey),
        ),
      ),
    );
    const ids = added.map((result) => result.body.data.addWebhookNotificationTarget.id as string);
    const messages = await Promise.all(
      ids.map((id) =>
        waitFor(
          async () => {
            const result = await server.post(
              `query($id: ID!) { node(id: $id) { ... on WebhookNotificationTarget { status deliveryAttempts { edges { node { errorMessage } } } } } }`,
              { id },
              bearer(liveKey),
            );
            const node = result.body.data.node;
            return node.status === "ACTIVATION_FAILED" && node.deliveryAttempts.edges[0].node.errorMessage;
          },
          30_000,
          `activation of ${id}`,
        ),
      ),
    );
    figures.connectTime += messages.length;
    expect(messages.filter((message) => !/refused to connect|not a public address/.test(message))).toEqual([]);
    expect(canary.connections).toBe(0);
  });

  it("is watched by a canary that does hear what the policy allows (TEST, private URLs allowed)", async () => {
    const result = await post("test", Environment.TEST, "127.0.0.1");
    expect(result.httpStatus).toBe(200);
    expect(canary.connections).toBeGreaterThan(0);
  });
});
