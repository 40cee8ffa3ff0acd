import ipaddr from "ipaddr.js";

/**
 * What an outbound request may reach, by the address it would connect to:
 * - `public`: globally reachable unicast;
 * - `private`: this installation's own networks (loopback, RFC 1918, unique-local,
 *   carrier-grade NAT), reachable only where KEYWAY_ALLOW_PRIVATE_URLS allows;
 * - `metadata`: a cloud provider's instance-metadata or host service, never reachable;
 * - `special`: every other special-purpose range of the IANA IPv4 and IPv6 registries
 *   (unspecified, link-local, multicast, broadcast, documentation, benchmarking,
 *   reserved, Teredo, ORCHID, discard, …) and IPv6 outside 2000::/3, never reachable.
 * An IPv6 address that carries an IPv4 one (IPv4-mapped, IPv4-compatible, SIIT,
 * NAT64, 6to4) is what its IPv4 address is, so `[::127.0.0.1]` is loopback.
 */
export type AddressClass = "public" | "private" | "metadata" | "special";

export interface ClassifiedAddress {
  class: AddressClass;
  /** The range's name (ipaddr.js's, or `ipv4Compatible`, `globalUnicast`…), for messages and tests. */
  range: string;
  /** The IPv4 address an IPv6 one carries, when it carries one. */
  embeddedIPv4?: string;
}

/**
 * Known instance-metadata and host-service addresses. Some lie in ranges refused
 * anyway (169.254/16), some in ranges a TEST installation may reach (fd00::/8,
 * 100.64/10, 192.0.0/24) and one in public space (Azure's 168.63.129.16).
 */
const METADATA_ADDRESSES = new Map<string, string>([
  ["169.254.169.254", "AWS, GCP, Azure, Oracle and OpenStack instance metadata"],
  ["169.254.170.2", "AWS ECS task metadata"],
  ["169.254.169.253", "AWS VPC DNS"],
  ["169.254.169.123", "AWS time sync"],
  ["fd00:ec2::254", "AWS instance metadata (IPv6)"],
  ["fd00:ec2::253", "AWS VPC DNS (IPv6)"],
  ["fd00:ec2::123", "AWS time sync (IPv6)"],
  ["168.63.129.16", "Azure host services"],
  ["192.0.0.192", "Oracle Cloud instance metadata"],
  ["100.100.100.200", "Alibaba Cloud instance metadata"],
]);

/** Names of metadata services, refused before any lookup (lower-case, without the trailing dot). */
const METADATA_HOSTNAMES = new Set([
  "metadata.google.internal",
  "metadata.goog",
  "metadata",
  "instance-data",
  "instance-data.ec2.internal",
]);

const PRIVATE_RANGES = new Set(["loopback", "private", "uniqueLocal", "carrierGradeNat"]);

const GLOBAL_UNICAST = ipaddr.parseCIDR("2000::/3") as [ipaddr.IPv6, number];
/** IPv4-compatible IPv6 (RFC 4291 §2.5.5.1, deprecated), which ipaddr.js does not name. */
const IPV4_COMPATIBLE = ipaddr.parseCIDR("::/96") as [ipaddr.IPv6, number];
/** NAT64's well-known prefix (RFC 6052) carries an IPv4 address; the local-use one (64:ff9b:1::/48) stays special. */
const NAT64_WELL_KNOWN = ipaddr.parseCIDR("64:ff9b::/96") as [ipaddr.IPv6, number];

export function isMetadataHostname(hostname: string): boolean {
  return METADATA_HOSTNAMES.has(hostname.toLowerCase().replace(/\.+$/, ""));
}

/** Classifies an IP address (IPv4 dotted quad or IPv6, without brackets); null when it is not one. */
export function classifyAddress(address: string): ClassifiedAddress | null {
  let parsed: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    parsed = ipaddr.parse(address);
  } catch {
    return null;
  }
  return parsed.kind() === "ipv4" ? classifyIPv4(parsed as ipaddr.IPv4) : classifyIPv6(parsed as ipaddr.IPv6);
}

function classifyIPv4(address: ipaddr.IPv4): ClassifiedAddress {
  const text = address.toString();
  if (METADATA_ADDRESSES.has(text)) return { class: "metadata", range: "metadata" };
  const range = address.range();
  if (range === "unicast") return { class: "public", range };
  return { class: PRIVATE_RANGES.has(range) ? "private" : "special", range };
}

function classifyIPv6(address: ipaddr.IPv6): ClassifiedAddress {
  // A zone id names an interface: the address is the same.
  const plain = new ipaddr.IPv6(address.parts);
  if (METADATA_ADDRESSES.has(plain.toString())) return { class: "metadata", range: "metadata" };
  const range = plain.range();
  const embedded = embeddedIPv4(plain, range);
  if (embedded) {
    const inner = classifyIPv4(embedded);
    return { ...inner, range: `${range}:${inner.range}`, embeddedIPv4: embedded.toString() };
  }
  if (range === "unicast") {
    return plain.match(GLOBAL_UNICAST) ? { class: "public", range: "globalUnicast" } : { class: "special", range: "unassigned" };
  }
  return { class: PRIVATE_RANGES.has(range) ? "private" : "special", range };
}

function embeddedIPv4(address: ipaddr.IPv6, range: string): ipaddr.IPv4 | null {
  const bytes = address.toByteArray();
  const last32 = () => new ipaddr.IPv4(bytes.slice(12, 16));
  if (range === "ipv4Mapped" || range === "rfc6145") return last32();
  if (range === "6to4") return new ipaddr.IPv4(bytes.slice(2, 6));
  if (address.match(NAT64_WELL_KNOWN)) return last32();
  // ::/96 but not :: (unspecified) or ::1 (loopback), which keep their own meaning.
  if (range === "unicast" && address.match(IPV4_COMPATIBLE)) return last32();
  return null;
}
