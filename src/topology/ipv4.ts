// Dotted-quad IPv4 values: BIRD's router IDs and route-reflector cluster IDs are written this way.

export function parseIPv4(text: string): number | undefined {
  const match = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (!match) return undefined;
  const octets = match.slice(1).map(Number);
  if (octets.some((o, i) => o > 255 || (match[i + 1]!.length > 1 && match[i + 1]!.startsWith('0')))) return undefined;
  return octets.reduce((acc, o) => acc * 256 + o, 0);
}

export function formatIPv4(value: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256).join('.');
}

/**
 * Why a router ID cannot be used, or undefined when it can. 0.x.x.x is "this network", 127.x is
 * loopback and 224.0.0.0 and above is multicast or reserved: BGP speakers reject such identifiers
 * in OPEN messages or operators misread them.
 */
export function reservedRouterIdReason(value: number): string | undefined {
  const first = Math.floor(value / 2 ** 24);
  if (first === 0) return 'it is in 0.0.0.0/8 ("this network")';
  if (first === 127) return 'it is in the loopback range 127.0.0.0/8';
  if (first >= 224) return 'it is a multicast or reserved address (224.0.0.0 and above)';
  return undefined;
}
