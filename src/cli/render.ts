import { join } from 'node:path';
import { EXIT } from '../errors.ts';
import { renderDnsmasq } from '../endpoints/dnsmasq.ts';
import { render, type RenderOptions } from '../render/render.ts';
import { writeOut, type OutFile } from '../render/write-out.ts';
import { loadTopology, type Topology } from '../topology/index.ts';
import { parseCommandArgs, usageError, type Command } from './command.ts';
import { parseRouteProtocol, ROUTE_PROTOCOL_HELP } from './route-protocol.ts';

/** Where a standalone dnsmasq (one not run by the agent) keeps its leases: Debian's default directory. */
const LEASE_FILE = '/var/lib/misc/dnsmasq.bird6-controller.leases';

/** A node's files under `--out`: its bird6.conf, and its dnsmasq.conf where it has VM endpoints. */
function filesOf(topology: Topology, node: string, options: RenderOptions): OutFile[] {
  const dnsmasq = renderDnsmasq(topology, node, { leaseFile: LEASE_FILE });
  return [
    { path: join(node, 'bird6.conf'), content: render(topology, node, options) },
    ...(dnsmasq === undefined ? [] : [{ path: join(node, 'dnsmasq.conf'), content: dnsmasq.config }]),
  ];
}

export const renderCommand: Command = {
  help: `Usage: birdctl render FILE --node NAME
       birdctl render FILE --out DIR

  --node NAME   print NAME's bird6.conf on stdout
  --out DIR     write DIR/<node>/bird6.conf for every node of the topology, and
                DIR/<node>/dnsmasq.conf (RA + DHCPv6 for its VMs) where the node has VM endpoints
  ${ROUTE_PROTOCOL_HELP}
                the number the agents were given, so the preview matches what they run

The topology is validated first; when it is invalid nothing is printed or written. With --out,
each node's files are rendered and written beside their targets one node at a time, and only
when every file is there are they renamed over the old ones: a node that cannot be rendered or a
file that cannot be written replaces nothing, and each file is replaced atomically.

Exit codes: 0 rendered, 2 invalid topology, unknown node or bad usage, 1 a file could not be written.`,
  async run(argv) {
    const { positionals, values } = parseCommandArgs('render', argv, {
      node: { type: 'string' },
      out: { type: 'string' },
      'route-protocol': { type: 'string' },
    });
    const options = { routeProtocol: parseRouteProtocol('render', values['route-protocol']) };
    if (positionals.length !== 1) throw usageError('render', 'expected exactly one topology FILE');
    if ((values.node === undefined) === (values.out === undefined)) throw usageError('render', 'give exactly one of --node NAME and --out DIR');
    const topology = await loadTopology(positionals[0]!);
    if (values.node !== undefined) return { output: render(topology, values.node, options), exitCode: EXIT.ok };

    const nodes = topology.nodes.map((n) => n.name);
    const written = await writeOut(values.out!, nodes, (node) => filesOf(topology, node, options));
    return { output: written.map((path) => `wrote ${path}\n`).join(''), exitCode: EXIT.ok };
  },
};
