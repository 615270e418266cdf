// `birdctl endpoints apply FILE --node NAME`: reconcile this node's endpoints once and print what
// changed. `birdctl endpoints preflight`: report what would break IPv6 for endpoints on this host.
import { EXIT } from '../errors.ts';
import { IpDataplane } from '../endpoints/ip-dataplane.ts';
import { FileLedgerStore, recordBesideConfig } from '../endpoints/ledger.ts';
import { evaluatePreflight, formatFindings, gatherPreflightFacts } from '../endpoints/preflight.ts';
import { formatSummary, reconcile } from '../endpoints/reconcile.ts';
import { INTERFACE_RE, loadTopology, NETNS_RE } from '../topology/index.ts';
import { DEFAULT_BIRD_CONFIG } from './bird-config-path.ts';
import { parseCommandArgs, usageError, type Command } from './command.ts';
import { parseRouteProtocol, ROUTE_PROTOCOL_HELP } from './route-protocol.ts';


const OPTIONS = {
  node: { type: 'string' },
  uplink: { type: 'string' },
  netns: { type: 'string' },
  record: { type: 'string' },
  config: { type: 'string' },
  'route-protocol': { type: 'string' },
} as const;

/**
 * Where `apply` keeps its record of the objects it made unless --record or --config says
 * otherwise: where the agent keeps it (beside its bird6.conf), so that running both on one node
 * gives one record, and each removes what the other made.
 */
export const DEFAULT_RECORD = recordBesideConfig(DEFAULT_BIRD_CONFIG);

/** An absolute path without control characters, bounded. */
function absolutePath(value: string, option: string): string {
  if (!/^\/[^\0-\x1f\x7f]{0,4095}$/.test(value)) throw usageError('endpoints', `${option} must be an absolute path (got ${JSON.stringify(value.slice(0, 80))})`);
  return value;
}

function recordPath(record: string | undefined, config: string | undefined): string {
  if (record !== undefined && config !== undefined) throw usageError('endpoints', '--record and --config both name the record: give one');
  if (record !== undefined) return absolutePath(record, '--record');
  return config === undefined ? DEFAULT_RECORD : recordBesideConfig(absolutePath(config, '--config'));
}

function checked(value: string | undefined, pattern: RegExp, what: string): string | undefined {
  if (value !== undefined && !pattern.test(value)) throw usageError('endpoints', `${JSON.stringify(value)} is not a valid ${what}`);
  return value;
}

export const endpointsCommand: Command = {
  help: `Usage: birdctl endpoints apply FILE --node NAME [--uplink IF] [--netns NS] [--config PATH | --record FILE]
                               [--route-protocol N]
       birdctl endpoints preflight [--netns NS]

apply reconciles NAME's endpoints once: a /128 route (proto 80) per endpoint address through the
endpoint's interface, permanent neighbour entries where the MAC is known, proxy NDP entries on the
uplink, IPv6 forwarding and per-interface sysctls; for containers with a netns it creates the veth
(host end = interface, container end eth0), assigns the addresses inside the namespace and sets the
default route via fe80::1 on the host end. Objects of endpoints no longer in FILE are removed,
and sysctls it changed are put back, but only what it made: routes with its protocol number
inside the pools, and whatever else its record lists. Foreign objects are never touched. An
endpoint whose interface carries the node address is refused. Endpoints whose tap or namespace
does not exist yet are reported pending and programmed on a later run.

  --uplink IF          interface for proxy NDP entries (default: the one carrying the node's address)
  --netns NS           act on network namespace NS as the host (labs and tests)
  --config PATH        the agent's bird6.conf (its --config): the record of what it made is the
                       agent's, beside it (for /DIR/bird6.conf: ${recordBesideConfig('/DIR/bird6.conf')})
  --record FILE        the record of what it made, elsewhere
                       (default ${DEFAULT_RECORD}, where the agent keeps it)
  ${ROUTE_PROTOCOL_HELP}
                       (bird6's kernel protocol imports this number only: give the agent the same)

preflight reports what would break IPv6 on this host: forwarding off, an uplink taking its default
route from RAs without accept_ra=2, no default route, ip, bird6 or dnsmasq missing.

Exit codes: apply: 0 done (pending endpoints included), 1 an endpoint failed, 2 bad input;
preflight: 0 nothing found, 3 findings.`,
  async run(argv, context) {
    const [sub, ...rest] = argv;
    const { values, positionals } = parseCommandArgs('endpoints', rest, OPTIONS);
    const netns = checked(values.netns, NETNS_RE, 'network namespace name');
    if (sub === 'preflight') {
      if (positionals.length > 0 || values.node !== undefined || values.uplink !== undefined || values.record !== undefined || values.config !== undefined || values['route-protocol'] !== undefined) {
        throw usageError('endpoints', 'preflight takes only --netns');
      }
      const findings = evaluatePreflight(await gatherPreflightFacts(context.runner, netns));
      return { output: formatFindings(findings), exitCode: findings.length === 0 ? EXIT.ok : EXIT.degraded };
    }
    if (sub !== 'apply') throw usageError('endpoints', sub === undefined ? 'expected a subcommand: apply or preflight' : `unknown subcommand ${JSON.stringify(sub)}`);
    if (positionals.length !== 1) throw usageError('endpoints', 'expected exactly one topology FILE');
    if (values.node === undefined) throw usageError('endpoints', '--node NAME is required');
    const uplink = checked(values.uplink, INTERFACE_RE, 'interface name');
    const protocol = parseRouteProtocol('endpoints', values['route-protocol']);
    const ledger = new FileLedgerStore(recordPath(values.record, values.config));
    const dataplane = new IpDataplane({ runner: context.runner, routeProtocol: protocol, ...(netns === undefined ? {} : { netns }) });
    // The host tables' ip process runs while the topology loads (IpDataplane.startHostRead).
    dataplane.startHostRead();
    const topology = await loadTopology(positionals[0]!);
    const summary = await reconcile({
      dataplane,
      ledger,
      topology,
      nodeName: values.node,
      ...(uplink === undefined ? {} : { uplink }),
    });
    return { output: formatSummary(summary), exitCode: summary.failed.length > 0 ? EXIT.failure : EXIT.ok };
  },
};
