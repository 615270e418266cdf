import { join } from 'node:path';
import { BirdctlError, EXIT } from '../errors.ts';
import { writeFileAtomic } from '../atomic-write.ts';
import { renderDnsmasq } from '../endpoints/dnsmasq.ts';
import { render, type RenderOptions } from '../render/render.ts';
import { loadTopology, type Topology } from '../topology/index.ts';
import { parseCommandArgs, usageError, type Command } from './command.ts';
import { parseRouteProtocol, ROUTE_PROTOCOL_HELP } from './route-protocol.ts';

/** Where a standalone dnsmasq (one not run by the agent) keeps its leases: Debian's default directory. */
const LEASE_FILE = '/var/lib/misc/dnsmasq.bird6-controller.leases';

/** Every file `--out` writes, rendered in memory first so a failure writes nothing at all. */
function renderAll(topology: Topology, options: RenderOptions): Array<{ path: string; content: string }> {
  return topology.nodes.flatMap((node) => {
    const dnsmasq = renderDnsmasq(topology, node.name, { leaseFile: LEASE_FILE });
    return [
      { path: join(node.name, 'bird6.conf'), content: render(topology, node.name, options) },
      ...(dnsmasq === undefined ? [] : [{ path: join(node.name, 'dnsmasq.conf'), content: dnsmasq.config }]),
    ];
  });
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
every file is rendered before the first is written, and each is replaced atomically (written
beside the old one, then renamed over it).

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

    const files = renderAll(topology, options);
    const written: string[] = [];
    for (const file of files) {
      const target = join(values.out!, file.path);
      try {
        await writeFileAtomic(target, file.content);
      } catch (error) {
        throw new BirdctlError('WRITE_FAILED', `cannot write ${target}: ${(error as Error).message}`, {
          hint: `check that ${values.out} is writable${written.length ? `; already replaced: ${written.join(', ')}` : ''}`,
          cause: error,
        });
      }
      written.push(target);
    }
    return { output: written.map((path) => `wrote ${path}\n`).join(''), exitCode: EXIT.ok };
  },
};
