// Who may open the stream. The stream exposes the routing state of the host, so anything that
// listens beyond loopback must carry a token, and the token is compared in constant time.
import { createHash, timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';

/**
 * True for `localhost`, 127.0.0.0/8, `::1` (in any spelling) and IPv4-mapped 127.x. Any other name
 * counts as reachable from outside, because a hostname can resolve to anything.
 */
export function isLoopbackHost(host: string): boolean {
  if (host === 'localhost') return true;
  const family = isIP(host);
  if (family === 4) return host.startsWith('127.');
  if (family !== 6) return false;
  // The WHATWG URL parser prints an IPv6 host in its canonical (RFC 5952) form, so `0:0::1`,
  // `::0001` and `::ffff:127.0.0.1` all compare as text afterwards.
  const canonical = new URL(`http://[${host}]/`).hostname;
  return canonical === '[::1]' || /^\[::ffff:7f[0-9a-f]{2}:[0-9a-f]{1,4}\]$/.test(canonical);
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/**
 * Checks an `Authorization` header against the token. Both sides are hashed first so the
 * comparison always runs over 32 bytes: timingSafeEqual needs equal lengths, and comparing the raw
 * strings would leak the token's length through an early return.
 */
export function bearerMatches(header: string | undefined, token: string): boolean {
  const presented = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header ?? '')?.[1] ?? '';
  const match = timingSafeEqual(digest(presented), digest(token));
  return match && presented !== '';
}
