// The bundled birdctl (npm run build, scripts/build.mjs) as a lab runs it: `lab up` from
// dist/cli/bin.js starts its orchestrator and its agents with that same bin (src/birdctl-self.ts
// finds it from the install directory, wherever esbuild put the module's code), the agents render
// from bird-templates/ and program their endpoints, `lab status` and `lab down` work from it too;
// and an agent from it serves its views (SNMP through net-snmp, kept out of the bundle by
// scripts/build.mjs; the WebSocket stream and the metrics, bundled). Prefix `bldl` (the views'
// testbed `bldl-v`), a scratch build (test/support/scratch-build.ts) and a temporary state dir.
import { execFile, type ChildProcess } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { processRunner } from '../../src/exec.ts';
import { labDown } from '../../src/lab/down.ts';
import { readState } from '../../src/lab/state.ts';
import { isAlive } from '../../src/proc.ts';
import { describeIntegration } from '../support/integration.ts';
import { killByPidFile, NetnsTestbed, stop, waitFor } from '../support/netns.ts';
import { scratchBuild, type ScratchBuild } from '../support/scratch-build.ts';
import { namespacesWithPrefix } from '../lab/lab-driver.ts';
import { smallestLab } from '../lab/topology-copy.ts';

const PREFIX = 'bldl';
const execFileAsync = promisify(execFile);
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** argv of a running process, from /proc. */
const argvOf = (pid: number) => readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').slice(0, -1);

describeIntegration('lab from the bundled birdctl', { root: true, netns: true, binaries: ['bird6', 'ip', 'kill', 'snmpget'] }, () => {
  // Two hosts, one container on node1.
  const { work, stateDir, file } = smallestLab(PREFIX);
  let build: ScratchBuild | undefined;
  const compiled = (...argv: string[]) =>
    execFileAsync(process.execPath, [build!.bin, 'lab', ...argv, '--prefix', PREFIX, '--state-dir', stateDir], { cwd: build!.dir }).then(
      (r) => ({ exitCode: 0, stdout: r.stdout, stderr: r.stderr }),
      (error: { code?: number; stdout: string; stderr: string }) => ({ exitCode: error.code ?? -1, stdout: error.stdout, stderr: error.stderr }),
    );
  const down = () => labDown({ stateDir, prefix: PREFIX }, { runner: processRunner, sleep });

  beforeAll(async () => {
    await down();
    build = await scratchBuild(`${PREFIX}-build-`);
  }, 60_000);
  afterAll(async () => {
    await down();
    rmSync(work, { recursive: true, force: true });
    if (build !== undefined) rmSync(build.dir, { recursive: true, force: true });
  }, 30_000);

  it('lab up converges, with the orchestrator and every agent running the bundled bin', async () => {
    const up = await compiled('up', file, '--timeout', '30');
    expect(up.exitCode, up.stderr).toBe(0);
    const state = readState(stateDir)!;
    const agents = state.processes.filter((p) => p.role.startsWith('agent '));
    expect(agents.map((a) => a.role)).toEqual(['agent node1', 'agent node2']);
    for (const pid of [state.orchestrator!.pid, ...agents.map((a) => a.pid)]) expect(argvOf(pid).slice(0, 2)).toEqual([process.execPath, build!.bin]);
  }, 45_000);

  it('lab status --json from the bundle: sessions Established, the endpoint programmed and everywhere', async () => {
    const result = await compiled('status', '--json');
    expect(result.exitCode, result.stderr).toBe(0);
    const status = JSON.parse(result.stdout) as { nodes: Array<{ sessions: Array<{ bgpState: string }> }>; endpoints: Array<{ state: string; everywhere: boolean }> };
    expect(status.nodes.map((n) => n.sessions.map((s) => s.bgpState))).toEqual([['Established'], ['Established']]);
    expect(status.endpoints.map((e) => [e.state, e.everywhere])).toEqual([['programmed', true]]);
  });

  it('lab down from the bundle stops every process and leaves no namespace', async () => {
    const state = readState(stateDir)!;
    const pids = [state.orchestrator!.pid, ...state.processes.map((p) => p.pid)];
    const result = await compiled('down');
    expect(result.exitCode, result.stderr).toBe(0);
    expect(pids.filter(isAlive)).toEqual([]);
    expect(namespacesWithPrefix(PREFIX)).toEqual([]);
  }, 30_000);

  it('an agent from the bundle answers SNMP, streams its snapshot and serves its metrics', async () => {
    const bed = new NetnsTestbed(`${PREFIX}-v`);
    let agent: ChildProcess | undefined;
    try {
      const netns = bed.addNamespace('n1');
      bed.run(netns, 'ip', ['-6', 'addr', 'add', 'fd00:bd::1/128', 'dev', 'lo']);
      const topology = bed.path('cluster.json');
      writeFileSync(topology, JSON.stringify({ apiVersion: 'bird6-controller/v1', cluster: { name: 'bldv', asNumber: 64512 }, ipPools: [{ cidr: 'fd00:10::/48' }], nodes: [{ name: 'n1', address: 'fd00:bd::1' }, { name: 'n2', address: 'fd00:bd::2' }] }));
      agent = bed.start(netns, process.execPath, [
        build!.bin, 'agent', topology, '--node', 'n1', '--config', bed.path('bird6.conf'), '--socket', bed.path('bird6.ctl'), '--bird',
        '--snmp', '[::1]:9161', '--snmp-community', 'bldv-ro', '--ws', '[::1]:9180', '--metrics', '[::1]:9190',
      ]);
      const localAs = await waitFor('bgpLocalAs over SNMP', () => {
        try {
          return bed.run(netns, 'snmpget', ['-v2c', '-c', 'bldv-ro', '-Oqv', '-r', '0', '-t', '1', 'udp6:[::1]:9161', '1.3.6.1.2.1.15.2.0']).trim();
        } catch {
          return undefined;
        }
      }, 20_000, 500);
      expect(localAs).toBe('64512');
      // A client in the node's namespace, with the ws package of node_modules.
      const client = `const WebSocket = require(${JSON.stringify(join(build!.dir, 'node_modules/ws'))});
        const socket = new WebSocket('ws://[::1]:9180');
        socket.once('message', async (m) => { const metrics = await (await fetch('http://[::1]:9190/metrics')).text();
          console.log(JSON.stringify({ type: JSON.parse(String(m)).type, up: /^bird_socket_query_success 1$/m.test(metrics) })); process.exit(0); });
        socket.once('error', (e) => { console.error(e.message); process.exit(1); });`;
      expect(JSON.parse(bed.run(netns, process.execPath, ['-e', client]))).toEqual({ type: 'snapshot', up: true });
    } finally {
      // SIGTERM with --bird shuts the agent's bird6 down too; its pid file catches one left behind,
      // before cleanup removes the testbed's directory.
      if (agent !== undefined) await stop(agent);
      killByPidFile(bed.path('bird6.pid'));
      await bed.cleanup();
    }
  }, 40_000);
});
