// End to end, as users run it: `lab up` with real agents and real bird6 in namespaces, real
// packets between containers and VMs on different hosts, a hung bird6 withdrawn by its peers'
// hold timers, and endpoints added to and removed from the topology file while everything runs.
// Copies of topology/example.yaml and topology/route-reflectors.yaml, with this file's own
// namespace prefixes and container netns names, so nothing collides with a running lab.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { isAlive, readPidFile } from '../../src/proc.ts';
import { readState } from '../../src/lab/state.ts';
import type { UpReport } from '../../src/lab/up.ts';
import { describeIntegration } from '../support/integration.ts';
import { LabBed } from '../support/lab-bed.ts';
import { addContainerNamespace, editTopology, hostRoutes, pings, signalPid, timeUntil } from '../lab/lab-driver.ts';
import { topologyCopy } from '../lab/topology-copy.ts';

interface Scenario {
  topology: string;
  prefix: string;
  /** where the added endpoint goes */
  addOn: string;
  newAddress: string;
  /** whose bird6 is hung; its endpoints must vanish from every other node */
  hang: string;
}

const SCENARIOS: Scenario[] = [
  { topology: 'example.yaml', prefix: 'e2ex', addOn: 'node2', newAddress: 'fd00:10::99', hang: 'node1' },
  { topology: 'route-reflectors.yaml', prefix: 'e2rr', addOn: 'client3', newAddress: 'fd00:20::99', hang: 'client1' },
];

for (const scenario of SCENARIOS) {
  describeIntegration(`end to end: ${scenario.topology}`, { root: true, netns: true, binaries: ['bird6', 'ip', 'ping', 'dnsmasq', 'dhclient', 'kill'] }, () => {
    const lab = new LabBed(scenario.prefix, (work, prefix) => topologyCopy(scenario.topology, work, prefix));
    const { stateDir, file } = lab;
    let report: UpReport;

    const nodeNs = (node: string) => `${scenario.prefix}-${node}`;
    const endpointNs = (name: string) => readState(stateDir)!.endpoints.find((e) => e.name === name)!.netns;
    const otherNodes = (node: string) => report.plan.nodes.filter((n) => n.name !== node);
    const everywhere = async (nodes: Array<{ netns: string }>, address: string, present: boolean) =>
      (await Promise.all(nodes.map(async (n) => (await hostRoutes(n.netns)).has(address) === present))).every(Boolean);

    beforeAll(async () => {
      report = await lab.up(30_000);
    }, 60_000);
    afterAll(() => lab.remove(), 30_000);

    it('every endpoint pings every endpoint on the other hosts, containers and VMs alike', async () => {
      const endpoints = report.topology.endpoints;
      const pairs = endpoints.flatMap((a) => endpoints.filter((b) => b.node !== a.node).map((b) => [a, b] as const));
      expect(pairs.length).toBeGreaterThanOrEqual(6);
      const results = await Promise.all(pairs.map(async ([a, b]) => `${a.name} -> ${b.name} ${b.addresses[0]}: ${(await pings(endpointNs(a.name), b.addresses[0]!, 2)) ? 'ok' : 'no reply'}`));
      expect(results.filter((r) => !r.endsWith('ok'))).toEqual([]);
    });

    it('an endpoint added to the topology file is reachable from the other hosts within 2 s; removed, it disappears everywhere', async () => {
      const netns = `${scenario.prefix}-new-1`;
      await addContainerNamespace(netns);
      const others = otherNodes(scenario.addOn);
      const from = report.topology.endpoints.find((e) => e.node !== scenario.addOn)!;
      editTopology(file, (doc) => doc.endpoints.push({ name: 'new-1', node: scenario.addOn, kind: 'container', addresses: [scenario.newAddress], netns }));
      const reachable = await timeUntil(
        `${scenario.newAddress} answering from ${others.map((n) => n.name).join(', ')} and ${from.name}`,
        async () => (await Promise.all([...others.map((n) => pings(n.netns, scenario.newAddress, 0.2)), pings(endpointNs(from.name), scenario.newAddress, 0.2)])).every(Boolean),
        5000,
      );
      expect(reachable).toBeLessThanOrEqual(2000);

      editTopology(file, (doc) => (doc.endpoints = doc.endpoints.filter((e) => e.name !== 'new-1')));
      await timeUntil(`${scenario.newAddress} gone from every kernel`, () => everywhere(report.plan.nodes, scenario.newAddress, false), 5000);
      expect(await pings(endpointNs(from.name), scenario.newAddress, 0.3)).toBe(false);
    });

    it("a hung bird6's endpoint routes are withdrawn within hold time + 1 s; resumed, they come back", async () => {
      const holdTimeMs = (report.topology.cluster.bgp?.holdTime ?? 6) * 1000;
      const hung = report.plan.nodes.find((n) => n.name === scenario.hang)!;
      const addresses = report.topology.endpoints.filter((e) => e.node === scenario.hang).flatMap((e) => e.addresses);
      // The agent would restart a bird6 that stops answering: kill the agent first (SIGKILL leaves
      // bird6 running; on SIGTERM the agent would shut bird6 down).
      const agent = readState(stateDir)!.processes.find((p) => p.role === `agent ${scenario.hang}`)!;
      await signalPid(agent.pid, 'KILL');
      await timeUntil(`agent ${scenario.hang} to exit`, async () => !isAlive(agent.pid), 5000);
      const bird = readPidFile(hung.birdPidFile)!;
      expect(bird).toBeGreaterThan(1);
      // SIGSTOP keeps its TCP sessions open (a crash would close them and, with graceful restart,
      // peers would keep the routes as stale): only the hold timer can tell the peers.
      await signalPid(bird, 'STOP');
      try {
        for (const address of addresses) {
          const withdrawn = await timeUntil(`${address} withdrawn`, () => everywhere(otherNodes(scenario.hang), address, false), holdTimeMs + 3000, 50);
          expect(withdrawn).toBeLessThanOrEqual(holdTimeMs + 1000);
        }
      } finally {
        await signalPid(bird, 'CONT');
      }
      for (const address of addresses) await timeUntil(`${address} restored`, () => everywhere(otherNodes(scenario.hang), address, true), 15_000, 50);
      const from = report.topology.endpoints.find((e) => e.node !== scenario.hang)!;
      expect(await pings(endpointNs(from.name), addresses[0]!, 2)).toBe(true);
    }, 40_000);
  });
}
