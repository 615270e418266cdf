// Benchmark of `birdctl agent` against real bird6 in two network namespaces (prefix `abn`):
//  1. topology file written -> the new config active in bird6 (`show protocols` lists, or no longer
//     lists, an added or removed peer), beside the agent's own figure from its JSON log;
//  2. a BGP session going down (the peer node's bird6 killed) -> peerDown on the WebSocket stream
//     and the bgpBackwardTransNotification trap at a UDP receiver, at two poll intervals;
//  3. the agent's resident memory with 1,000 configured peers against the same agent with 2.
// The bench process joins the nodes' segment through a veth (fd00:ab::ff) to reach the listeners.
import dgram from 'node:dgram';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { ChildProcess } from 'node:child_process';
import WebSocket from 'ws';
import { stringify } from 'yaml';
import { BirdClient } from '../../src/birdc/client.ts';
import { parseShowProtocols } from '../../src/birdc/parse-protocols.ts';
import { BGP_BACKWARD_TRANS_NOTIFICATION, SNMP_TRAP_OID } from '../../src/snmp/oids.ts';
import { decodeTrap, type DecodedTrap } from '../snmp/ber.ts';
import { killByPidFile, NetnsTestbed, stop, waitFor } from '../support/netns.ts';
import { prng } from '../support/random-topology.ts';
import { compiledBirdctl } from './compiled-birdctl.ts';
import { sampledMemory } from './node-memory.ts';
import { percentiles, type BenchSuite, type KeyFigure } from './suite.ts';

const TOKEN = 'abn-bench-token';
const WS_URL = 'ws://[fd00:ab::1]:9180/';
const MESH_PEER = 'Mesh_fd00_ab__2';
const ADDED_PEER = 'Global_fd00_ab__fe';
const EDIT_RUNS = 20;
const KILL_RUNS = 8;
/** n2's agent is restarted (adopting the running bird6) every this many kills: see killSeries. */
const KILLS_PER_PEER_AGENT = 4;
const BIG_NODES = 1000;
const SETTLE_MS = 15_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function topology(options: { peer?: boolean; nodes?: number } = {}) {
  const extra = Math.max(0, (options.nodes ?? 2) - 2);
  return {
    apiVersion: 'bird6-controller/v1',
    cluster: { name: 'abn', asNumber: 64512, bgp: { holdTime: 3, keepaliveTime: 1 } },
    ipPools: [{ cidr: 'fd00:10::/48' }],
    nodes: [
      { name: 'n1', address: 'fd00:ab::1' },
      { name: 'n2', address: 'fd00:ab::2' },
      // On the nodes' /64 but nobody answers there: those sessions never come up.
      ...Array.from({ length: extra }, (_, i) => ({ name: `x${i}`, address: `fd00:ab::${(0x1000 + i).toString(16)}` })),
    ],
    peers: options.peer ? [{ name: 'tor', address: 'fd00:ab::fe', asNumber: 65001 }] : [],
  };
}

interface LogLine {
  time: string;
  msg: string;
  [key: string]: unknown;
}

/** One running agent, with its JSON log lines parsed as they arrive. */
class AgentRun {
  readonly lines: LogLine[] = [];
  private partial = '';

  constructor(readonly child: ChildProcess) {
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      const text = this.partial + chunk;
      const parts = text.split('\n');
      this.partial = parts.pop()!;
      for (const part of parts) {
        try {
          this.lines.push(JSON.parse(part) as LogLine);
        } catch {
          this.lines.push({ time: new Date().toISOString(), msg: part });
        }
      }
    });
  }

  /** The first log line with `msg` at or after index `from`, with its index. */
  find(msg: string, from = 0): { line: LogLine; index: number } | undefined {
    for (let i = from; i < this.lines.length; i += 1) if (this.lines[i]!.msg === msg) return { line: this.lines[i]!, index: i };
    return undefined;
  }

  async stop(): Promise<void> {
    await stop(this.child);
  }
}

interface Received<T> {
  value: T;
  /** performance.now() at receipt */
  t: number;
}

const f0 = (ms: number) => ms.toFixed(0);
const mib = (kb: number) => (kb / 1024).toFixed(1);

export const agentSuite: BenchSuite = {
  name: 'agent',
  title: 'birdctl agent: topology edit to bird6, session down to stream and trap, memory (issue 5)',
  async run() {
    // The compiled agent, as the lab and the image run it.
    const birdctl = compiledBirdctl();
    const bed = new NetnsTestbed('abn');
    const file = bed.path('cluster.yaml');
    const bigFile = bed.path('big.yaml');
    const hosts = ['n1', 'n2'].map((name) => ({ name, netns: '', dir: bed.path(name) }));
    const [n1, n2] = hosts as [(typeof hosts)[number], (typeof hosts)[number]];
    const agents: AgentRun[] = [];
    const clients: BirdClient[] = [];
    const sockets: WebSocket[] = [];
    const traps: Array<Received<DecodedTrap>> = [];
    let trapReceiver: dgram.Socket | undefined;
    const birdPidFile = (h: (typeof hosts)[number]) => join(h.dir, 'bird6.pid');
    // Seeded, so a run's kill times can be replayed.
    const random = prng(5);

    const startAgent = (h: (typeof hosts)[number], options: { file: string; pollMs: number; views: boolean; trapPort: number }) => {
      const views = options.views
        ? ['--ws', '[fd00:ab::1]:9180', '--ws-token-file', bed.path('token'), '--snmp', '[fd00:ab::1]:9161', '--snmp-community', 'abn-ro', '--snmp-trap', `[fd00:ab::ff]:${options.trapPort}`]
        : [];
      const run = new AgentRun(bed.start(h.netns, process.execPath, [
        birdctl, 'agent', options.file, '--node', h.name, '--config', join(h.dir, 'bird6.conf'), '--socket', join(h.dir, 'bird6.ctl'),
        // --keep-routes-on-stop: a restarted agent adopts the running bird6 (killSeries relies on it).
        '--bird', '--keep-routes-on-stop', '--poll-interval', String(options.pollMs), ...views,
      ], 'agent'));
      agents.push(run);
      return run;
    };

    const meshUp = (m: Record<string, any>) =>
      (m.type === 'snapshot' && m.peers.some((p: any) => p.name === MESH_PEER && p.bgpState === 'Established')) || (m.type === 'peerUp' && m.peer.name === MESH_PEER);

    /**
     * A stream client that records every message with its receipt time, opened once its snapshot
     * shows the mesh session Established. A snapshot taken before the agent's first poll is empty,
     * and that poll (the monitor's baseline) sends no event, so such a client is dropped and retried.
     */
    const openStream = () =>
      waitFor('a stream snapshot with the mesh session Established', async () => {
        const messages: Array<Received<Record<string, any>>> = [];
        const socket = new WebSocket(WS_URL, { headers: { Authorization: `Bearer ${TOKEN}` } });
        sockets.push(socket);
        socket.on('message', (data) => messages.push({ value: JSON.parse(String(data)), t: performance.now() }));
        socket.on('error', () => {});
        await waitFor('stream snapshot', () => messages[0], 5000, 20);
        if (meshUp(messages[0]!.value)) return messages;
        socket.terminate();
        return undefined;
      }, 30_000, 200);

    try {
      for (const h of hosts) {
        h.netns = bed.addNamespace(h.name);
        bed.run(undefined, 'mkdir', ['-p', h.dir]);
      }
      const sw = bed.connect(hosts.map((h, i) => ({ netns: h.netns, ifname: 'eth0', cidr: `fd00:ab::${i + 1}/64` })));
      bed.attachRoot(sw, 'abn-root', 'fd00:ab::ff/64');
      const receiver = dgram.createSocket('udp6');
      trapReceiver = receiver;
      receiver.on('message', (message) => traps.push({ value: decodeTrap(message), t: performance.now() }));
      await new Promise<void>((resolve) => receiver.bind(0, 'fd00:ab::ff', () => resolve()));
      const trapPort = receiver.address().port;
      writeFileSync(bed.path('token'), `${TOKEN}\n`);
      writeFileSync(file, stringify(topology()));

      let a1 = startAgent(n1, { file, pollMs: 500, views: true, trapPort });
      let a2 = startAgent(n2, { file, pollMs: 500, views: false, trapPort });
      await waitFor('stream listening', () => a1.find('WebSocket stream listening'), 15_000, 50);
      await openStream();

      // 1. Topology write -> config active in bird6.
      const control = new BirdClient({ socketPath: join(n1.dir, 'bird6.ctl'), reconnect: false, connectTimeoutMs: 1000 });
      clients.push(control);
      const protocolsOfN1 = async () => parseShowProtocols(await control.command('show protocols'), Date.now() / 1000);
      const listed = async () => (await protocolsOfN1()).some((p) => p.name === ADDED_PEER);
      const edit = { visible: [] as number[], agent: [] as number[], debounced: [] as number[], outcome: new Set<string>() };
      for (let r = 0; r < EDIT_RUNS; r += 1) {
        const adding = r % 2 === 0;
        const from = a1.lines.length;
        const wall = Date.now();
        const t0 = performance.now();
        writeFileSync(file, stringify(topology({ peer: adding })));
        // Every 5 ms, over one control connection: the resolution of the measurement.
        await waitFor(`${ADDED_PEER} ${adding ? 'listed' : 'gone'}`, async () => ((await listed()) === adding ? true : undefined), 5000, 5);
        edit.visible.push(performance.now() - t0);
        const applied = await waitFor('"bird6 config applied" logged', () => a1.find('bird6 config applied', from), 5000, 10);
        const changed = a1.find('topology changed', from);
        edit.agent.push(Date.parse(applied.line.time) - wall);
        if (changed !== undefined) edit.debounced.push(Date.parse(changed.line.time) - wall);
        edit.outcome.add(String(applied.line.detail));
        await sleep(500); // n2's agent applies the same edit; let both go quiet
      }

      // 2. Session down -> peerDown on the stream and the trap. The kill is made at a random point
      // of the poll cycle (the peerUp that precedes it arrives right after a poll).
      const killSeries = async (pollMs: number) => {
        await a1.stop();
        a1 = startAgent(n1, { file, pollMs, views: true, trapPort });
        const from = a1.lines.length;
        await waitFor('stream listening', () => a1.find('WebSocket stream listening', from), 15_000, 50);
        const messages = await openStream();
        const ws: number[] = [];
        const trap: number[] = [];
        const detected: number[] = [];
        for (let k = 0; k < KILL_RUNS; k += 1) {
          if (k % KILLS_PER_PEER_AGENT === 0) {
            // A fresh agent on n2 adopts the running bird6: its restart backoff (doubling from
            // 0.5 s for each death within 30 s) would otherwise make the later repetitions crawl.
            await a2.stop();
            a2 = startAgent(n2, { file, pollMs: 500, views: false, trapPort });
            await waitFor('n2 agent adopted bird6', () => a2.find('adopted the running bird6'), 15_000, 50);
          }
          await sleep(1000 + random() * pollMs);
          const seq = messages.at(-1)!.value.seq as number;
          const trapsBefore = traps.length;
          const wall = Date.now();
          const t0 = performance.now();
          if (!killByPidFile(birdPidFile(n2))) throw new Error("n2's bird6 was not running");
          const down = await waitFor('peerDown on the stream', () => messages.find((m) => m.value.seq > seq && m.value.type === 'peerDown' && m.value.peer.name === MESH_PEER), 5000, 2);
          const trapped = await waitFor('backward-transition trap', () =>
            traps.slice(trapsBefore).find((t) => t.value.varbinds.get(SNMP_TRAP_OID) === BGP_BACKWARD_TRANS_NOTIFICATION), 5000, 2);
          ws.push(down.t - t0);
          trap.push(trapped.t - t0);
          detected.push((down.value.at as number) - wall);
          await waitFor('session back after the restart', () => messages.find((m) => m.value.seq > down.value.seq && meshUp(m.value)), 30_000, 20);
        }
        return { pollMs, ws: percentiles(ws), trap: percentiles(trap), detected: percentiles(detected) };
      };
      const series = [await killSeries(500), await killSeries(200)];

      // 3. Memory: fresh agents (same flags, 500 ms polls) on the 2-node file, then on a 1,000-node one.
      const settledMemory = async (topologyFile: string) => {
        await a1.stop();
        a1 = startAgent(n1, { file: topologyFile, pollMs: 500, views: true, trapPort });
        // The file may equal the one in service ("unchanged" is logged at debug level only).
        if (topologyFile === bigFile) await waitFor('config applied', () => a1.find('bird6 config applied'), 20_000, 50);
        await waitFor('SNMP listening', () => a1.find('SNMP agent listening'), 20_000, 50);
        await waitFor('mesh Established', async () => ((await protocolsOfN1()).some((p) => p.name === MESH_PEER && p.info.startsWith('Established')) ? true : undefined), 20_000, 100);
        await sleep(SETTLE_MS);
        const memory = await sampledMemory(a1.child.pid!);
        const protocols = readFileSync(join(n1.dir, 'bird6.conf'), 'utf8').match(/^protocol bgp /gm)?.length ?? 0;
        return { ...memory, protocols };
      };
      writeFileSync(bigFile, stringify(topology({ nodes: BIG_NODES })));
      const small = await settledMemory(file);
      const big = await settledMemory(bigFile);

      const e = { visible: percentiles(edit.visible), agent: percentiles(edit.agent), debounced: percentiles(edit.debounced) };
      const row = (what: string, p: ReturnType<typeof percentiles>) => `| ${what} | ${f0(p.p50)} | ${f0(p.p95)} | ${f0(p.min)}-${f0(p.max)} |`;
      const figures: KeyFigure[] = [
        { figure: 'topology write -> config active in bird6, p95', measured: e.visible.p95, unit: 'ms', goal: { below: 1000 } },
        ...series.map((s): KeyFigure => ({ figure: `session down -> WebSocket peerDown, poll ${s.pollMs} ms, p95`, measured: s.ws.p95, unit: 'ms', goal: { below: 1000 } })),
        ...series.map((s): KeyFigure => ({ figure: `session down -> SNMP trap, poll ${s.pollMs} ms, p95`, measured: s.trap.p95, unit: 'ms', goal: { below: 1000 } })),
        { figure: 'agent VmRSS, 2 nodes, stream + SNMP on', measured: small.rss.p50 / 1024, unit: 'MiB', goal: { atMost: 60 } },
      ];
      const markdown = `
Two nodes in network namespaces, each with \`birdctl agent --bird\` (which started its bird6); the bench process
reaches n1's WebSocket stream and receives its traps through a veth on the nodes' segment.

**1. Topology file written -> new config active in n1's bird6.** ${EDIT_RUNS} writes adding, then removing,
one peer (${ADDED_PEER}); the bench asks n1's bird6 \`show protocols\` every 5 ms over its control socket.
The agent's own figures come from its JSON log (ms resolution): "topology changed" (after the 100 ms debounce
and the file's load) and "bird6 config applied" (render, \`bird6 -p\`, rename, \`configure\`, reply received; ${[...edit.outcome].join(', ')}).

| write -> | p50 ms | p95 ms | range ms |
|---|---:|---:|---:|
${row('agent log "topology changed" (debounce 100 ms + load)', e.debounced)}
${row('agent log "bird6 config applied" (reply received)', e.agent)}
${row('`show protocols` lists / no longer lists the peer (target < 1,000)', e.visible)}

**2. BGP session down -> peerDown on the WebSocket stream and bgpBackwardTransNotification at the receiver.**
n2's bird6 killed with SIGKILL (its kernel closes the TCP session at once, so n1's bird6 sees it down at once;
n2's agent restarts it), ${KILL_RUNS} kills per poll interval at a random point of n1's poll cycle. "Poll saw it" is the
monitor's event time minus the kill: the wait for the next poll plus the poll itself. A poll starts \`--poll-interval\` ms
after the previous one ended, so the expected wait alone is about half the interval.

| n1 \`--poll-interval\` | poll saw it p50 / p95 ms | WebSocket peerDown p50 / p95 ms (range) | SNMP trap p50 / p95 ms (range) |
|---:|---:|---:|---:|
${series.map((s) => `| ${s.pollMs} ms | ${f0(s.detected.p50)} / ${f0(s.detected.p95)} | ${f0(s.ws.p50)} / ${f0(s.ws.p95)} (${f0(s.ws.min)}-${f0(s.ws.max)}) | ${f0(s.trap.p50)} / ${f0(s.trap.p95)} (${f0(s.trap.min)}-${f0(s.trap.max)}) |`).join('\n')}

Target < 1,000 ms. The delivery after the poll (stream message, trap datagram) is the difference between the
columns: the poll interval is where the time goes.

**3. Agent resident memory (VmRSS of the compiled agent's node process), fresh agents, same flags,**
after the config is applied, the mesh session is up and ${SETTLE_MS / 1000} s more (5 samples 1 s apart).

RssAnon is V8's heap and malloc; RssFile the pages of the node binary and its libraries that the process touched
(about 34 MiB for an idle \`node -e\`), both at the last sample. Goal (2 nodes): VmRSS <= 60 MiB.

| topology | BGP protocols in n1's bird6.conf | VmRSS median MiB (range) | RssAnon MiB | RssFile MiB | VmHWM MiB | ratio |
|---|---:|---:|---:|---:|---:|---:|
| 2 nodes (baseline) | ${small.protocols} | ${mib(small.rss.p50)} (${mib(small.rss.min)}-${mib(small.rss.max)}) | ${mib(small.anon)} | ${mib(small.file)} | ${mib(small.hwm)} | 1.00 |
| ${BIG_NODES.toLocaleString('en')} nodes, only n1 and n2 real | ${big.protocols} | ${mib(big.rss.p50)} (${mib(big.rss.min)}-${mib(big.rss.max)}) | ${mib(big.anon)} | ${mib(big.file)} | ${mib(big.hwm)} | ${(big.rss.p50 / small.rss.p50).toFixed(2)} |
`;
      return { markdown, figures };
    } finally {
      for (const socket of sockets) socket.terminate();
      trapReceiver?.close();
      await Promise.all(clients.map((c) => c.close()));
      await Promise.all(agents.map((a) => a.stop()));
      // The agent leaves bird6 running by design: kill it by the PID in its pid file.
      for (const h of hosts) killByPidFile(birdPidFile(h));
      await bed.cleanup();
    }
  },
};
