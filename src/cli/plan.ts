// `birdctl plan FILE --node NAME`: what applying FILE would change on this node, changing nothing.
// It renders FILE as the agent would, diffs it against the bird6.conf on disk, lists the BGP
// sessions that would come, go or change (src/plan/bird-sessions.ts), asks bird6 (read-only) which
// BGP protocols it runs, and plans the endpoints against the real kernel and the ownership record,
// both only read. Exit 0 nothing to change, 3 changes, 2 invalid topology or usage.
import { BirdClient } from '../birdc/client.ts';
import { parseShowProtocols } from '../birdc/parse-protocols.ts';
import { resolveSocketPath } from '../birdc/socket-path.ts';
import { FileLedgerStore, recordBesideConfig } from '../endpoints/ledger.ts';
import { IpDataplane } from '../endpoints/ip-dataplane.ts';
import { BirdctlError, EXIT } from '../errors.ts';
import { planEndpoints } from '../plan/endpoint-plan.ts';
import { formatPlan, nodePlan, planHasChanges } from '../plan/node-plan.ts';
import { readRegularFile, type FileRole } from '../read-regular-file.ts';
import { render } from '../render/render.ts';
import { loadTopology, NETNS_RE, requireNode } from '../topology/index.ts';
import { DEFAULT_BIRD_CONFIG } from './bird-config-path.ts';
import { parseCommandArgs, usageError, type Command, type CommandContext } from './command.ts';
import { parseRouteProtocol, ROUTE_PROTOCOL_HELP } from './route-protocol.ts';

const HELP = `Usage: birdctl plan FILE --node NAME [--config PATH] [--socket PATH] [--templates DIR]
                    [--route-protocol N] [--netns NS]

Shows what applying the topology FILE would change on node NAME, and changes nothing:
  - a unified diff of bird6.conf: the file at --config against FILE's render;
  - the BGP sessions that would be added, removed or changed, and of the changed ones whether
    bird6 restarts them (a change of a BGP option: timers, addresses, AS, passive, password...)
    or reconfigures them in place, the session staying up (filters, description, preference);
    bird6 itself is asked which BGP protocols it runs, on a read-only connection;
  - the endpoint objects (routes, neighbour and proxy entries, links, addresses, sysctls) that
    would be added, replaced or removed, planned against the kernel as it is and the ownership
    record beside the config (endpoints-owned.json), which is read, never written.

Options:
  --config PATH        the bird6.conf in service (default ${DEFAULT_BIRD_CONFIG})
  --socket PATH        bird6's control socket (default: /run/bird/bird6.ctl, else /var/run/bird6.ctl);
                       when bird6 cannot be reached the sessions are compared with --config only
  --templates DIR      a site copy of bird-templates/, as given to the agent
  ${ROUTE_PROTOCOL_HELP}
                       (give the number the agent runs with, or the diff shows the kernel filter)
  --netns NS           plan the endpoints of network namespace NS acting as the host (labs, tests)

Exit codes: 0 nothing to change, 3 changes, 2 invalid topology, unknown node, bad usage or a
--config that is not a readable regular file, 1 the record or the kernel state cannot be read.`;

/** The text of an absolute or relative path given on the command line, bounded and printable. */
function pathOption(value: string, option: string): string {
  if (!/^[^\0-\x1f\x7f]{1,4096}$/.test(value)) throw usageError('plan', `${option} must be a path without control characters`);
  return value;
}

/** bird6.conf as plan reads it: bounded, and only a regular file, whatever sits at the path. */
const BIRD_CONFIG: FileRole = {
  noun: 'bird6 config',
  code: 'CONFIG_READ',
  example: 'for example /etc/bird/bird6.conf (--config)',
  tooLargeHint: 'check that --config names the bird6.conf the agent writes',
  maxBytes: 16 * 1024 * 1024,
};

/** The BGP protocols bird6 runs, or why it could not be asked; never an exception. */
async function runningProtocols(socketPath: string, context: CommandContext): Promise<{ protocols: string[] } | { error: string }> {
  const bird = new BirdClient({ socketPath, restrict: true, reconnect: false });
  try {
    const rows = parseShowProtocols(await bird.command('show protocols'), Math.floor(context.now().getTime() / 1000));
    return { protocols: rows.filter((r) => r.proto === 'BGP').map((r) => r.name) };
  } catch (error) {
    if (error instanceof BirdctlError && (error.code === 'BIRD_UNREACHABLE' || error.code === 'BIRD_TIMEOUT')) return { error: error.message };
    throw error;
  } finally {
    await bird.close();
  }
}

export const planCommand: Command = {
  help: HELP,
  async run(argv, context) {
    const { values, positionals } = parseCommandArgs('plan', argv, {
      node: { type: 'string' },
      config: { type: 'string' },
      socket: { type: 'string' },
      templates: { type: 'string' },
      'route-protocol': { type: 'string' },
      netns: { type: 'string' },
    });
    if (positionals.length !== 1) throw usageError('plan', 'expected exactly one topology FILE');
    if (values.node === undefined) throw usageError('plan', '--node NAME is required');
    if (values.netns !== undefined && !NETNS_RE.test(values.netns)) throw usageError('plan', `${JSON.stringify(values.netns.slice(0, 80))} is not a valid network namespace name`);
    const configPath = pathOption(values.config ?? DEFAULT_BIRD_CONFIG, '--config');
    const routeProtocol = parseRouteProtocol('plan', values['route-protocol']);
    const topology = await loadTopology(positionals[0]!);
    requireNode(topology, values.node);
    const next = render(topology, values.node, { routeProtocol, ...(values.templates === undefined ? {} : { templateDir: pathOption(values.templates, '--templates') }) });
    const current = await readRegularFile(BIRD_CONFIG, configPath, 'undefined');
    const running = await runningProtocols(resolveSocketPath(values.socket), context);
    const endpoints = await planEndpoints({
      dataplane: new IpDataplane({ runner: context.runner, routeProtocol, ...(values.netns === undefined ? {} : { netns: values.netns }) }),
      // Where the agent keeps it (src/agent/agent.ts): beside bird6.conf.
      ledger: new FileLedgerStore(recordBesideConfig(configPath)),
      topology,
      nodeName: values.node,
    });
    const plan = nodePlan({ node: values.node, configPath, topologyLabel: positionals[0]!, current, next, running, endpoints });
    return { output: formatPlan(plan), exitCode: planHasChanges(plan) ? EXIT.degraded : EXIT.ok };
  },
};
