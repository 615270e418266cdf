import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { ComposeAttacher } from '../compose-node/attacher.ts';
import { prepareComposeNode } from '../compose-node/prepare.ts';
import type { Runner } from '../exec.ts';
import { Agent } from '../agent/agent.ts';
import { collectStartupGarbageLater } from './agent-heap.ts';
import { IpDataplane, OWN_KERNEL_FILES } from '../endpoints/ip-dataplane.ts';
import { NODE_NAME_ENV } from '../lab/node-name-env.ts';
import { BirdctlError } from '../errors.ts';
import { INTERFACE_RE } from '../topology/index.ts';
import { name as nodeNameSchema } from '../topology/schema.ts';
import { parseHostPort } from './listen-address.ts';
import { createJsonLogger, type Logger, type LogLevel } from '../agent/logger.ts';
import { resolveSocketPath } from '../birdc/socket-path.ts';
import { EXIT } from '../errors.ts';
import { DEFAULT_BIRD_CONFIG } from './bird-config-path.ts';
import { parseCommandArgs, usageError, type Command } from './command.ts';
import { parseRouteProtocol, ROUTE_PROTOCOL_HELP } from './route-protocol.ts';

const LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error'];

export const agentCommand: Command = {
  help: `Usage: birdctl agent FILE --node NAME [options]

Runs beside bird6 on one host. Renders NAME's bird6.conf from FILE, checks it with bird6 -p,
writes it atomically and reloads bird6 over its control socket (rolling back if bird6 refuses
it); watches FILE and does the same on every change. An edit that makes FILE invalid is logged
with the text of 'birdctl validate' and the last good topology stays in service.

  --node NAME         this host's node in the topology (required; or set ${NODE_NAME_ENV}, as the
                      Swarm stack of 'birdctl compose --swarm' does with the Swarm node's hostname)
  --config PATH       where bird6.conf lives (default ${DEFAULT_BIRD_CONFIG})
  --socket PATH       bird6's control socket (default /run/bird/bird6.ctl or /var/run/bird6.ctl)
  --bird              start bird6 and restart it with backoff when it dies; a bird6 already
                      answering on the socket is adopted instead
  --keep-routes-on-stop
                      with --bird: leave bird6 running when the agent stops, so its routes stay
                      announced while the agent alone is upgraded or restarted (the next agent
                      adopts it; peers see nothing). Without it a stop withdraws them (below)
  --bird-log FILE     where a supervised bird6's output goes (default: discarded)
  --templates DIR     a site copy of bird-templates/ to render from
  --poll-interval MS  how often bird6's sessions are polled (default 500)
  --resync-interval S full endpoint resync period in seconds (default 30); topology edits and
                      links appearing or disappearing trigger one at once
  --topology-poll MS  how often FILE is stat'ed besides being watched, for changes no watch
                      event reports (a re-created directory, some bind mounts; default 1000)
  --uplink IF         interface for proxy NDP entries (default: the one carrying the node address)
  ${ROUTE_PROTOCOL_HELP}
                      (the routes it programs and the ones bird6's kernel protocol imports)
  --log-level LEVEL   debug, info (default), warn or error
  --in-container      the agent runs in a container (birdctl compose --host): make bird6's socket
                      directory (/run may be a fresh tmpfs) and make /proc/sys/net writable in the
                      container's own mount namespace (Docker mounts /proc/sys read-only); needs
                      CAP_SYS_ADMIN. Implied by --compose-endpoints
  --compose-endpoints compose mode (the one-host cluster of 'birdctl compose'): find this node's
                      endpoint containers in the container's PID namespace, name their network
                      namespaces in /run/netns, make the taps of VM containers and run their
                      DHCPv6 clients; needs CAP_SYS_ADMIN (README, Deployment)

WebSocket stream (a snapshot on connect, then one message per event):
  --ws HOST:PORT          listen there (IPv6 in brackets: [::1]:9180)
  --ws-token-file PATH    clients must send 'Authorization: Bearer TOKEN' (the file's first line);
                          or set BIRDCTL_WS_TOKEN. Required when HOST is not loopback.

Prometheus metrics (GET /metrics; BGP sessions under bird_exporter's names, and birdctl_* series):
  --metrics HOST:PORT         listen there (IPv6 in brackets: [::1]:9324)
  --metrics-token-file PATH   scrapers must send 'Authorization: Bearer TOKEN' (the file's first
                              line); or set BIRDCTL_METRICS_TOKEN. Required when HOST is not loopback.

SNMP (read-only; off unless a community or a v3 user is configured):
  --snmp HOST:PORT        listen there, udp4 or udp6 by the address; repeatable
  --snmp-community NAME   SNMPv2c community (or BIRDCTL_SNMP_COMMUNITY)
  --snmp-user NAME        SNMPv3 user, authPriv with SHA and AES; keys from BIRDCTL_SNMP_AUTH_KEY
                          and BIRDCTL_SNMP_PRIV_KEY (at least 8 characters each)
  --snmp-trap HOST:PORT   send bgpEstablished/bgpBackwardTransition traps there; repeatable
  --snmp-cisco-oids       also serve the peer table at CISCO-BGP4-MIB's cbgpPeer2Entry

Logs are JSON lines on stderr. SIGTERM or SIGINT stops the agent with exit 0. With --bird it first
shuts bird6 down ('down' on the control socket, SIGTERM if the socket does not take it; at most 3 s):
every BGP peer gets a Cease and withdraws this node's routes at once, instead of keeping them for
the graceful-restart time as it does for a bird6 that vanished. --keep-routes-on-stop leaves bird6
running instead. Without --bird the agent never stops bird6 (it did not start it). Either way the
endpoint routes stay in this node's kernel: the endpoints still live here.

Exit codes: 0 stopped by a signal, 2 bad usage, invalid topology or unknown node at start.`,
  async run(argv, context) {
    const { positionals, values } = parseCommandArgs('agent', argv, {
      node: { type: 'string' },
      config: { type: 'string', default: DEFAULT_BIRD_CONFIG },
      socket: { type: 'string' },
      bird: { type: 'boolean', default: false },
      'keep-routes-on-stop': { type: 'boolean', default: false },
      'bird-log': { type: 'string' },
      templates: { type: 'string' },
      'log-level': { type: 'string', default: 'info' },
      'poll-interval': { type: 'string', default: '500' },
      'resync-interval': { type: 'string', default: '30' },
      'topology-poll': { type: 'string', default: '1000' },
      uplink: { type: 'string' },
      'route-protocol': { type: 'string' },
      ws: { type: 'string' },
      'ws-token-file': { type: 'string' },
      metrics: { type: 'string' },
      'metrics-token-file': { type: 'string' },
      snmp: { type: 'string', multiple: true },
      'snmp-community': { type: 'string' },
      'snmp-user': { type: 'string' },
      'snmp-trap': { type: 'string', multiple: true },
      'snmp-cisco-oids': { type: 'boolean', default: false },
      'in-container': { type: 'boolean', default: false },
      'compose-endpoints': { type: 'boolean', default: false },
    });
    const resyncSeconds = Number(values['resync-interval']);
    if (!Number.isInteger(resyncSeconds) || resyncSeconds < 1 || resyncSeconds > 86_400) {
      throw usageError('agent', '--resync-interval must be a whole number of seconds between 1 and 86400');
    }
    if (values.uplink !== undefined && !INTERFACE_RE.test(values.uplink)) {
      throw usageError('agent', `--uplink ${JSON.stringify(values.uplink)} is not an interface name`);
    }
    const pollIntervalMs = Number(values['poll-interval']);
    if (!Number.isInteger(pollIntervalMs) || pollIntervalMs < 50 || pollIntervalMs > 600_000) {
      throw usageError('agent', '--poll-interval must be a whole number of milliseconds between 50 and 600000');
    }
    const topologyPollMs = Number(values['topology-poll']);
    if (!Number.isInteger(topologyPollMs) || topologyPollMs < 50 || topologyPollMs > 600_000) {
      throw usageError('agent', '--topology-poll must be a whole number of milliseconds between 50 and 600000');
    }
    if (positionals.length !== 1) throw usageError('agent', 'expected exactly one topology FILE');
    const nodeName = values.node ?? nodeFromEnv(context.env[NODE_NAME_ENV]);
    if (nodeName === undefined) throw usageError('agent', `--node NAME is required (or ${NODE_NAME_ENV})`);
    if (values['keep-routes-on-stop'] && !values.bird) {
      throw usageError('agent', '--keep-routes-on-stop needs --bird: without it the agent never stops bird6');
    }
    const routeProtocol = parseRouteProtocol('agent', values['route-protocol']);
    const level = values['log-level'] as LogLevel;
    if (!LEVELS.includes(level)) throw usageError('agent', `--log-level must be one of ${LEVELS.join(', ')}`);

    const ws = values.ws === undefined ? undefined : { ...parseHostPort('--ws', values.ws), token: await listenerToken('WebSocket', values['ws-token-file'], context.env.BIRDCTL_WS_TOKEN) };
    const metrics =
      values.metrics === undefined
        ? undefined
        : { ...parseHostPort('--metrics', values.metrics), token: await listenerToken('metrics', values['metrics-token-file'], context.env.BIRDCTL_METRICS_TOKEN) };
    const community = values['snmp-community'] ?? context.env.BIRDCTL_SNMP_COMMUNITY;
    const user = values['snmp-user'];
    const snmp =
      values.snmp === undefined
        ? undefined
        : {
            listen: values.snmp.map((text) => {
              const { host, port, family } = parseHostPort('--snmp', text);
              return { family: family === 6 ? ('udp6' as const) : ('udp4' as const), address: host, port };
            }),
            community: community ?? null,
            users: user === undefined ? [] : [{ name: user, authKey: context.env.BIRDCTL_SNMP_AUTH_KEY ?? '', privKey: context.env.BIRDCTL_SNMP_PRIV_KEY ?? '' }],
            trapTargets: (values['snmp-trap'] ?? []).map((text) => {
              const { host, port } = parseHostPort('--snmp-trap', text, { allowZeroPort: false });
              return { host, port };
            }),
            ciscoOids: values['snmp-cisco-oids'],
          };
    const logger = createJsonLogger({ write: (line) => process.stderr.write(line), now: context.now, level, context: { node: nodeName } });
    // Resolved once: the agent and compose mode's attacher must name the same socket.
    const socketPath = resolveSocketPath(values.socket);
    const agent = new Agent(
      {
        topologyFile: positionals[0]!,
        nodeName,
        configPath: values.config,
        socketPath,
        templateDir: values.templates,
        routeProtocol,
        superviseBird: values.bird,
        keepRoutesOnStop: values['keep-routes-on-stop'],
        birdLogFile: values['bird-log'],
        debounceMs: 50,
        topologyPollMs,
        pollIntervalMs,
        resyncIntervalMs: resyncSeconds * 1000,
        uplink: values.uplink,
        ws,
        metrics,
        snmp,
      },
      { runner: context.runner, logger, now: context.now, signal: context.signal, dataplane: new IpDataplane({ runner: context.runner, routeProtocol, ownFiles: OWN_KERNEL_FILES }) },
    );
    if (values['in-container'] && !values['compose-endpoints']) await prepareContainer(context.runner, socketPath, logger);
    collectStartupGarbageLater();
    const attacher = values['compose-endpoints'] ? await startComposeAttacher(agent, nodeName, socketPath, context.runner, logger) : undefined;
    try {
      await agent.run();
    } finally {
      await attacher?.stop();
    }
    return { output: '', exitCode: EXIT.ok };
  },
};

/**
 * The node's name from the environment: a Swarm service cannot template its command line, only
 * its environment (NODE_NAME_ENV={{.Node.Hostname}}, lab/compose-swarm.ts). The host's hostname
 * reaches the log context and error messages, so it must have a node name's shape first.
 */
function nodeFromEnv(value: string | undefined): string | undefined {
  if (value === undefined || value === '') return undefined;
  const checked = nodeNameSchema('node').safeParse(value);
  if (!checked.success) throw usageError('agent', `${NODE_NAME_ENV}: ${checked.error.issues[0]!.message}`);
  return checked.data;
}

/** A node container (compose mode or per-host): bird6's socket directory made, /proc/sys/net writable. */
async function prepareContainer(runner: Runner, socketPath: string, logger: Logger): Promise<void> {
  const { remounted } = await prepareComposeNode(runner, socketPath);
  if (remounted) logger.with({ component: 'compose' }).info('/proc/sys/net made writable in this container');
}

/** Compose mode: the node container prepared, then its endpoint containers attached as they come. */
async function startComposeAttacher(agent: Agent, nodeName: string, socketPath: string, runner: Runner, logger: Logger): Promise<ComposeAttacher> {
  const log = logger.with({ component: 'compose' });
  await prepareContainer(runner, socketPath, logger);
  const attacher = new ComposeAttacher({
    runner,
    nodeName,
    logger: log,
    topology: () => agent.topology.current,
    onChange: () => agent.resync(),
    intervalMs: 1000,
    // Under /run (a tmpfs in compose mode): leases and pid files never outlive the container.
    stateDir: join(dirname(socketPath), 'vm-guests'),
  });
  attacher.start();
  return attacher;
}

/** A listener's token (the stream's, the metrics'): first line of the token file, else the variable's value, else none. */
async function listenerToken(listener: string, file: string | undefined, fromEnv: string | undefined): Promise<string | null> {
  if (file === undefined) return fromEnv || null;
  try {
    const token = (await readFile(file, 'utf8')).split('\n')[0]!.trim();
    if (token === '') throw new Error('the file is empty');
    return token;
  } catch (error) {
    throw new BirdctlError('USAGE', `cannot read the ${listener} token from ${file}: ${(error as Error).message}`, {
      hint: 'put the token on the first line of the file (readable by the agent only)',
    });
  }
}
