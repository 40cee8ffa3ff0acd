import "reflect-metadata";
import { Environment } from "../src/entities/enums";
import { classifyAddress, isMetadataHostname } from "../src/services/address-ranges";
import { OutboundHttp } from "../src/services/outbound-http";

/** One row per range of the IANA special-purpose registries (and what Keyway makes of it). */
const RANGES: Array<[range: string, addresses: string[], expected: string]> = [
  // IPv4
  ["this network 0.0.0.0/8", ["0.0.0.0", "0.1.2.3"], "special"],
  ["private 10.0.0.0/8", ["10.0.0.1", "10.255.255.254"], "private"],
  ["carrier-grade NAT 100.64.0.0/10", ["100.64.0.1", "100.127.255.254"], "private"],
  ["loopback 127.0.0.0/8", ["127.0.0.1", "127.255.255.254"], "private"],
  ["link-local 169.254.0.0/16", ["169.254.0.1", "169.254.255.254"], "special"],
  ["private 172.16.0.0/12", ["172.16.0.1", "172.31.255.254"], "private"],
  ["IETF protocol assignments 192.0.0.0/24", ["192.0.0.8", "192.0.0.170"], "special"],
  ["documentation TEST-NET-1 192.0.2.0/24", ["192.0.2.1"], "special"],
  ["AS112 192.31.196.0/24", ["192.31.196.1"], "special"],
  ["AMT 192.52.193.0/24", ["192.52.193.1"], "special"],
  ["6to4 relay anycast 192.88.99.0/24", ["192.88.99.1"], "special"],
  ["private 192.168.0.0/16", ["192.168.0.1", "192.168.255.254"], "private"],
  ["AS112 192.175.48.0/24", ["192.175.48.1"], "special"],
  ["benchmarking 198.18.0.0/15", ["198.18.0.1", "198.19.255.254"], "special"],
  ["documentation TEST-NET-2 198.51.100.0/24", ["198.51.100.7"], "special"],
  ["documentation TEST-NET-3 203.0.113.0/24", ["203.0.113.9"], "special"],
  ["multicast 224.0.0.0/4", ["224.0.0.1", "239.255.255.250"], "special"],
  ["reserved 240.0.0.0/4", ["240.0.0.1", "255.255.255.254"], "special"],
  ["limited broadcast 255.255.255.255/32", ["255.255.255.255"], "special"],
  ["IPv4 public unicast", ["8.8.8.8", "93.184.216.34", "1.1.1.1", "100.63.255.255", "100.128.0.0", "172.32.0.1", "198.20.0.1"], "public"],
  // IPv6
  ["unspecified ::/128", ["::", "0:0:0:0:0:0:0:0"], "special"],
  ["loopback ::1/128", ["::1", "0:0:0:0:0:0:0:1"], "private"],
  ["IPv4-mapped ::ffff:0:0/96 (classified by the IPv4)", ["::ffff:127.0.0.1", "::ffff:7f00:1", "::ffff:10.0.0.1"], "private"],
  ["IPv4-mapped, public IPv4", ["::ffff:8.8.8.8"], "public"],
  ["IPv4-mapped, special IPv4", ["::ffff:169.254.1.1", "::ffff:0.0.0.0"], "special"],
  ["IPv4-compatible ::/96 (classified by the IPv4)", ["::127.0.0.1", "::7f00:1", "::10.1.2.3", "::192.168.0.1"], "private"],
  ["IPv4-compatible, special IPv4", ["::169.254.1.1", "::0.0.0.2", "::224.0.0.1"], "special"],
  ["IPv4-translated (SIIT) ::ffff:0:0:0/96", ["::ffff:0:127.0.0.1", "::ffff:0:a00:1"], "private"],
  ["NAT64 well-known 64:ff9b::/96 (classified by the IPv4)", ["64:ff9b::127.0.0.1", "64:ff9b::a00:1"], "private"],
  ["NAT64 well-known, public IPv4", ["64:ff9b::8.8.8.8"], "public"],
  ["NAT64 local-use 64:ff9b:1::/48", ["64:ff9b:1::1"], "special"],
  ["discard-only 100::/64", ["100::1"], "special"],
  ["IETF protocol assignments 2001::/23", ["2001:1::1", "2001:1::2", "2001:1ff::1"], "special"],
  ["Teredo 2001::/32", ["2001::1", "2001:0:4136:e378:8000:63bf:3fff:fdd2"], "special"],
  ["benchmarking 2001:2::/48", ["2001:2::1"], "special"],
  ["AMT 2001:3::/32", ["2001:3::1"], "special"],
  ["AS112-v6 2001:4:112::/48 and 2620:4f:8000::/48", ["2001:4:112::1", "2620:4f:8000::1"], "special"],
  ["ORCHID 2001:10::/28 and ORCHIDv2 2001:20::/28", ["2001:10::1", "2001:20::1"], "special"],
  ["drone remote ID 2001:30::/28", ["2001:30::1"], "special"],
  ["documentation 2001:db8::/32 and 3fff::/20", ["2001:db8::1", "3fff::1"], "special"],
  ["6to4 2002::/16 (classified by the IPv4)", ["2002:7f00:1::", "2002:a00:1::1"], "private"],
  ["6to4, special IPv4", ["2002:a9fe:a9fe::"], "metadata"],
  ["6to4, public IPv4", ["2002:808:808::1"], "public"],
  ["segment routing 5f00::/16", ["5f00::1"], "special"],
  ["unique-local fc00::/7", ["fc00::1", "fd12:3456::1"], "private"],
  ["link-local fe80::/10 (zone ids too)", ["fe80::1", "fe80::1%eth0", "febf::1"], "special"],
  ["site-local fec0::/10 (deprecated)", ["fec0::1"], "special"],
  ["multicast ff00::/8", ["ff02::1", "ff05::1:3"], "special"],
  ["outside global unicast 2000::/3", ["4000::1", "1000::1", "e000::1"], "special"],
  ["IPv6 public unicast", ["2606:4700:4700::1111", "2001:4860:4860::8888", "2a00:1450:4001::200e"], "public"],
  // Cloud metadata: refused whatever the policy, even where the range alone would be reachable.
  [
    "AWS, GCP, Azure, Oracle, OpenStack 169.254.169.254",
    ["169.254.169.254", "::ffff:169.254.169.254", "::169.254.169.254", "64:ff9b::a9fe:a9fe"],
    "metadata",
  ],
  ["AWS IMDS IPv6 fd00:ec2::254", ["fd00:ec2::254", "fd00:ec2:0:0:0:0:0:254", "FD00:EC2::254"], "metadata"],
  ["AWS ECS task metadata 169.254.170.2", ["169.254.170.2"], "metadata"],
  ["Azure host services 168.63.129.16", ["168.63.129.16", "::ffff:168.63.129.16"], "metadata"],
  ["Oracle Cloud 192.0.0.192", ["192.0.0.192"], "metadata"],
  ["Alibaba Cloud 100.100.100.200", ["100.100.100.200", "::ffff:100.100.100.200"], "metadata"],
];

describe("address ranges", () => {
  it.each(RANGES)("%s → %s", (_range, addresses, expected) => {
    for (const address of addresses) expect([address, classifyAddress(address)?.class]).toEqual([address, expected]);
  });

  it("reads the IPv4 address an IPv6 one carries", () => {
    expect(classifyAddress("::7f00:1")).toMatchObject({ class: "private", embeddedIPv4: "127.0.0.1" });
    expect(classifyAddress("2002:c000:c0::")).toMatchObject({ class: "metadata", embeddedIPv4: "192.0.0.192" });
  });

  it("is not an address: host names and garbage", () => {
    for (const text of ["example.com", "localhost", "", "1.2.3.4.5", "::g", "[::1]"]) expect(classifyAddress(text)).toBeNull();
  });

  it("knows the metadata services' names, whatever their case and trailing dots", () => {
    for (const name of [
      "metadata.google.internal",
      "METADATA.Google.Internal.",
      "metadata.goog",
      "metadata",
      "instance-data",
      "instance-data.ec2.internal.",
    ]) {
      expect([name, isMetadataHostname(name)]).toEqual([name, true]);
    }
    expect(isMetadataHostname("metadata.example.com")).toBe(false);
  });
});

describe("what each KEYWAY_ALLOW_PRIVATE_URLS policy lets a URL reach", () => {
  const resolve = async (hostname: string) => {
    const table: Record<string, string> = {
      "public.example.com": "93.184.216.34",
      "loopback.example.com": "127.0.0.1",
      "imds.example.com": "fd00:ec2::254",
    };
    if (!table[hostname]) throw new Error(`ENOTFOUND ${hostname}`);
    return [{ address: table[hostname], family: table[hostname].includes(":") ? 6 : 4 }];
  };
  const CASES: Array<[uri: string, none: boolean, testInTest: boolean, all: boolean]> = [
    ["https://public.example.com/", true, true, true],
    ["https://8.8.8.8/", true, true, true],
    ["https://127.0.0.1/", false, true, true],
    ["https://[::127.0.0.1]:8443/", false, true, true],
    ["https://loopback.example.com/", false, true, true],
    ["https://10.0.0.1/", false, true, true],
    ["https://100.64.0.1/", false, true, true],
    ["https://[fd00::1]/", false, true, true],
    ["https://169.254.169.254/", false, false, false],
    ["https://[fd00:ec2::254]/", false, false, false],
    ["https://imds.example.com/", false, false, false],
    ["https://100.100.100.200/", false, false, false],
    ["https://168.63.129.16/", false, false, false],
    ["https://192.0.0.192/", false, false, false],
    ["https://metadata.google.internal/", false, false, false],
    ["https://169.254.1.1/", false, false, false],
    ["https://0.0.0.0/", false, false, false],
    ["https://[::]/", false, false, false],
    ["https://224.0.0.1/", false, false, false],
  ];

  async function allowed(policy: "none" | "test" | "all", uri: string, environment: Environment): Promise<boolean> {
    const outbound = new OutboundHttp(policy, resolve);
    try {
      return await outbound.assertSafe(uri, environment).then(
        () => true,
        () => false,
      );
    } finally {
      outbound.close();
    }
  }

  it.each(CASES)("%s", async (uri, none, testInTest, all) => {
    expect(await allowed("none", uri, Environment.TEST)).toBe(none);
    expect(await allowed("test", uri, Environment.TEST)).toBe(testInTest);
    expect(await allowed("test", uri, Environment.LIVE)).toBe(none);
    expect(await allowed("all", uri, Environment.LIVE)).toBe(all);
  });
});
