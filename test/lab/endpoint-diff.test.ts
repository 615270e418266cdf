// The orchestrator's diff of the topology's endpoints against what state.json says the lab made.
import { describe, expect, it } from 'vitest';
import { diffLabEndpoints, endpointRecord, isEmptyDiff } from '../../src/lab/endpoint-diff.ts';
import type { LabState } from '../../src/lab/state.ts';
import { parseTopology } from '../../src/topology/index.ts';

const options = { prefix: 'labx', stateDir: '/run/labx' };

function topology(endpoints: unknown[]) {
  return parseTopology({
    apiVersion: 'bird6-controller/v1',
    cluster: { name: 't', asNumber: 64512 },
    ipPools: [{ cidr: 'fd00:10::/48' }],
    nodes: [{ name: 'n1', address: 'fd00:ec::1' }, { name: 'n2', address: 'fd00:ec::2' }, { name: 'n3', address: 'fd00:ec::3' }],
    endpoints,
  });
}

const web = { name: 'web', node: 'n1', kind: 'container', addresses: ['fd00:10::1'], netns: 'labx-web', interface: 'cali-web' };
const vm = { name: 'vm', node: 'n2', kind: 'vm', addresses: ['fd00:10::2'], mac: '02:00:00:00:00:02', interface: 'tap-vm' };

/** A lab of nodes n1 and n2 (n3 is in the file but not in the lab) that made `made`. */
function state(made: ReturnType<typeof topology>['endpoints'] = [], extraNamespaces: string[] = []): LabState {
  const endpoints = made.map((e) => endpointRecord(e, options));
  return {
    version: 1,
    prefix: 'labx',
    topologyFile: '/t.yaml',
    startedAt: '2025-01-01T00:00:00.000Z',
    namespaces: ['labx--switch', 'labx-n1', 'labx-n2', ...endpoints.map((e) => e.netns), ...extraNamespaces],
    processes: [],
    pidFiles: [],
    files: [],
    dirs: [],
    nodes: [
      { name: 'n1', netns: 'labx-n1', socket: '/s1', address: 'fd00:ec::1' },
      { name: 'n2', netns: 'labx-n2', socket: '/s2', address: 'fd00:ec::2' },
    ],
    endpoints,
  };
}

describe('diffLabEndpoints', () => {
  it('is empty when the lab already stands in for every endpoint of the file', () => {
    const t = topology([web, vm]);
    expect(isEmptyDiff(diffLabEndpoints(t, state(t.endpoints), options))).toBe(true);
  });

  it('makes a container namespace named by its netns and a VM namespace under the prefix with its tap and MAC', () => {
    const diff = diffLabEndpoints(topology([web, vm]), state(), options);
    expect(diff.addContainers).toEqual([{ name: 'web', node: 'n1', netns: 'labx-web' }]);
    expect(diff.addVms).toEqual([
      expect.objectContaining({ name: 'vm', node: 'n2', netns: 'labx--vm-vm', tap: 'tap-vm', mac: '02:00:00:00:00:02', addresses: ['fd00:10::2'], dir: '/run/labx/vms/vm' }),
    ]);
    expect(diff.remove).toEqual([]);
  });

  it('removes the record of an endpoint that left the file, and nothing that is not recorded', () => {
    const before = topology([web, vm]);
    const diff = diffLabEndpoints(topology([vm]), state(before.endpoints), options);
    expect(diff.remove).toEqual([{ name: 'web', node: 'n1', kind: 'container', netns: 'labx-web' }]);
    expect(diff.addContainers).toEqual([]);
    expect(diff.debris).toEqual([]);
  });

  it('replaces an endpoint that moved to another node or whose VM got another MAC', () => {
    const before = topology([web, vm]);
    const after = topology([{ ...web, node: 'n2' }, { ...vm, mac: '02:00:00:00:00:99' }]);
    const diff = diffLabEndpoints(after, state(before.endpoints), options);
    expect(diff.remove.map((r) => r.name)).toEqual(['web', 'vm']);
    expect(diff.addContainers.map((c) => [c.name, c.node])).toEqual([['web', 'n2']]);
    expect(diff.addVms.map((v) => v.mac)).toEqual(['02:00:00:00:00:99']);
  });

  it("skips, with the reason, an endpoint on a node the lab does not have and one whose netns is a lab node's", () => {
    const diff = diffLabEndpoints(topology([{ ...web, node: 'n3' }, { ...web, name: 'sneaky', netns: 'labx-n1', addresses: ['fd00:10::9'] }]), state(), options);
    expect(diff.addContainers).toEqual([]);
    expect(diff.skipped).toEqual([
      { endpoint: 'web', reason: expect.stringContaining('node n3 is not one of the lab') },
      { endpoint: 'sneaky', reason: "netns labx-n1 is one of the lab's own node or switch namespaces" },
    ]);
  });

  it('skips a container endpoint without a netns instead of failing the whole pass', () => {
    const { netns: _, ...bare } = web;
    const diff = diffLabEndpoints(topology([bare, vm]), state(), options);
    expect(diff.skipped).toEqual([{ endpoint: 'web', reason: expect.stringContaining('needs a netns') }]);
    expect(diff.addVms.map((v) => v.name)).toEqual(['vm']);
  });

  it("lists as debris a namespace of the lab's that no node, switch or endpoint claims (a crash before its endpoint was recorded)", () => {
    const t = topology([web]);
    const diff = diffLabEndpoints(t, state(t.endpoints, ['labx--vm-half']), options);
    expect(diff.debris).toEqual(['labx--vm-half']);
    expect(diff.addContainers).toEqual([]);
  });
});
