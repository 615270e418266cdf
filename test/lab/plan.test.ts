import { describe, expect, it } from 'vitest';
import { planLab, validatePrefix } from '../../src/lab/plan.ts';
import { loadTopology, parseTopology } from '../../src/topology/index.ts';
import { EXAMPLE_TOPOLOGIES } from '../support/examples.ts';

const example = EXAMPLE_TOPOLOGIES.find((f) => f.endsWith('/example.yaml'))!;

function topology(nodes: Array<{ name: string; address: string }>, endpoints: unknown[] = []) {
  return parseTopology({ apiVersion: 'bird6-controller/v1', cluster: { name: 't', asNumber: 64512 }, ipPools: [{ cidr: 'fd00:10::/48' }], nodes, endpoints });
}

describe('planLab', () => {
  it('names a namespace per node, one for the switch and one per VM, all under the prefix; container namespaces as the topology says', async () => {
    const plan = planLab(await loadTopology(example), { prefix: 'b6lab', stateDir: '/run/x' });
    expect(plan.switchNetns).toBe('b6lab--switch');
    expect(plan.subnet).toBe('fd00:ec::/64');
    expect(plan.nodes.map((n) => [n.netns, n.cidr, n.switchPort])).toEqual([
      ['b6lab-node1', 'fd00:ec::1/64', 'p0'],
      ['b6lab-node2', 'fd00:ec::2/64', 'p1'],
      ['b6lab-node3', 'fd00:ec::3/64', 'p2'],
    ]);
    expect(plan.nodes[0]).toMatchObject({
      config: '/run/x/nodes/node1/bird6.conf',
      socket: '/run/x/nodes/node1/bird6.ctl',
      birdPidFile: '/run/x/nodes/node1/bird6.pid',
      agentLog: '/run/x/nodes/node1/agent.log',
    });
    expect(plan.containers).toEqual([
      { name: 'web-1', node: 'node1', netns: 'web-1' },
      { name: 'db-1', node: 'node2', netns: 'db-1' },
    ]);
    expect(plan.vms).toEqual([
      expect.objectContaining({
        name: 'vm-1', node: 'node3', netns: 'b6lab--vm-vm-1', tap: 'tap-vm-1', mac: '02:00:00:00:00:30', addresses: ['fd00:10::30'],
        dhclientPidFile: '/run/x/vms/vm-1/dhclient.pid', resolvConf: '/etc/netns/b6lab--vm-vm-1/resolv.conf',
      }),
    ]);
  });

  it("cannot confuse a node named like a lab namespace with the lab's own (switch, VMs use a double dash)", () => {
    const plan = planLab(topology([{ name: 'switch', address: 'fd00:ec::1' }, { name: 'vm-a', address: 'fd00:ec::2' }]), { prefix: 'p', stateDir: '/s' });
    const names = [plan.switchNetns, ...plan.nodes.map((n) => n.netns)];
    expect(new Set(names).size).toBe(names.length);
  });

  it('refuses nodes outside one /64, naming each and the subnet', () => {
    expect(() => planLab(topology([{ name: 'a', address: 'fd00:ec::1' }, { name: 'b', address: 'fd00:ed::1' }]), { prefix: 'p', stateDir: '/s' })).toThrow(
      expect.objectContaining({ code: 'TOPOLOGY_INVALID', problems: [expect.objectContaining({ path: 'nodes[1].address', message: expect.stringContaining('outside fd00:ec::/64') })] }),
    );
  });

  it('refuses a container endpoint without netns (nothing would create its veth)', () => {
    const t = topology([{ name: 'a', address: 'fd00:ec::1' }], [{ name: 'c', node: 'a', kind: 'container', addresses: ['fd00:10::1'] }]);
    expect(() => planLab(t, { prefix: 'p', stateDir: '/s' })).toThrow(
      expect.objectContaining({ problems: [expect.objectContaining({ path: 'endpoints[0].netns', hint: expect.stringContaining('netns: c') })] }),
    );
  });

  it.each(['', 'B6', '9lab', 'a-b', 'toolongprefix'])('refuses the prefix %j', (prefix) => {
    expect(() => validatePrefix(prefix)).toThrow(expect.objectContaining({ code: 'USAGE' }));
  });
});
