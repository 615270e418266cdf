// The testbed of the config fault tests: two hosts in network namespaces with a BGP mesh session,
// each with a bird6 the test started itself (so it can SIGSTOP them and knows their PIDs). n1's
// bird6.conf belongs to a real `birdctl agent` (started, killed and restarted by the test, resync
// every second); n2 keeps the config it started with. "bird6 runs the topology" is judged by what
// bird6 reports: the BGP protocols `show protocols` lists must be exactly those of the render.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ChildProcess } from 'node:child_process';
import { stringify } from 'yaml';
import type { ProtocolRow } from '../../src/birdc/parse-protocols.ts';
import { render } from '../../src/render/render.ts';
import { parseTopology } from '../../src/topology/index.ts';
import { showProtocols } from '../support/bird-control.ts';
import { NetnsTestbed, stop, waitFor } from '../support/netns.ts';

const BIRDCTL = fileURLToPath(new URL('../../src/cli/birdctl.mjs', import.meta.url));
export const RESYNC_MS = 1000;
const MESH = { n1: 'Mesh_fd00_ec__2', n2: 'Mesh_fd00_ec__1' } as const;

/** The cluster with external peers numbered `peers` (they never answer: only their protocols matter). */
function topology(peers: readonly number[]) {
  return {
    apiVersion: 'bird6-controller/v1',
    // A hold time longer than the hung-bird6 test stops bird6 for, so that the session survives it.
    cluster: { name: 'fcfg', asNumber: 64512, bgp: { holdTime: 30, keepaliveTime: 10 } },
    ipPools: [{ cidr: 'fd00:10::/48' }],
    nodes: [
      { name: 'n1', address: 'fd00:ec::1' },
      { name: 'n2', address: 'fd00:ec::2' },
    ],
    peers: peers.map((p) => ({ name: `tor${p}`, address: `fd00:ec::${(0x100 + p).toString(16)}`, asNumber: 65001 })),
  };
}

const rendered = (peers: readonly number[], node = 'n1') => render(parseTopology(topology(peers)), node);

/** The BGP protocol names a config defines. */
function bgpProtocolsOf(config: string): string[] {
  return [...config.matchAll(/^protocol bgp (\S+)/gm)].map((m) => m[1]!).sort();
}

interface Host {
  name: 'n1' | 'n2';
  netns: string;
  config: string;
  socket: string;
  bird: ChildProcess;
}

export class ConfigFaultBed {
  readonly bed: NetnsTestbed;
  readonly file: string;
  readonly hosts: Record<'n1' | 'n2', Host> = {} as Record<'n1' | 'n2', Host>;
  agent: ChildProcess | undefined;
  /** every line the agents logged, across restarts */
  log: string[] = [];

  constructor(prefix: string) {
    this.bed = new NetnsTestbed(prefix);
    this.file = this.bed.path('cluster.yaml');
  }

  /** Namespaces, both bird6 on the first topology, n1's config in `n1ConfigDir`; waits for the mesh. */
  async setUp(peers: readonly number[], n1ConfigDir = this.bed.path('n1')): Promise<void> {
    const netns = { n1: this.bed.addNamespace('n1'), n2: this.bed.addNamespace('n2') };
    this.bed.connect([
      { netns: netns.n1, ifname: 'eth0', cidr: 'fd00:ec::1/64' },
      { netns: netns.n2, ifname: 'eth0', cidr: 'fd00:ec::2/64' },
    ]);
    this.edit(peers);
    for (const name of ['n1', 'n2'] as const) {
      const dir = name === 'n1' ? n1ConfigDir : this.bed.path('n2');
      this.bed.run(undefined, 'mkdir', ['-p', dir]);
      const config = join(dir, 'bird6.conf');
      writeFileSync(config, rendered(peers, name));
      const { child, socket } = this.bed.startBird(netns[name], config, `${name}-bird6`);
      this.hosts[name] = { name, netns: netns[name], config, socket, bird: child };
    }
    await waitFor('mesh Established', async () => ((await this.established('n1')) && (await this.established('n2')) ? true : undefined), 15_000, 50);
  }

  edit(peers: readonly number[]): void {
    writeFileSync(this.file, stringify(topology(peers)));
  }

  startAgent(): ChildProcess {
    const h = this.hosts.n1;
    const child = this.bed.start(h.netns, process.execPath, [
      BIRDCTL, 'agent', this.file, '--node', 'n1', '--config', h.config, '--socket', h.socket,
      '--resync-interval', String(RESYNC_MS / 1000), '--poll-interval', '1000', '--log-level', 'debug',
    ], 'agent');
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => this.log.push(chunk));
    this.agent = child;
    return child;
  }

  async stopAgent(): Promise<void> {
    if (this.agent !== undefined) await stop(this.agent);
  }

  /** Waits until the agent logged a line matching `pattern` after `from` (an index into log). */
  logged(pattern: RegExp, timeoutMs: number, from = 0): Promise<string> {
    return waitFor(`log ${pattern}`, () => this.log.slice(from).join('').split('\n').find((l) => pattern.test(l)), timeoutMs, 20);
  }

  protocols(name: 'n1' | 'n2'): Promise<ProtocolRow[]> {
    return showProtocols(this.hosts[name].socket);
  }

  async established(name: 'n1' | 'n2'): Promise<ProtocolRow | undefined> {
    return (await this.protocols(name)).find((p) => p.name === MESH[name] && p.info.startsWith('Established'));
  }

  /** The BGP protocols n1's bird6 runs. */
  async runningBgp(): Promise<string[]> {
    return (await this.protocols('n1')).filter((p) => p.proto === 'BGP').map((p) => p.name).sort();
  }

  /** Milliseconds until n1's bird6 runs exactly the BGP protocols of `peers`' render. */
  async runs(peers: readonly number[], timeoutMs: number): Promise<number> {
    const started = Date.now();
    const want = bgpProtocolsOf(rendered(peers)).join(' ');
    await waitFor(`bird6 on peers ${peers.join(',')}`, async () => ((await this.runningBgp()).join(' ') === want ? true : undefined), timeoutMs, 20);
    return Date.now() - started;
  }

  /** `bird6 -p` on n1's config file: throws with bird6's message when the file is not valid. */
  checkOnDisk(): void {
    this.bed.run(undefined, 'bird6', ['-p', '-c', this.hosts.n1.config]);
  }

  async cleanUp(): Promise<void> {
    await this.bed.cleanup();
  }
}
