// lab status's endpoint view: each endpoint's state and where its /128 is, from the nodes' tables.
import { describe, expect, it } from 'vitest';
import { endpointViews, formatEndpointViews } from '../../src/lab/endpoint-view.ts';
import type { KernelRoute } from '../../src/lab/observe.ts';
import { parseTopology } from '../../src/topology/index.ts';

const topology = parseTopology({
  apiVersion: 'bird6-controller/v1',
  cluster: { name: 't', asNumber: 64512 },
  ipPools: [{ cidr: 'fd00:10::/48' }],
  nodes: [{ name: 'n1', address: 'fd00:ec::1' }, { name: 'n2', address: 'fd00:ec::2' }, { name: 'n3', address: 'fd00:ec::3' }],
  endpoints: [
    { name: 'web', node: 'n1', kind: 'container', addresses: ['fd00:10::1'], netns: 'web', interface: 'cali-web' },
    { name: 'vm', node: 'n2', kind: 'vm', addresses: ['fd00:10::2'], mac: '02:00:00:00:00:02', interface: 'tap-vm' },
  ],
});

const viaBird = (dst: string, protocol = 'bird'): KernelRoute => ({ dst, gateway: 'fd00:ec::9', dev: 'eth0', protocol });
const connected: KernelRoute = { dst: 'fd00:ec::/64', dev: 'eth0', protocol: 'kernel' };

describe('endpointViews', () => {
  it('is programmed on its own node through its interface and learnt through BGP on the others', () => {
    const tables = new Map<string, KernelRoute[]>([
      ['n1', [connected, { dst: 'fd00:10::1', dev: 'cali-web', protocol: '80' }, viaBird('fd00:10::2')]],
      ['n2', [viaBird('fd00:10::1'), { dst: 'fd00:10::2', dev: 'tap-vm', protocol: '80' }]],
      // iproute2 without `bird` in rt_protos prints the number
      ['n3', [viaBird('fd00:10::1', '12'), viaBird('fd00:10::2')]],
    ]);
    const [web, vm] = endpointViews(topology.endpoints, tables, (name) => (name === 'web' ? 'web' : undefined));
    expect(web).toMatchObject({ name: 'web', state: 'programmed', everywhere: true, netns: 'web' });
    expect(web!.routes).toEqual([
      { node: 'n1', address: 'fd00:10::1', via: 'interface', dev: 'cali-web' },
      { node: 'n2', address: 'fd00:10::1', via: 'bgp', dev: 'eth0', gateway: 'fd00:ec::9' },
      { node: 'n3', address: 'fd00:10::1', via: 'bgp', dev: 'eth0', gateway: 'fd00:ec::9' },
    ]);
    expect(vm).toMatchObject({ state: 'programmed', everywhere: true, netns: null });
    expect(formatEndpointViews([web!])[0]).toMatch(/web\s+container\s+n1\s+fd00:10::1\s+programmed\s+on n1 via cali-web; via BGP on n2, n3$/);
  });

  it("is pending while its own node lacks the route, and says where it is missing or routed some other way", () => {
    const tables = new Map<string, KernelRoute[]>([
      ['n1', [connected]],
      ['n2', [{ dst: 'fd00:10::1', dev: 'eth0', protocol: 'static' }]],
      ['n3', []],
    ]);
    const [web] = endpointViews(topology.endpoints, tables, () => undefined);
    expect(web).toMatchObject({ state: 'pending', reason: 'no route to fd00:10::1 on n1', everywhere: false });
    expect(web!.routes.map((r) => r.via)).toEqual(['missing', 'other', 'missing']);
    expect(formatEndpointViews([web!])[0]).toContain('no route to fd00:10::1 on n1; via BGP on no other node; missing on n3; routed otherwise on n2');
  });

  it('is pending when its own node routes the address through another interface (not what the agent programs)', () => {
    const tables = new Map<string, KernelRoute[]>([['n1', [viaBird('fd00:10::1')]]]);
    const [web] = endpointViews(topology.endpoints, tables, () => undefined);
    expect(web).toMatchObject({ state: 'pending', reason: 'fd00:10::1 on n1 goes via eth0, not cali-web' });
  });
});
