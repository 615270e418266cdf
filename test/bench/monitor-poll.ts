// Benchmark: one monitor poll of a bird6 with 1,000 BGP protocols, against the baseline of running
// `birdc6 show protocols all` as a process and parsing its output, in the same run. The neighbours
// never answer, so every session sits in Connect/Active, which is the larger `all` output per
// protocol that a real outage would produce.
//
// The monitor remembers each protocol's last block and its parse and parses only blocks whose text
// changed, but for the hold and keepalive timer lines, which it reads again alone
// (src/birdc/protocol-blocks-cache.ts); with sessions that never come up no block changes between
// two polls. Those sessions print no timers, so a second monitor row adds a `Hold timer:` and a
// `Keepalive timer:` line to every BGP block, with values that change at every poll, as established
// sessions' timers count down each second: the common production case. Its baseline's replies get
// the same lines, so both parse the same text. A third makes every block
// differ at every poll otherwise: the worst case, when nothing can be reused. The baseline parses
// everything, as a birdc6 process remembers nothing.
import { execFile } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import { writeFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { BirdClient, type BirdCommands } from '../../src/birdc/client.ts';
import { ReplyFramer } from '../../src/birdc/framing.ts';
import { ProtocolsParser, parseShowProtocolsAll } from '../../src/birdc/parse-protocols.ts';
import { protocolName } from '../../src/peering/protocol-names.ts';
import type { Reply, ReplyBlock } from '../../src/birdc/reply.ts';
import { createBirdMonitor, createSessionMonitor } from '../../src/monitor/session-monitor.ts';
import { NetnsTestbed, waitFor } from '../support/netns.ts';
import { interleaved, percentiles, type BenchSuite, type KeyFigure } from './suite.ts';

const PEERS = 1000;
const RUNS = 40;
const execFileAsync = promisify(execFile);

function config(): string {
  const lines = [
    'router id 10.255.0.1;',
    'timeformat protocol "%s";',
    'protocol device { scan time 10; }',
    'template bgp mesh { local as 64512; direct; gateway direct; import all; export none; connect retry time 30; }',
  ];
  for (let i = 0; i < PEERS; i += 1) {
    const address = `fd00:ec::${(0x1000 + i).toString(16)}`;
    lines.push(`protocol bgp ${protocolName('node-to-node mesh', address)} from mesh { source address fd00:ec::1; neighbor ${address} as 64512; }`);
  }
  return `${lines.join('\n')}\n`;
}

/**
 * birdc6 -v prints BIRD's lines with their codes but indents continuations by five spaces and
 * leaves out the final `0000` line; put both back and parse with the same parser.
 */
function parseBirdcOutput(stdout: string): Reply {
  let reply: Reply | undefined;
  const framer = new ReplyFramer({ reply: (r) => (reply = r), async: () => {} });
  const wire = stdout
    .split('\n')
    .slice(1)
    .filter((line) => line !== '')
    .map((line) => (/^\d{4}[ -]/.test(line) ? line : ` ${line.slice(5)}`))
    .join('\n');
  framer.push(Buffer.from(`${wire}\n0000 \n`));
  return reply!;
}


/**
 * `onBlock` given each block with, in every BGP block (its row, the 1002 block before it, says BGP),
 * the hold and keepalive timer lines of an established session before its last (empty) line, as
 * BIRD prints them, at `countdown` seconds since a keepalive and an update came: lines the
 * neighbours of this bench, which never answer, do not make BIRD print.
 */
function withEstablishedTimers(onBlock: (block: ReplyBlock) => void, countdown: number): (block: ReplyBlock) => void {
  // Made once per reply, not per block: every session of a reply shows the same timers.
  const hold = `     Hold timer:       ${240 - (countdown % 240)}/240`;
  const keepalive = `     Keepalive timer:  ${80 - (countdown % 80)}/80`;
  let bgp = false;
  return (block) => {
    if (block.code === 1002) bgp = block.lines[0]!.includes(' BGP ');
    else if (block.code === 1006 && bgp) block.lines.splice(block.lines.length - 1, 0, hold, keepalive);
    onBlock(block);
  };
}

/** A plain connection to the control socket, greeted. */
function rawConnection(path: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ path });
    socket.once('error', reject);
    socket.once('data', () => resolve(socket));
  });
}

/** Sends a command and resolves once the reply's final `0000 ` line has arrived, keeping nothing. */
function rawCommand(socket: Socket, command: string): Promise<void> {
  return new Promise((resolve) => {
    let tail = '';
    const onData = (chunk: Buffer) => {
      tail = (tail + chunk.toString('latin1', Math.max(0, chunk.length - 8))).slice(-8);
      if (!tail.endsWith('\n0000 \n')) return;
      socket.off('data', onData);
      resolve();
    };
    socket.on('data', onData);
    socket.write(`${command}\n`);
  });
}

export const monitorPollSuite: BenchSuite = {
  name: 'monitor-poll',
  title: `Monitor poll of ${PEERS.toLocaleString('en')} BGP peers vs birdc6 process`,
  async run() {
    const testbed = new NetnsTestbed('bbn');
    const monitor = { current: undefined as ReturnType<typeof createBirdMonitor> | undefined };
    const changing = { current: undefined as ReturnType<typeof createSessionMonitor> | undefined };
    const established = { current: undefined as ReturnType<typeof createSessionMonitor> | undefined };
    let probe: BirdClient | undefined;
    let raw: Socket | undefined;
    try {
      const netns = testbed.addNamespace('r1');
      testbed.connect([{ netns, ifname: 'eth0', cidr: 'fd00:ec::1/64' }]);
      writeFileSync(testbed.path('r1.conf'), config());
      const { socket } = testbed.startBird(netns, testbed.path('r1.conf'), 'r1');
      const reference = () => Math.floor(Date.now() / 1000);
      let bytes = 0;
      // A fresh connection per attempt: the socket appears only once bird6 has read its config.
      probe = await waitFor('bird6 with all protocols', async () => {
        const client = new BirdClient({ socketPath: socket, restrict: true, reconnect: false, commandTimeoutMs: 10_000 });
        const reply = await client.command('show protocols all').catch(() => undefined);
        const bgp = reply === undefined ? [] : parseShowProtocolsAll(reply, reference()).filter((p) => p.bgp !== null);
        if (reply === undefined || bgp.length !== PEERS) {
          await client.close();
          return undefined;
        }
        bytes = reply.blocks.reduce((n, b) => n + b.lines.reduce((m, l) => m + l.length + 6, 0), 0);
        return client;
      }, 30_000, 200);

      // Settled: the sessions leave their first Active (`Connect delay` counting down) for Connect
      // within some seconds, and from then on each protocol's text stays the same: the steady
      // outage this measures. Two replies alike, a second apart, tell.
      const text = async () => (await probe!.command('show protocols all')).blocks.map((b) => `${b.code}\n${b.lines.join('\n')}`).join('\n');
      let last = await text();
      await waitFor('the same `show protocols all` twice in a row', async () => {
        const now = await text();
        const same = now === last;
        last = now;
        return same ? true : undefined;
      }, 30_000, 1000);

      monitor.current = createBirdMonitor({ socketPath: socket, intervalMs: 3_600_000 });
      await monitor.current.start();
      // Every other poll, a space at the end of each detail block's last line (blank: the parser
      // skips it), so each block's text differs from the previous poll's and nothing is reused.
      let flip = false;
      const everyBlockChanged: BirdCommands = {
        command: (command, options = {}) => {
          if (command === 'show protocols all') flip = !flip;
          const onBlock = options.onBlock;
          if (onBlock === undefined || !flip) return probe!.command(command, options);
          return probe!.command(command, {
            onBlock: (block) => {
              if (block.code === 1006) block.lines[block.lines.length - 1] += ' ';
              onBlock(block);
            },
          });
        },
      };
      changing.current = createSessionMonitor({ bird: everyBlockChanged, intervalMs: 3_600_000 });
      await changing.current.start();
      // At every poll, each BGP block (its row, the 1002 block before it, says BGP) gets the two
      // timer lines of an established session, as BIRD prints them, counted down by one since the
      // previous poll: every block differs from the last poll's in those two lines only. The
      // baseline of these rows gets the same lines the same way (birdcEstablished below), so both
      // sides parse the same text and pay the same for making it.
      let countdown = 0;
      const timersCountDown: BirdCommands = {
        command: (command, options = {}) => {
          if (command === 'show protocols all') countdown += 1;
          const onBlock = options.onBlock;
          if (onBlock === undefined) return probe!.command(command, options);
          return probe!.command(command, { onBlock: withEstablishedTimers(onBlock, countdown) });
        },
      };
      established.current = createSessionMonitor({ bird: timersCountDown, intervalMs: 3_600_000 });
      await established.current.start();
      const socketOnly = async () => {
        const parser = new ProtocolsParser(reference(), true);
        parser.finish(await probe!.command('show protocols all', { onBlock: (block) => parser.block(block) }));
      };
      const birdcReply = async () => {
        const { stdout } = await execFileAsync('birdc6', ['-v', '-s', socket, 'show protocols all'], { maxBuffer: 64 * 2 ** 20 });
        return parseBirdcOutput(stdout);
      };
      const birdc = async () => {
        const peers = parseShowProtocolsAll(await birdcReply(), reference()).filter((p) => p.bgp !== null);
        if (peers.length !== PEERS) throw new Error(`birdc6 baseline parsed ${peers.length} peers`);
      };
      // The baseline of the established-like rows: birdc6's reply with the timer lines the monitor's
      // replies get there, counted down at every run as the monitor's are at every poll.
      let baselineCountdown = 0;
      const birdcEstablished = async () => {
        const reply = await birdcReply();
        baselineCountdown += 1;
        const parser = new ProtocolsParser(reference(), true);
        const onBlock = withEstablishedTimers((block) => parser.block(block), baselineCountdown);
        for (const block of reply.blocks) onBlock(block);
        const peers = parser.finish(reply).filter((p) => p.bgp !== null && p.bgp.holdTimer !== null);
        if (peers.length !== PEERS) throw new Error(`birdc6 baseline parsed ${peers.length} established-like peers`);
      };
      // BIRD's own share, the floor of every row: the reply's bytes read and dropped, no framing or
      // parsing. BIRD 1.6 formats the whole reply before it writes any of it (cli_printf fills the
      // CLI's output buffers, written once the command is done), so nothing can overlap that part.
      raw = await rawConnection(socket);
      const bytesOnly = () => rawCommand(raw!, 'show protocols all');
      const [poll, socketParse, baseline, birdOnly] = await interleaved(RUNS, [() => monitor.current!.refresh(), socketOnly, birdc, bytesOnly]);
      // Each in rounds of its own, against the baseline again: in the same rounds, the garbage of a
      // poll that parses every block would be collected during the other rows' turns.
      const [pollTimed, baselineTimed] = await interleaved(RUNS, [() => established.current!.refresh(), birdcEstablished]);
      const [pollChanged, baselineAgain] = await interleaved(RUNS, [() => changing.current!.refresh(), birdc]);
      for (const m of [monitor.current, established.current, changing.current]) {
        const last = m.current()!;
        if (last.peers.length !== PEERS) throw new Error(`monitor saw ${last.peers.length} peers`);
      }

      const row = (what: string, times: number[], against = baseline!) => {
        const p = percentiles(times);
        return `| ${what} | ${p.p50.toFixed(1)} | ${p.p95.toFixed(1)} | ${p.min.toFixed(1)} | ${(percentiles(against).p50 / p.p50).toFixed(1)}x |`;
      };
      const ratio = percentiles(poll!).p50 / percentiles(baseline!).p50;
      const timedRatio = percentiles(pollTimed!).p50 / percentiles(baselineTimed!).p50;
      const figures: KeyFigure[] = [
        { figure: `monitor poll of ${PEERS} peers / \`birdc6\` + parse`, measured: ratio, unit: 'x', goal: { atMost: 0.5 } },
        { figure: `monitor poll of ${PEERS} established-like peers (timers count down) / \`birdc6\` + parse`, measured: timedRatio, unit: 'x', goal: { atMost: 0.5 } },
        { figure: `monitor poll of ${PEERS} peers, p50`, measured: percentiles(poll!).p50, unit: 'ms', goal: { below: 50 } },
      ];
      const markdown = [
        `bird6 1.6.8 in a namespace with ${PEERS} BGP protocols whose neighbours never answer; \`show protocols all\` is about ${(bytes / 1024).toFixed(0)} KiB. ${RUNS} rounds, each running the four first rows in turn after three warm-ups each; then ${RUNS} rounds of the fifth row against its baseline (the sixth), and ${RUNS} of the seventh against the baseline again.`,
        '',
        'The monitor parses only the protocol blocks whose text changed since its last poll, but for the hold and keepalive timer lines, which it reads again alone, and reuses the rest (it polls the same bird6 again and again; a `birdc6` process remembers nothing and parses all). Measured once the sessions have settled in Connect, when no block changes between polls. The fifth row adds the two timer lines of an established session to every BGP block, counted down at every poll, as established sessions print them (the common production case), and its baseline, the sixth, gets the same lines in its reply before the same parser; the seventh is a monitor whose every block differs otherwise at every poll (the worst case: nothing reused).',
        '',
        '| what | p50 ms | p95 ms | min ms | baseline p50 / this p50 |',
        '|---|---|---|---|---|',
        row('monitor poll (socket `show status` + `show protocols all`, parse of changed blocks, diff)', poll!),
        row('socket `show protocols all` + parse only', socketParse!),
        row('baseline: `birdc6 -v show protocols all` process + same parser', baseline!),
        row('socket `show protocols all`, bytes read and dropped (BIRD alone)', birdOnly!),
        row('monitor poll, established-like: only the hold and keepalive timer lines change at every poll; own rounds', pollTimed!, baselineTimed!),
        row('baseline in those rounds: `birdc6` process + same parser, the same timer lines added', baselineTimed!, baselineTimed!),
        row('monitor poll, every block changed since the last poll (nothing reused); own rounds', pollChanged!, baselineAgain!),
        row('baseline again, in those rounds', baselineAgain!, baselineAgain!),
        '',
        `Monitor poll / baseline: ${ratio.toFixed(2)} (target: at most 0.5, and under 50 ms); established-like, only the timers changing: ${timedRatio.toFixed(2)} (target: at most 0.5); with every block changed (worst case): ${(percentiles(pollChanged!).p50 / percentiles(baselineAgain!).p50).toFixed(2)}. The poll's own share (poll p50 minus BIRD alone): ${(percentiles(poll!).p50 - percentiles(birdOnly!).p50).toFixed(1)} ms.`,
      ].join('\n');
      return { markdown, figures };
    } finally {
      await probe?.close();
      raw?.destroy();
      await monitor.current?.stop();
      // Its BIRD is the probe, closed above.
      await changing.current?.stop();
      await established.current?.stop();
      await testbed.cleanup();
    }
  },
};
