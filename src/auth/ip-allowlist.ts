import ipaddr from "ipaddr.js";

type Range = [ipaddr.IPv4 | ipaddr.IPv6, number];

/**
 * An address or CIDR range in its canonical form ("10.0.0.0/8", "2001:db8::/32", "::1"),
 * or null when it is neither. IPv4 only in dotted-quad form: ipaddr.js also reads "10" and
 * "0x7f.1", which nobody means in an allowlist. IPv4-mapped IPv6 is written as IPv4, so it
 * matches the way client addresses are compared. Host bits of a range are cleared.
 */
export function normalizeAllowedIp(entry: string): string | null {
  const text = entry.trim();
  const slash = text.indexOf("/");
  const address = slash === -1 ? text : text.slice(0, slash);
  const bitsText = slash === -1 ? null : text.slice(slash + 1);
  let parsed: ipaddr.IPv4 | ipaddr.IPv6;
  if (ipaddr.IPv4.isValidFourPartDecimal(address)) parsed = ipaddr.IPv4.parse(address);
  else if (ipaddr.IPv6.isValid(address) && !address.includes("%")) parsed = ipaddr.IPv6.parse(address);
  else return null;
  const max = parsed.kind() === "ipv4" ? 32 : 128;
  if (bitsText !== null && !/^\d{1,3}$/.test(bitsText)) return null;
  let bits = bitsText === null ? max : Number(bitsText);
  if (bits > max) return null;
  if (parsed instanceof ipaddr.IPv6 && parsed.isIPv4MappedAddress() && bits >= 96) {
    parsed = parsed.toIPv4Address();
    bits -= 96;
  }
  if (bits === (parsed.kind() === "ipv4" ? 32 : 128)) return parsed.toString();
  const network =
    parsed.kind() === "ipv4"
      ? ipaddr.IPv4.networkAddressFromCIDR(`${parsed.toString()}/${bits}`)
      : ipaddr.IPv6.networkAddressFromCIDR(`${parsed.toString()}/${bits}`);
  return `${network.toString()}/${bits}`;
}

/** A key's allowlist, parsed once per cached key; `allows` runs on every request of that key. */
export class IpAllowlist {
  private readonly ranges: Range[];

  constructor(entries: readonly string[]) {
    this.ranges = entries.map((entry) => (entry.includes("/") ? ipaddr.parseCIDR(entry) : toRange(ipaddr.parse(entry))));
  }

  /**
   * Verdicts by client address: a key is used from a few addresses, and parsing one costs
   * microseconds on every request. Bounded, in case a key is tried from everywhere.
   */
  private readonly verdicts = new Map<string, boolean>();

  /** `ip` as the request's client address reads (proxy-addr); IPv4-mapped IPv6 counts as IPv4. */
  allows(ip: string): boolean {
    let verdict = this.verdicts.get(ip);
    if (verdict === undefined) {
      verdict = this.matches(ip);
      if (this.verdicts.size >= 1024) this.verdicts.clear();
      this.verdicts.set(ip, verdict);
    }
    return verdict;
  }

  private matches(ip: string): boolean {
    if (!ipaddr.isValid(ip)) return false;
    const address = ipaddr.process(ip);
    return this.ranges.some(([network, bits]) => network.kind() === address.kind() && address.match(network, bits));
  }
}

function toRange(address: ipaddr.IPv4 | ipaddr.IPv6): Range {
  return [address, address.kind() === "ipv4" ? 32 : 128];
}
