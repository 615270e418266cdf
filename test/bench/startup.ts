// Start-up cost of whole birdctl processes (issue 13): `--help`, `status` with bird6 down (the
// compose healthcheck) and `validate topology/example.yaml`, as ratios against `node -e 0` in the
// same run, for the compiled bin (what ships) and the tsx entry (what shipped before); the modules
// each one loads; and the resident memory of a compiled agent against one through tsx, each on a
// 2-node topology with real bird6 in network namespaces (prefix `bldsu`).
import { spawnSync, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { showProtocols } from '../support/bird-control.ts';
import { runRecordingLoads } from '../support/birdctl-loads.ts';
import { killByPidFile, NetnsTestbed, stop, waitFor } from '../support/netns.ts';
import { compiledBirdctl, SOURCE_BIRDCTL } from './compiled-birdctl.ts';
import { sampledMemory } from './node-memory.ts';
import { interleaved, percentiles, type BenchSuite, type KeyFigure } from './suite.ts';

const ROOT = join(import.meta.dirname, '../..');
const ROUNDS = 15;
const SETTLE_MS = 10_000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Case {
  what: string;
  args: string[];
  exitCode: number;
  /** the most it may take, as a multiple of `node -e 0` */
  goal: number;
}

/** One whole process, to its exit; a wrong exit code fails the run rather than timing an error path. */
function runNode(args: string[], exitCode: number): void {
  const result = spawnSync(process.execPath, args, { cwd: ROOT, stdio: 'ignore' });
  if (result.status !== exitCode) throw new Error(`node ${args.join(' ')} exited ${result.status}, expected ${exitCode}`);
}

/** Whether the bird6 at `socket` has an Established session. */
async function meshEstablished(socket: string): Promise<true | undefined> {
  return (await showProtocols(socket)).some((p) => p.info.startsWith('Established')) ? true : undefined;
}

/**
 * Two agents (`--bird`, nothing else on) on a 2-node topology; once n1's mesh session is
 * Established and SETTLE_MS more have passed, n1's agent's VmRSS (median of 5 samples 1 s apart)
 * and VmHWM, in kB.
 */
async function agentMemory(bed: NetnsTestbed, entry: string, hosts: Array<{ name: string; netns: string; dir: string }>, file: string) {
  const agents: ChildProcess[] = [];
  try {
    for (const h of hosts) {
      // No log name: the agents' output is not read, so it goes nowhere rather than into pipes drained for nothing.
      agents.push(bed.start(h.netns, process.execPath, [entry, 'agent', file, '--node', h.name, '--config', join(h.dir, 'bird6.conf'), '--socket', join(h.dir, 'bird6.ctl'), '--bird']));
    }
    await waitFor('n1 mesh session Established', () => meshEstablished(join(hosts[0]!.dir, 'bird6.ctl')), 30_000, 200);
    await sleep(SETTLE_MS);
    return await sampledMemory(agents[0]!.pid!);
  } finally {
    // SIGTERM with --bird shuts each agent's bird6 down too; the pid files catch any left behind.
    await Promise.all(agents.map((a) => stop(a)));
    for (const h of hosts) killByPidFile(join(h.dir, 'bird6.pid'));
  }
}

export const startupSuite: BenchSuite = {
  name: 'startup',
  title: 'birdctl start-up and agent memory: compiled (npm run build) against tsx (issue 13)',
  async run() {
    const bin = compiledBirdctl();
    const bed = new NetnsTestbed('bldsu');
    try {
      const cases: Case[] = [
        { what: '`birdctl --help`', args: ['--help'], exitCode: 0, goal: 2 },
        { what: '`birdctl status`, bird6 down', args: ['status', '--socket', bed.path('no-bird6.ctl')], exitCode: 1, goal: 2 },
        { what: '`birdctl validate topology/example.yaml`', args: ['validate', 'topology/example.yaml'], exitCode: 0, goal: 3 },
      ];
      const contenders = [
        () => runNode(['-e', '0'], 0),
        ...cases.map((c) => () => runNode([bin, ...c.args], c.exitCode)),
        ...cases.map((c) => () => runNode([SOURCE_BIRDCTL, ...c.args], c.exitCode)),
      ];
      const medians = (await interleaved(ROUNDS, contenders)).map((times) => percentiles(times).p50);
      const node = medians[0]!;
      const compiled = medians.slice(1, 1 + cases.length);
      const tsx = medians.slice(1 + cases.length);
      const loads: Array<{ compiled: number; tsx: number }> = [];
      for (const c of cases) loads.push({ compiled: (await runRecordingLoads(bin, c.args, ROOT)).urls.length, tsx: (await runRecordingLoads(SOURCE_BIRDCTL, c.args, ROOT)).urls.length });

      const hosts = ['n1', 'n2'].map((name, i) => ({ name, netns: bed.addNamespace(name), dir: bed.path(name), cidr: `fd00:bd::${i + 1}/64` }));
      for (const h of hosts) bed.run(undefined, 'mkdir', ['-p', h.dir]);
      bed.connect(hosts.map((h) => ({ netns: h.netns, ifname: 'eth0', cidr: h.cidr })));
      const file = bed.path('cluster.json');
      writeFileSync(
        file,
        JSON.stringify({
          apiVersion: 'bird6-controller/v1',
          cluster: { name: 'bldsu', asNumber: 64512, bgp: { holdTime: 3, keepaliveTime: 1 } },
          ipPools: [{ cidr: 'fd00:10::/48' }],
          nodes: hosts.map((h, i) => ({ name: h.name, address: `fd00:bd::${i + 1}` })),
        }),
      );
      const memory = { compiled: await agentMemory(bed, bin, hosts, file), tsx: await agentMemory(bed, SOURCE_BIRDCTL, hosts, file) };

      const ms = (v: number) => v.toFixed(0);
      const mib = (kb: number) => (kb / 1024).toFixed(1);
      const figures: KeyFigure[] = [
        ...cases.map((c, i): KeyFigure => ({ figure: `${c.what} / \`node -e 0\``, measured: compiled[i]! / node, unit: 'x', goal: { atMost: c.goal } })),
        { figure: 'agent VmRSS, 2 nodes (compiled, `--bird` only)', measured: memory.compiled.rss.p50 / 1024, unit: 'MiB', goal: { atMost: 60 } },
      ];
      const memoryRow = (what: string, m: typeof memory.compiled) => `| ${what} | ${mib(m.rss.p50)} (${mib(m.rss.min)}-${mib(m.rss.max)}) | ${mib(m.hwm)} |`;
      const markdown = [
        `Whole processes, median of ${ROUNDS} rounds in which every contender runs once in turn (after 3 warm-ups each), so load on this shared machine falls on all alike. \`node -e 0\`: **${ms(node)} ms**. "Modules" is how many modules the process resolved and built-ins it loaded (test/support/record-loads.mjs): through tsx, the time above \`node -e 0\` is mostly loading them; compiled, the program is one bundle, run from the V8 code cache the build made (scripts/build.mjs).`,
        '',
        '| command | compiled ms | ratio (goal) | modules | tsx ms | ratio | modules |',
        '|---|---:|---:|---:|---:|---:|---:|',
        ...cases.map((c, i) => `| ${c.what} | ${ms(compiled[i]!)} | ${(compiled[i]! / node).toFixed(2)} (<= ${c.goal}) | ${loads[i]!.compiled} | ${ms(tsx[i]!)} | ${(tsx[i]! / node).toFixed(2)} | ${loads[i]!.tsx} |`),
        '',
        `Agent memory: n1's \`birdctl agent --bird\` on a 2-node topology (mesh session Established, then ${SETTLE_MS / 1000} s more; 5 samples 1 s apart), no stream or SNMP. Goal: VmRSS <= 60 MiB.`,
        '',
        '| agent | VmRSS median MiB (range) | VmHWM MiB |',
        '|---|---:|---:|',
        memoryRow('compiled (`dist/cli/bin.js`)', memory.compiled),
        memoryRow('tsx (`src/cli/birdctl.mjs`)', memory.tsx),
      ].join('\n');
      return { markdown, figures };
    } finally {
      await bed.cleanup();
    }
  },
};
