// Render cost against bird6's own parse cost of the same file (issue: ratio <= 1.0), and the
// time to render every node of a 1,000-node route-reflector cluster (target < 2 s).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { render } from '../../src/render/render.ts';
import { parseTopology, type Topology } from '../../src/topology/index.ts';
import { formatIPv6 } from '../../src/topology/ipv6.ts';
import { interleaved, medianMs, percentiles, type BenchSuite, type KeyFigure } from './suite.ts';

const NODE_BASE = 0xfd00_00ec_0000_0000_0000_0000_0000_0000n;

function cluster(nodeCount: number, reflectors: number): Topology {
  return parseTopology({
    apiVersion: 'bird6-controller/v1',
    cluster: { name: 'bench', asNumber: 64512, nodeToNodeMesh: reflectors === 0 },
    ipPools: [{ cidr: 'fd00:10::/48' }],
    nodes: Array.from({ length: nodeCount }, (_, i) => ({
      name: `node${i}`,
      address: formatIPv6(NODE_BASE + BigInt(i + 1)),
      ...(i < reflectors ? { routeReflector: { clusterId: '1.0.0.1' } } : reflectors > 0 ? { routeReflectorClient: { clusterId: '1.0.0.1' } } : {}),
    })),
  });
}

export const renderSuite: BenchSuite = {
  name: 'render',
  title: 'Rendering bird6.conf (issue 2)',
  async run() {
    const dir = mkdtempSync(join(tmpdir(), 'bench-render-'));
    try {
      const mesh = cluster(1000, 0);
      const meshFile = join(dir, 'mesh-node0.conf');
      writeFileSync(meshFile, render(mesh, 'node0'));
      const median = (times: number[]) => percentiles(times).p50;
      const [renderMesh, parseMesh] = (await interleaved(31, [() => render(mesh, 'node0'), () => execFileSync('bird6', ['-p', '-c', meshFile])])).map(median) as [number, number];

      const rr = cluster(1000, 2);
      const rrFile = join(dir, 'rr-node0.conf');
      writeFileSync(rrFile, render(rr, 'node0'));
      const [renderReflector, parseReflector] = (await interleaved(31, [() => render(rr, 'node0'), () => execFileSync('bird6', ['-p', '-c', rrFile])])).map(median) as [number, number];
      const renderAll = await medianMs(5, () => rr.nodes.forEach((n) => render(rr, n.name)));
      const loadRr = await medianMs(5, () => cluster(1000, 2));

      const row = (what: string, ours: number, birds: number) =>
        `| ${what} | ${ours.toFixed(1)} | ${birds.toFixed(1)} | ${(ours / birds).toFixed(2)} |`;
      const figures: KeyFigure[] = [
        { figure: 'render 1,000-node mesh, one node / `bird6 -p`', measured: renderMesh / parseMesh, unit: 'x', goal: { atMost: 1 } },
        { figure: 'render 1,000-node RR reflector / `bird6 -p`', measured: renderReflector / parseReflector, unit: 'x', goal: { atMost: 1 } },
        { figure: 'render all 1,000 nodes of the RR cluster', measured: renderAll, unit: 'ms', goal: { below: 2000 } },
      ];
      const markdown = [
        'Median of 31 rounds, render and `bird6 -p` taking turns (after warm-ups), so load on this shared machine falls on both alike; `bird6 -p` includes process start, as the agent pays it too.',
        '',
        '| config (999 BGP protocols) | render ms | `bird6 -p` ms | ratio (target <= 1.0) |',
        '|---|---|---|---|',
        row('1,000-node full mesh, one node', renderMesh, parseMesh),
        row('1,000-node RR cluster, a reflector', renderReflector, parseReflector),
        '',
        `All 1,000 nodes of the RR cluster (2 reflectors, 998 clients) render in **${renderAll.toFixed(0)} ms** (target < 2,000 ms); loading and validating that topology takes ${loadRr.toFixed(0)} ms.`,
      ].join('\n');
      return { markdown, figures };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
