import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FakeDataplane } from '../../src/endpoints/fake-dataplane.ts';
import { MemoryLedgerStore } from '../../src/endpoints/ledger.ts';
import { planEndpoints } from '../../src/plan/endpoint-plan.ts';
import { formatPlan, nodePlan, planHasChanges } from '../../src/plan/node-plan.ts';
import { render } from '../../src/render/render.ts';
import { parseTopologyText } from '../../src/topology/index.ts';
import { TOPOLOGY_DIR } from '../support/examples.ts';

const EXAMPLE = readFileSync(join(TOPOLOGY_DIR, 'example.yaml'), 'utf8');
const topology = parseTopologyText(EXAMPLE, 'example.yaml');

function host(): FakeDataplane {
  const dataplane = new FakeDataplane();
  dataplane.addLink('eth0', { addresses: ['fd00:ec::1/64'] });
  dataplane.namespaces.add('web-1');
  return dataplane;
}

describe('planEndpoints', () => {
  it('lists what an apply would make, and makes nothing: no kernel change, no record written', async () => {
    const dataplane = host();
    const ledger = new MemoryLedgerStore();
    let saves = 0;
    const store = { load: () => ledger.load(), save: () => { saves += 1; return Promise.resolve(); } };
    const plan = await planEndpoints({ dataplane, ledger: store, topology, nodeName: 'node1' });
    expect(plan.uplink).toBe('eth0');
    expect(plan.changes).toEqual(expect.arrayContaining([
      { kind: 'add', owner: 'web-1', object: 'create veth cali-web-1 <-> web-1:eth0' },
      { kind: 'add', owner: 'web-1', object: 'route fd00:10::10/128 dev cali-web-1' },
      { kind: 'add', owner: 'web-1', object: 'proxy fd00:10::10 dev eth0' },
      { kind: 'replace', owner: 'node-wide settings', object: 'sysctl net.ipv6.conf.all.forwarding=1' },
    ]));
    expect(dataplane.applied).toEqual([]);
    expect(saves).toBe(0);
  });

  it('names a pending endpoint and plans the others', async () => {
    const dataplane = host();
    dataplane.namespaces.delete('web-1');
    const plan = await planEndpoints({ dataplane, ledger: new MemoryLedgerStore(), topology, nodeName: 'node1' });
    expect(plan.pending).toEqual([{ endpoint: 'web-1', reason: 'network namespace web-1 does not exist yet' }]);
    expect(plan.changes.map((c) => c.owner)).toEqual(['node-wide settings', 'node-wide settings']);
  });
});

describe('nodePlan', () => {
  const endpoints = { uplink: 'eth0', changes: [], unchanged: 9, pending: [], blocked: [] };
  const config = render(topology, 'node1');

  it('has nothing to change when the file is the render, bird6 runs its sessions and the endpoints are done', () => {
    const plan = nodePlan({ node: 'node1', configPath: '/etc/bird/bird6.conf', topologyLabel: 't.yaml', current: config, next: config, running: { protocols: ['Mesh_fd00_ec__2', 'Mesh_fd00_ec__3'] }, endpoints });
    expect(planHasChanges(plan)).toBe(false);
    expect(formatPlan(plan)).toBe(
      [
        'plan for node node1',
        '',
        'bird6.conf: /etc/bird/bird6.conf is already what the topology renders',
        '',
        'BGP sessions: 0 added, 0 removed, 0 changed (0 restarted by bird6)',
        '',
        'endpoint objects: 0 added, 0 replaced, 0 removed, 9 unchanged (uplink eth0)',
        '',
        'nothing to change',
        '',
      ].join('\n'),
    );
  });

  it('shows the diff, the session removed, and a protocol bird6 runs that no file has', () => {
    const next = render(parseTopologyText(EXAMPLE.replace(/  - name: node3\n    address: fd00:ec::3\n/, '').replace(/  - name: vm-1[\s\S]*$/, ''), 'edited.yaml'), 'node1');
    const plan = nodePlan({ node: 'node1', configPath: '/c/bird6.conf', topologyLabel: 'edited.yaml', current: config, next, running: { protocols: ['Mesh_fd00_ec__2', 'Mesh_fd00_ec__3', 'Old_one'] }, endpoints });
    expect(planHasChanges(plan)).toBe(true);
    expect(plan.sessions).toEqual({ added: [], removed: ['Mesh_fd00_ec__3', 'Old_one'], changed: [] });
    const text = formatPlan(plan);
    expect(text).toContain('--- /c/bird6.conf\n+++ /c/bird6.conf (rendered from edited.yaml)\n@@ ');
    expect(text).toContain('\n-protocol bgp Mesh_fd00_ec__3 from cluster_node\n');
    expect(text).toContain('BGP sessions: 0 added, 2 removed, 0 changed (0 restarted by bird6)\n  - Mesh_fd00_ec__3\n  - Old_one\n');
    expect(text).toContain('(bird6 runs Old_one, which /c/bird6.conf does not have: it runs another file)');
    expect(text.endsWith('changes: applying this topology would make the changes above\n')).toBe(true);
  });

  it('writes the first config from /dev/null and says bird6 was not asked', () => {
    const plan = nodePlan({ node: 'node1', configPath: '/c/bird6.conf', topologyLabel: 't.yaml', current: undefined, next: config, running: { error: 'cannot talk to BIRD' }, endpoints });
    expect(plan.sessions.added).toEqual(['Mesh_fd00_ec__2', 'Mesh_fd00_ec__3']);
    expect(formatPlan(plan)).toContain('bird6.conf: /c/bird6.conf does not exist yet; it would be written\n--- /dev/null\n');
    expect(formatPlan(plan)).toContain('(bird6 not asked: cannot talk to BIRD; compared with /c/bird6.conf only)');
  });
});
