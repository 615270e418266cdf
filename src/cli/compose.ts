import { EXIT } from '../errors.ts';
import { composeYaml } from '../lab/compose.ts';
import { loadTopology } from '../topology/index.ts';
import { parseCommandArgs, usageError, type Command } from './command.ts';

export const composeCommand: Command = {
  help: `Usage: birdctl compose FILE > compose.yaml

Prints a compose file (format 2.4, for docker-compose 1.29 or docker compose v2) that brings up
the topology in FILE on one Docker host:
  - one service per node, built from the Dockerfile in the current directory, on one IPv6
    network (the nodes' shared /64) with the node's address, running
    \`birdctl agent --bird --compose-endpoints\` (bird6 started and supervised; the node's
    endpoint containers wired by the agent), FILE's directory mounted read-only, /run a tmpfs,
    a healthcheck on \`birdctl status --ready\`;
  - one service per endpoint, named after it, with no Docker network of its own: the node's
    agent gives it eth0, its addresses and its default route as a CNI plugin would; a VM
    endpoint's container is the guest, behind a tap the agent makes, addressed by the node's
    dnsmasq over DHCPv6. Container endpoints without a netns are left out (header says which).
The file's header lists each privilege and why. FILE's path is written relative to the current
directory, so run it from the directory that will hold compose.yaml.

Exit codes: 0 printed, 2 invalid topology (including node addresses outside one /64 or an
endpoint named like a node) or bad usage.`,
  async run(argv) {
    const { positionals } = parseCommandArgs('compose', argv, {});
    if (positionals.length !== 1) throw usageError('compose', 'expected exactly one topology FILE');
    const file = positionals[0]!;
    const topology = await loadTopology(file);
    return { output: composeYaml(topology, { topologyFile: file, composeDir: process.cwd() }), exitCode: EXIT.ok };
  },
};
