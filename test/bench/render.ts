// Render cost against bird6's own parse cost of the same file (issue: ratio <= 1.0), and the
// time to render every node of a 1,000-node route-reflector cluster (target < 2 s). Then whole
// processes (issue 13): the compiled `birdctl render --out` of a 300-node full mesh against
// `bird6 -p` of the 300 files it writes, one process each, in the same run (target <= 1.0); and
// the peak RSS and time of `render --out` for 1,000 and 2,000-node meshes (target < 300 MB: memory
// bounded by one node's file, not the cluster's; 2,000 nodes write 620 MB).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { render } from '../../src/render/render.ts';
import { parseTopology, type Topology } from '../../src/topology/index.ts';
import { formatIPv6 } from '../../src/topology/ipv6.ts';
import { compiledBirdctl } from './compiled-birdctl.ts';
import { interleaved, medianMs, percentiles, type BenchSuite, type KeyFigure } from './suite.ts';

const NODE_BASE = 0xfd00_00ec_0000_0000_0000_0000_0000_0000n;

function clusterDocument(nodeCount: number, reflectors: number) {
  return {
    apiVersion: 'bird6-controller/v1',
    cluster: { name: 'bench', asNumber: 64512, nodeToNodeMesh: reflectors === 0 },
    ipPools: [{ cidr: 'fd00:10::/48' }],
    nodes: Array.from({ length: nodeCount }, (_, i) => ({
      name: `node${i}`,
      address: formatIPv6(NODE_BASE + BigInt(i + 1)),
      ...(i < reflectors ? { routeReflector: { clusterId: '1.0.0.1' } } : reflectors > 0 ? { routeReflectorClient: { clusterId: '1.0.0.1' } } : {}),
    })),
  };
}

function cluster(nodeCount: number, reflectors: number): Topology {
  return parseTopology(clusterDocument(nodeCount, reflectors));
}

/** A full-mesh topology file (JSON, which is YAML) for the whole-process figures. */
function writeMeshTopology(dir: string, nodeCount: number): string {
  const file = join(dir, `mesh${nodeCount}.yaml`);
  writeFileSync(file, JSON.stringify(clusterDocument(nodeCount, 0)));
  return file;
}

/** `birdctl render FILE --out DIR` as a whole process; its output goes nowhere, its errors fail the run. */
function renderOut(file: string, out: string): void {
  execFileSync(process.execPath, [compiledBirdctl(), 'render', file, '--out', out], { stdio: ['ignore', 'ignore', 'pipe'] });
}

/** Peak RSS (GNU time's %M, in KiB) and wall time of one `render --out` process. */
function measuredRenderOut(file: string, out: string, dir: string): { peakMiB: number; seconds: number } {
  const report = join(dir, 'time.txt');
  execFileSync('/usr/bin/time', ['-o', report, '-f', '%M %e', process.execPath, compiledBirdctl(), 'render', file, '--out', out], { stdio: ['ignore', 'ignore', 'pipe'] });
  const [kib, seconds] = readFileSync(report, 'utf8').trim().split(/\s+/).slice(-2).map(Number) as [number, number];
  return { peakMiB: kib / 1024, seconds };
}

/** 300 MB, the goal's unit, in MiB. */
const PEAK_RSS_GOAL_MIB = 300e6 / 2 ** 20;
const WHOLE_ROUNDS = 5;

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

      // Whole processes: the bin that ships, and bird6 started once per file as the agents do.
      const mesh300 = writeMeshTopology(dir, 300);
      const out300 = join(dir, 'out300');
      renderOut(mesh300, out300);
      const files300 = readdirSync(out300).map((node) => join(out300, node, 'bird6.conf'));
      const [renderOutTimes, parseAllTimes] = await interleaved(WHOLE_ROUNDS, [
        () => renderOut(mesh300, out300),
        // xargs starts them: from this node process each spawn would cost more than bird6's parse.
        () => execFileSync('xargs', ['-0', '-n', '1', 'bird6', '-p', '-c'], { input: files300.join('\0'), stdio: ['pipe', 'ignore', 'pipe'] }),
      ]);
      const [renderOut300, parseAll300] = [median(renderOutTimes!), median(parseAllTimes!)];
      const large = [1000, 2000].map((nodeCount) => {
        const out = join(dir, `out${nodeCount}`);
        const measured = measuredRenderOut(writeMeshTopology(dir, nodeCount), out, dir);
        rmSync(out, { recursive: true, force: true });
        return { nodeCount, ...measured };
      });

      const row = (what: string, ours: number, birds: number) =>
        `| ${what} | ${ours.toFixed(1)} | ${birds.toFixed(1)} | ${(ours / birds).toFixed(2)} |`;
      const figures: KeyFigure[] = [
        { figure: 'render 1,000-node mesh, one node / `bird6 -p`', measured: renderMesh / parseMesh, unit: 'x', goal: { atMost: 1 } },
        { figure: 'render 1,000-node RR reflector / `bird6 -p`', measured: renderReflector / parseReflector, unit: 'x', goal: { atMost: 1 } },
        { figure: 'render all 1,000 nodes of the RR cluster', measured: renderAll, unit: 'ms', goal: { below: 2000 } },
        { figure: '`render --out` 300-node mesh / `bird6 -p` of its 300 files, processes', measured: renderOut300 / parseAll300, unit: 'x', goal: { atMost: 1 } },
        ...large.map(({ nodeCount, peakMiB }): KeyFigure => ({
          figure: `\`render --out\` ${nodeCount.toLocaleString('en')}-node mesh, peak RSS (goal 300 MB)`,
          measured: peakMiB,
          unit: 'MiB',
          goal: { below: PEAK_RSS_GOAL_MIB },
        })),
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
        '',
        `Whole processes, median of ${WHOLE_ROUNDS} rounds taking turns: the compiled \`birdctl render --out\` of a 300-node full mesh (300 files of 299 BGP protocols) against \`bird6 -p\` of those 300 files, one process each, started by xargs.`,
        '',
        '| 300-node full mesh | `render --out` ms | `bird6 -p` x 300 ms | ratio (target <= 1.0) |',
        '|---|---|---|---|',
        row('every node\'s files', renderOut300, parseAll300),
        '',
        'One `render --out` process per size (GNU time): peak RSS against the target of 300 MB (286 MiB), memory bounded by one node\'s file.',
        '',
        '| full mesh | sessions in total | wall s | peak RSS MiB |',
        '|---|---|---|---|',
        ...large.map((l) => `| ${l.nodeCount.toLocaleString('en')} nodes | ${(l.nodeCount * (l.nodeCount - 1)).toLocaleString('en')} | ${l.seconds.toFixed(1)} | ${l.peakMiB.toFixed(0)} |`),
      ].join('\n');
      return { markdown, figures };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
