/**
 * The client's IP address, once per request: the rate-limit bucket and the audit trail's ip.
 *
 * X-Forwarded-For is believed only as far back as listed proxies wrote it (TRUSTED_PROXIES), as
 * Express's `trust proxy` does with subnets: starting from the socket's address, while the
 * address at hand is a listed proxy, step to the entry it appended (the rightmost one left). The
 * first address no listed proxy holds is the client; what it claims before that is its own to
 * forge. A caller that reaches tongxing directly (another container on compose's network)
 * therefore chooses nothing. An entry that is not an IP address ends the walk: a sloppy proxy
 * passing on 100 × "x" once overflowed the audit trail's ip column and lost a whole batch of
 * other users' events (OWASP ASVS V5.1.3: validate input, including headers).
 */
import { isIP } from "node:net";
import ipaddr from "ipaddr.js";
import type { Context, Next } from "koa";

/**
 * Whose X-Forwarded-For entries are believed: canonical CIDRs (TRUSTED_PROXIES), or
 * "nearest-hop" (the deprecated TRUST_PROXY=true: the last entry, whoever connected).
 */
export type ProxyTrust = string[] | "nearest-hop";

/** Express's keywords for the usual proxy networks (RFC 1122, 3927, 4193, 1918, 4291). */
const KEYWORDS: Record<string, string[]> = {
  loopback: ["127.0.0.0/8", "::1/128"],
  linklocal: ["169.254.0.0/16", "fe80::/10"],
  uniquelocal: ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7"],
};

/**
 * Parses TRUSTED_PROXIES: comma-separated IP addresses, CIDRs, or the keywords loopback,
 * linklocal and uniquelocal.
 * @returns the ranges as canonical CIDRs (an address alone as /32 or /128), or undefined when
 *   an item is none of those
 */
export function parseProxyList(list: string): string[] | undefined {
  const ranges: string[] = [];
  for (const item of list.split(",").map((s) => s.trim().toLowerCase())) {
    if (item === "") continue;
    const keyword = KEYWORDS[item];
    if (keyword) {
      ranges.push(...keyword);
      continue;
    }
    // isIP first: ipaddr alone also takes classful spellings such as "10" for 0.0.0.10.
    const [address = "", bits, extra] = item.split("/");
    if (!isIP(address) || extra !== undefined) return undefined;
    if (bits === undefined) {
      const addr = ipaddr.parse(address);
      ranges.push(`${addr.toString()}/${addr.kind() === "ipv4" ? 32 : 128}`);
    } else if (/^\d{1,3}$/.test(bits) && ipaddr.isValidCIDR(item)) {
      const [addr, prefix] = ipaddr.parseCIDR(item);
      ranges.push(`${addr.toString()}/${prefix}`);
    } else return undefined;
  }
  return ranges;
}

/**
 * Middleware: sets ctx.ip to the client's address under `trust` (the socket's when nothing in
 * X-Forwarded-For is believed).
 */
export function clientIp(trust: ProxyTrust) {
  const ranges = trust === "nearest-hop" ? [] : trust.map((cidr) => ipaddr.parseCIDR(cidr));
  const isProxy = (ip: string): boolean => {
    if (trust === "nearest-hop") return true;
    // An IPv4 client of a dual-stack socket shows as ::ffff:a.b.c.d; match it as a.b.c.d.
    const addr = ipaddr.process(ip);
    return ranges.some(([range, bits]) => range.kind() === addr.kind() && addr.match(range, bits));
  };
  return async function clientIp(ctx: Context, next: Next): Promise<void> {
    const forwarded = ctx.get("x-forwarded-for");
    let ip = ctx.socket.remoteAddress ?? "";
    if (forwarded) {
      const hops = forwarded.split(",");
      for (let i = hops.length - 1; i >= 0 && isIP(ip) && isProxy(ip); i--) {
        const hop = (hops[i] as string).trim();
        if (!isIP(hop)) break;
        ip = hop;
        if (trust === "nearest-hop") break;
      }
    }
    ctx.request.ip = ip;
    await next();
  };
}

/**
 * The rate-limit bucket of an IP address: IPv4 as is (an IPv4-mapped IPv6 address as its IPv4),
 * IPv6 by its /64, canonically spelled. A host is routinely given a whole /64, so per-address
 * buckets would let one host mint 2^64 of them; and `2001:DB8::1` and `2001:0db8:0:0::1` are one
 * address (RFC 5952 canonical form).
 * @returns the bucket, or the input itself when it is not an IP address
 */
export function ipBucket(ip: string): string {
  if (!isIP(ip)) return ip;
  let addr = ipaddr.parse(ip);
  if (addr instanceof ipaddr.IPv6 && addr.isIPv4MappedAddress()) addr = addr.toIPv4Address();
  if (addr instanceof ipaddr.IPv4) return addr.toString();
  const prefix = new ipaddr.IPv6([...addr.parts.slice(0, 4), 0, 0, 0, 0]);
  return `${prefix.toRFC5952String()}/64`;
}
