/**
 * The client's IP address, checked once per request. With TRUST_PROXY, Koa takes the nearest
 * proxy's X-Forwarded-For entry as is, and a client behind a sloppy proxy (or a proxy that
 * appends what it was sent) can put anything there: 100 × "x" overflowed the audit trail's ip
 * column and lost a whole batch of other users' events. An entry that is not an IP address is
 * ignored in favour of the socket's address (OWASP ASVS V5.1.3: validate input, including
 * headers).
 */
import { isIP } from "node:net";
import ipaddr from "ipaddr.js";
import type { Context, Next } from "koa";

/** Middleware: makes ctx.ip an IP address. */
export async function clientIp(ctx: Context, next: Next): Promise<void> {
  if (!isIP(ctx.ip)) ctx.request.ip = ctx.socket.remoteAddress ?? "";
  await next();
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
