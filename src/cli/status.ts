// `birdctl status`: the BGP sessions of the local bird6, in the spirit of `calicoctl node status`.
// One-shot mode asks BIRD once on a read-only connection; --watch runs the session monitor and
// redraws when something changes. Exit: 0 every peer Established, 3 any not (or no peers),
// 1 BIRD unreachable (a BIRD_UNREACHABLE error, printed by main as one line plus a hint).
// --ready swaps in the readiness policy a container healthcheck wants (readyExitCode).
import { BirdClient } from '../birdc/client.ts';
import { resolveSocketPath } from '../birdc/socket-path.ts';
import { EXIT, type ExitCodeValue } from '../errors.ts';
import { advance } from '../monitor/advance.ts';
import { observeBird } from '../monitor/poll.ts';
import { createBirdMonitor } from '../monitor/session-monitor.ts';
import type { MonitorSnapshot, PeerSnapshot } from '../monitor/types.ts';
import { parseCommandArgs, usageError, type Command, type CommandContext, type CommandResult } from './command.ts';

const HELP = `Usage: birdctl status [--socket PATH] [--json] [--watch] [--interval SECONDS] [--ready]

Shows the BGP sessions of the local bird6, read through its control socket (read-only: the
connection is restricted before any command is sent).

Options:
  --socket PATH       bird6's control socket (default: /run/bird/bird6.ctl, else /var/run/bird6.ctl)
  --json              one JSON object: {"daemon": {up, version, routerId, lastReconfiguration,
                      gracefulRestart}, "peers": [{name, peerAddress, peerType, state, bgpState,
                      since, info, neighborAs, routesImported, routesExported, lastError}]};
                      times are epoch seconds
  --watch             keep watching and redraw on every change until interrupted (Ctrl-C)
  --interval SECONDS  poll interval with --watch (default 1)
  --ready             readiness instead (a healthcheck's question): exit 0 when bird6 answers and
                      either has no peers configured (a one-node cluster) or at least one session
                      is Established, so one node down leaves the others healthy

A value this BIRD prints in a format birdctl cannot read (a \`since\` in another timeformat, a
field it leaves out) is shown as null (\`-\` in the table) with one warning on stderr; the rest is
shown and the exit code is as usual. An unknown reply code is still an error.

Exit codes: 0 every peer Established, 3 any peer not Established or no peers configured,
1 BIRD cannot be reached (socket missing, permission denied, no answer in time, or an answer
far bigger than BIRD's: a line over 64 KiB, a reply over 16 MiB).
With --ready: 0 ready, 3 peers configured and none Established, 1 BIRD cannot be reached.`;

export interface StatusJson {
  daemon: { up: boolean; version: string | null; routerId: string | null; lastReconfiguration: number | null; gracefulRestart: boolean; error?: string };
  peers: {
    name: string;
    peerAddress: string | null;
    peerType: string | null;
    state: string;
    bgpState: string;
    /** null when BIRD printed it in a format bird6-controller cannot read (a warning says so) */
    since: number | null;
    info: string;
    neighborAs: number | null;
    routesImported: number;
    routesExported: number;
    lastError: string | null;
  }[];
}

export function statusJson(snapshot: MonitorSnapshot): StatusJson {
  const { daemon } = snapshot;
  return {
    daemon: {
      up: daemon.up,
      version: daemon.version,
      routerId: daemon.routerId,
      lastReconfiguration: daemon.lastReconfiguration,
      gracefulRestart: daemon.gracefulRestart,
      ...(daemon.error === null ? {} : { error: daemon.error }),
    },
    peers: snapshot.peers.map((p) => ({
      name: p.name,
      peerAddress: p.peerAddress,
      peerType: p.peerType,
      state: p.state,
      bgpState: p.bgpState,
      since: p.since,
      info: oneLine(p.info),
      neighborAs: p.neighborAs,
      routesImported: p.routesImported,
      routesExported: p.routesExported,
      lastError: p.lastError === null ? null : p.lastError.class === '' ? p.lastError.text : `${p.lastError.class}: ${p.lastError.text}`,
    })),
  };
}

export function statusExitCode(snapshot: MonitorSnapshot): ExitCodeValue {
  if (!snapshot.daemon.up) return EXIT.failure;
  const healthy = snapshot.peers.length > 0 && snapshot.peers.every((p) => p.bgpState === 'Established');
  return healthy ? EXIT.ok : EXIT.degraded;
}

/** --ready: bird6 answers and, once it has peers, at least one session is Established. */
export function readyExitCode(snapshot: MonitorSnapshot): ExitCodeValue {
  if (!snapshot.daemon.up) return EXIT.failure;
  const ready = snapshot.peers.length === 0 || snapshot.peers.some((p) => p.bgpState === 'Established');
  return ready ? EXIT.ok : EXIT.degraded;
}

type ExitPolicy = (snapshot: MonitorSnapshot) => ExitCodeValue;

/** `42s`, `5m12s`, `3h05m`, `2d04h`: how long a session has been in its state. */
export function formatAge(seconds: number | null): string {
  if (seconds === null) return '-';
  const s = Math.max(0, Math.floor(seconds));
  const pad = (n: number) => String(n).padStart(2, '0');
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${pad(s % 60)}s`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h${pad(Math.floor((s % 3600) / 60))}m`;
  return `${Math.floor(s / 86_400)}d${pad(Math.floor((s % 86_400) / 3600))}h`;
}

const oneLine = (text: string) => text.replace(/\s+/g, ' ').trim();

function peerTypeCell(peer: PeerSnapshot): string {
  return peer.peerType ?? `other (${peer.name})`;
}

/** The daemon line and the peer table, as `calicoctl node status` draws it. */
export function renderStatus(snapshot: MonitorSnapshot, socketPath: string): string {
  const { daemon } = snapshot;
  if (!daemon.up) return `BIRD is not reachable at ${socketPath}: ${daemon.error ?? 'unknown reason'}\n`;
  const reconfigured = daemon.serverTime !== null && daemon.lastReconfiguration !== null ? `, reconfigured ${formatAge(daemon.serverTime - daemon.lastReconfiguration)} ago` : '';
  const restart = daemon.gracefulRestart ? ', graceful restart recovery in progress' : '';
  // Version and router id are null when this BIRD printed them in a form the parser could not read.
  let out = `BIRD ${daemon.version ?? '(version not read)'} is running (router id ${daemon.routerId ?? '-'}${reconfigured}${restart})\n\nIPv6 BGP status\n`;
  if (snapshot.peers.length === 0) return `${out}No IPv6 BGP peers configured.\n`;
  const header = ['PEER ADDRESS', 'PEER TYPE', 'STATE', 'SINCE', 'INFO', 'IMPORTED', 'EXPORTED'];
  const rows = snapshot.peers.map((p) => [
    p.peerAddress ?? '-',
    peerTypeCell(p),
    p.state,
    formatAge(p.timeInStateSeconds),
    oneLine(p.info) || p.bgpState,
    String(p.routesImported),
    String(p.routesExported),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const rule = `+${widths.map((w) => '-'.repeat(w + 2)).join('+')}+\n`;
  const line = (cells: string[]) => `|${cells.map((c, i) => ` ${i >= 5 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)} `).join('|')}|\n`;
  out += rule + line(header) + rule + rows.map(line).join('') + rule;
  return out;
}

function render(snapshot: MonitorSnapshot, json: boolean, socketPath: string): string {
  return json ? `${JSON.stringify(statusJson(snapshot))}\n` : renderStatus(snapshot, socketPath);
}

async function once(socketPath: string, json: boolean, exitCode: ExitPolicy, context: CommandContext): Promise<CommandResult> {
  const bird = new BirdClient({ socketPath, restrict: true, reconnect: false });
  try {
    const observed = await observeBird(bird, context.now().getTime());
    // Values shown as null are said on stderr, so the table and the JSON on stdout stay as they are.
    for (const warning of observed.warnings ?? []) context.warn?.(warning);
    const { snapshot } = advance(undefined, new Map(), observed, context.now().getTime());
    return { output: render(snapshot, json, socketPath), exitCode: exitCode(snapshot) };
  } finally {
    await bird.close();
  }
}

async function watch(socketPath: string, json: boolean, intervalMs: number, exitCode: ExitPolicy, context: CommandContext): Promise<CommandResult> {
  const monitor = createBirdMonitor({ socketPath, intervalMs, now: () => context.now().getTime(), onWarning: (warning) => context.warn?.(warning) });
  // A terminal gets a cleared screen per redraw; a pipe or log gets one frame after another.
  const clear = context.env.TERM !== undefined && context.env.TERM !== 'dumb' ? '\x1b[H\x1b[2J' : '';
  let pending = false;
  const draw = () => {
    pending = false;
    const snapshot = monitor.current();
    if (snapshot !== undefined) context.write(`${clear}${render(snapshot, json, socketPath)}`);
  };
  // The events of one poll arrive together; draw once after the last of them.
  const unsubscribe = monitor.subscribe(() => {
    if (!pending) {
      pending = true;
      queueMicrotask(draw);
    }
  });
  try {
    const aborted = new Promise<void>((resolve) => {
      if (context.signal.aborted) resolve();
      else context.signal.addEventListener('abort', () => resolve(), { once: true });
    });
    await monitor.start();
    draw();
    await aborted;
    return { output: '', exitCode: exitCode(monitor.current()!) };
  } finally {
    unsubscribe();
    await monitor.stop();
  }
}

export const statusCommand: Command = {
  help: HELP,
  async run(argv, context) {
    const { values, positionals } = parseCommandArgs(
      'status',
      argv,
      { socket: { type: 'string' }, json: { type: 'boolean' }, watch: { type: 'boolean' }, interval: { type: 'string' }, ready: { type: 'boolean' } },
      false,
    );
    if (positionals.length > 0) throw usageError('status', 'takes no positional arguments');
    const interval = values.interval === undefined ? 1 : Number(values.interval);
    if (!Number.isFinite(interval) || interval < 0.1 || interval > 3600) throw usageError('status', `--interval must be seconds between 0.1 and 3600, got ${JSON.stringify(values.interval)}`);
    if (values.interval !== undefined && !values.watch) throw usageError('status', '--interval only applies with --watch');
    const socketPath = resolveSocketPath(values.socket);
    const exitCode = values.ready ? readyExitCode : statusExitCode;
    return values.watch ? watch(socketPath, values.json ?? false, interval * 1000, exitCode, context) : once(socketPath, values.json ?? false, exitCode, context);
  },
};
