// External peers with real bird6: one node under two ToR bird6s that each send a default route, a
// prefix both have (fd00:99::/64) and a full-table-like set of 300 prefixes. With the cluster's
// safe defaults (import default, export pools) only ::/0 is taken and it lies beside the host's
// own default route without replacing it, and the ToRs get only the pool aggregate with the
// configured communities. With import all, the prefix both ToRs send is one multipath kernel
// route (ECMP); an import limit caps what a leaking ToR can put into the host.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeIntegration } from '../support/integration.ts';
import { NetnsTestbed, waitFor } from '../support/netns.ts';
import { addEndpoint, allEstablished, birdCommand, kernelRoutes, protocols, reconfigure, startBirdWith, startNodeBird, topologyOf, type BirdHost } from './bgp-bed.ts';

const NODE = 'fd00:ec::1';
const HOST_GATEWAY = 'fd00:ec::fd';
const TORS = [
  { name: 'tor1', address: 'fd00:ec::f1', as: 65001 },
  { name: 'tor2', address: 'fd00:ec::f2', as: 65002 },
] as const;
const FULL_TABLE = 300;

function nodeTopology(bgp: Record<string, unknown>) {
  return topologyOf({
    apiVersion: 'bird6-controller/v1',
    cluster: { name: 'ext', asNumber: 64512, bgp: { holdTime: 6, keepaliveTime: 2, communities: ['64512:100', '64512:7:9'], ...bgp } },
    ipPools: [{ cidr: 'fd00:60::/48' }],
    nodes: [{ name: 'n1', address: NODE }],
    peers: TORS.map((t) => ({ name: t.name, address: t.address, asNumber: t.as })),
  });
}

/** A ToR: sends ::/0, fd00:99::/64 and FULL_TABLE more prefixes to the node, keeps what it is sent. */
function torConfig(tor: (typeof TORS)[number], index: number): string {
  const table = Array.from({ length: FULL_TABLE }, (_, i) => `  route 2001:db8:${i.toString(16)}::/48 unreachable;`).join('\n');
  return `router id 10.0.0.${index + 1};
log stderr all;
protocol device { scan time 10; }
protocol static { route ::/0 unreachable; route fd00:99::/64 unreachable;
${table}
}
protocol bgp node {
  local as ${tor.as};
  neighbor ${NODE} as 64512;
  direct;
  hold time 6; keepalive time 2; connect retry time 1; connect delay time 1; error wait time 1, 5;
  import all;
  export where source = RTS_STATIC;
}
`;
}

describeIntegration('external peers: policy and ECMP', { root: true, netns: true, binaries: ['bird6', 'ip'] }, () => {
  const bed = new NetnsTestbed('bgpe');
  let node: BirdHost;
  let nodeNs: string;
  const tors: BirdHost[] = [];

  const imported = async (name: string) => (await protocols(node)).find((p) => p.name === name);
  const routeCount = async (host: BirdHost, selector: string) => Number(/(\d+) of \d+ routes/.exec(await birdCommand(host, `show route ${selector} count`))?.[1] ?? NaN);

  beforeAll(async () => {
    nodeNs = bed.addNamespace('n1');
    const torNs = TORS.map((t) => bed.addNamespace(t.name));
    bed.connect([{ netns: nodeNs, ifname: 'eth0', cidr: `${NODE}/64` }, ...TORS.map((t, i) => ({ netns: torNs[i]!, ifname: 'eth0', cidr: `${t.address}/64` }))]);
    // The host's own default route, as an operator or RA would have set it.
    bed.run(nodeNs, 'ip', ['-6', 'route', 'add', 'default', 'via', HOST_GATEWAY]);
    addEndpoint(bed, nodeNs, 'ep', 'fd00:60::10', 'cali-ep');
    TORS.forEach((t, i) => tors.push(startBirdWith(bed, torNs[i]!, t.name, torConfig(t, i))));
    node = startNodeBird(bed, nodeNs, nodeTopology({}), 'n1');
    await waitFor('node sessions', () => allEstablished(node, 2), 20_000, 200);
    for (const tor of tors) await waitFor(`${tor.name} session`, () => allEstablished(tor, 1), 5000, 100);
  }, 40_000);

  afterAll(async () => {
    await bed.cleanup();
  });

  it('import default (the cluster default): only ::/0 is taken from a ToR sending a full table', async () => {
    for (const t of TORS) {
      const name = `Global_${t.address.replaceAll(':', '_')}`;
      await waitFor(`${name} routes`, async () => ((await birdCommand(node, `show route protocol ${name}`)).includes('::/0') ? true : undefined), 5000, 100);
      expect(await routeCount(node, `protocol ${name}`), name).toBe(1);
    }
    expect(kernelRoutes(bed, nodeNs, 'fd00:99::/64')).toBe('');
    expect(kernelRoutes(bed, nodeNs, 'root', '2001:db8::/32')).toBe('');
  });

  it('the ToRs\' default route lies beside the host\'s own and never replaces it', async () => {
    const defaults = await waitFor('ToR default in the kernel', () => {
      const text = kernelRoutes(bed, nodeNs, 'default');
      return text.includes('proto bird') ? text : undefined;
    }, 5000, 100);
    expect(defaults).toContain(`default via ${HOST_GATEWAY} dev eth0 metric 1024`);
    expect(defaults).toMatch(/default proto bird metric 4096 pref medium\s+nexthop via fd00:ec::f1 dev eth0 weight 1\s+nexthop via fd00:ec::f2 dev eth0 weight 1/);
    expect(bed.run(nodeNs, 'ip', ['-6', 'route', 'get', '2001:db8:5::1'])).toMatch(new RegExp(`via ${HOST_GATEWAY} dev eth0`));
  });

  it('export pools (the cluster default): a ToR gets the pool aggregate with the communities, no endpoint /128', async () => {
    for (const tor of tors) {
      const routes = await waitFor(`${tor.name} routes`, async () => {
        const text = await birdCommand(tor, 'show route protocol node all');
        return text.includes('fd00:60::/48') ? text : undefined;
      }, 5000, 100);
      expect(routes).not.toContain('fd00:60::10');
      expect(routes).toMatch(/BGP.community: \(64512,100\)/);
      expect(routes).toMatch(/BGP.large_community: \(64512, 7, 9\)/);
      expect(await routeCount(tor, 'protocol node')).toBe(1);
    }
  });

  it('import all: the prefix both ToRs send becomes one multipath kernel route (ECMP)', async () => {
    await reconfigure(node, nodeTopology({ import: 'all' }));
    const route = await waitFor('multipath fd00:99::/64', () => {
      const text = kernelRoutes(bed, nodeNs, 'fd00:99::/64');
      return text.includes('fd00:ec::f1') && text.includes('fd00:ec::f2') ? text : undefined;
    }, 10_000, 100);
    expect(route).toMatch(/^fd00:99::\/64 proto bird metric 4096 pref medium\s+nexthop via fd00:ec::f1 dev eth0 weight 1\s+nexthop via fd00:ec::f2 dev eth0 weight 1\s*$/);
    await waitFor('full table', async () => ((await imported(`Global_fd00_ec__f1`)) && (await routeCount(node, 'protocol Global_fd00_ec__f1')) === FULL_TABLE + 2 ? true : undefined), 10_000, 100);
    // Even with everything taken, the host's own default route still carries the host's traffic.
    expect(bed.run(nodeNs, 'ip', ['-6', 'route', 'get', '2001:db9::1'])).toMatch(new RegExp(`via ${HOST_GATEWAY} dev eth0`));
  });

  it('importLimit: a leaking ToR puts at most that many routes into the host, and its session stays up', async () => {
    await reconfigure(node, nodeTopology({ import: 'all', importLimit: 50 }));
    // A new limit does not drop routes already taken: the sessions start over, as after a leak.
    for (const name of ['Global_fd00_ec__f1', 'Global_fd00_ec__f2']) await birdCommand(node, `restart ${name}`);
    for (const name of ['Global_fd00_ec__f1', 'Global_fd00_ec__f2']) {
      await waitFor(`${name} back`, async () => ((await imported(name))?.info === 'Established' ? true : undefined), 10_000, 100);
      await waitFor(`${name} limited`, async () => ((await routeCount(node, `protocol ${name}`)) <= 50 ? true : undefined), 10_000, 100);
      expect((await imported(name))!.info).toBe('Established');
    }
    await waitFor('kernel pruned', () => (kernelRoutes(bed, nodeNs, 'proto', 'bird').split('\n').filter((l) => l.includes('2001:db8')).length <= 100 ? true : undefined), 10_000, 100);
  });
});
