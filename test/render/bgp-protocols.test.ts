// bgpProtocols writes the bytes the template loop of bgp.njk wrote (kept in
// fixtures/bgp-loop.njk), for every branch of that loop, and refuses what its filters refused.
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { BgpSession } from '../../src/peering/sessions.ts';
import type { ExternalPolicy } from '../../src/peering/policy.ts';
import { bgpProtocols } from '../../src/render/bgp-protocols.ts';
import { createEnvironment } from '../../src/render/environment.ts';

const loop = createEnvironment(fileURLToPath(new URL('./fixtures/', import.meta.url)));
const byLoop = (sessions: BgpSession[]) => loop.render('bgp-loop.njk', { sessions });

function session(overrides: Partial<BgpSession>): BgpSession {
  return {
    protocol: 'Mesh_fd00_ec__2',
    peerType: 'node-to-node mesh',
    peerName: 'node2',
    description: 'node2 (node-to-node mesh)',
    neighborAddress: 'fd00:ec::2',
    neighborAs: 64512,
    localAs: 64512,
    passive: false,
    port: undefined,
    password: undefined,
    reach: { kind: 'multihop', ttl: undefined },
    timers: undefined,
    bfd: false,
    rrClusterId: undefined,
    external: undefined,
    ...overrides,
  };
}

function external(overrides: Partial<ExternalPolicy>): ExternalPolicy {
  return { export: 'pools', import: 'default', importLimit: undefined, communities: [], nextHop: 'auto', ...overrides };
}

/** One session per branch of the loop, and every combination the schema allows for the policies. */
const SESSIONS: BgpSession[] = [
  session({}),
  session({ passive: true, password: 'se;cr{et', port: 1179 }),
  session({ protocol: 'RRClient_fd00_ec__3', peerType: 'route reflector client', rrClusterId: '1.0.0.1', bfd: true }),
  session({ protocol: 'RR_fd00_ec__4', peerType: 'route reflector', timers: { holdTime: 30, keepaliveTime: 10 } }),
  ...(['auto', 'self', 'keep'] as const).flatMap((nextHop) =>
    (['default', 'all', 'none'] as const).flatMap((importPolicy) =>
      (['pools', 'endpoints', 'none'] as const).map((exportPolicy) =>
        session({
          protocol: 'Global_fd00_ec__f1',
          peerType: 'global',
          localAs: 65100,
          neighborAs: 65001,
          reach: nextHop === 'keep' ? { kind: 'multihop', ttl: 3 } : { kind: 'direct' },
          external: external({
            nextHop,
            import: importPolicy,
            export: exportPolicy,
            importLimit: importPolicy === 'all' ? 10000 : undefined,
            communities: exportPolicy === 'none' ? [] : [{ large: false, parts: [64512, 100] }, { large: true, parts: [64512, 0, 1] }],
          }),
        }),
      ),
    ),
  ),
];

describe('bgpProtocols', () => {
  it('writes exactly what the template loop wrote, for each kind of session', () => {
    for (const s of SESSIONS) expect(bgpProtocols([s]), JSON.stringify(s)).toBe(byLoop([s]));
  });

  it('writes them one after another as the loop did, and nothing for no sessions', () => {
    expect(bgpProtocols(SESSIONS)).toBe(byLoop(SESSIONS));
    expect(bgpProtocols([])).toBe('');
    expect(byLoop([])).toBe('');
  });

  it('refuses every value the loop\'s filters refused', () => {
    const hostile: Array<Partial<BgpSession>> = [
      { protocol: 'Mesh; protocol static' },
      { description: 'a"; include "/etc/shadow' },
      { neighborAddress: 'fd00::1; }' },
      { localAs: -1 },
      { port: 1.5 },
      { password: 'a\nb' },
      { timers: { holdTime: Number.NaN, keepaliveTime: 10 } },
      { rrClusterId: '1.0.0.1; }' },
      { external: external({}), reach: { kind: 'multihop', ttl: undefined } },
      { external: external({ communities: [{ large: false, parts: [1, -2] }] }) },
      { external: external({ import: 'x; }' as ExternalPolicy['import'] }) },
    ];
    for (const overrides of hostile) {
      const s = session(overrides);
      expect(() => byLoop([s]), JSON.stringify(overrides)).toThrow(/refusing to render/);
      expect(() => bgpProtocols([s]), JSON.stringify(overrides)).toThrow(/refusing to render/);
    }
  });
});
