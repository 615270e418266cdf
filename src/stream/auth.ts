// Who may open the agent's HTTP views (the stream, the metrics). They expose the routing state of
// the host, so anything that listens beyond loopback must carry a token, and the token is compared
// in constant time.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';
import { BirdctlError } from '../errors.ts';

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

/** A view in the words of its listener's errors: `WebSocket`, and where its token is configured. */
export interface ViewTokenSource {
  view: string;
  /** the agent's option naming the token file, `--ws-token-file` */
  tokenFileOption: string;
  /** the environment variable holding the token, `BIRDCTL_WS_TOKEN` */
  tokenEnv: string;
}

/** Refuses an empty token, and a listener beyond loopback without one. */
export function refuseUnprotectedListener(host: string, token: string | null | undefined, source: ViewTokenSource): void {
  if (token === '') {
    throw new BirdctlError('USAGE', `the ${source.view} token is empty`, {
      hint: `put a random string in the token file or ${source.tokenEnv}, e.g. \`openssl rand -hex 32\``,
    });
  }
  if (!token && !isLoopbackHost(host)) {
    throw new BirdctlError('USAGE', `the ${source.view} listener "${host}" is not loopback and no token is configured`, {
      hint: `set ${source.tokenFileOption} PATH or ${source.tokenEnv}, or listen on 127.0.0.1 or ::1`,
    });
  }
}

/**
 * The request target's path: a query string (`/?pretty`) changes nothing. Taken as text, not
 * through the URL parser, which throws on targets such as `//` that any client may send.
 */
export function requestPath(request: IncomingMessage): string {
  const target = request.url ?? '';
  const query = target.indexOf('?');
  return query < 0 ? target : target.slice(0, query);
}
