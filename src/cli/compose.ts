import { EXIT } from '../errors.ts';
import { composeYaml } from '../lab/compose.ts';
import { loadTopology } from '../topology/index.ts';
import { parseCommandArgs, usageError, type Command } from './command.ts';

export const composeCommand: Command = {
  help: `Usage: birdctl compose FILE > compose.yaml

Prints a compose file for the topology in FILE: one service per node, built from the Dockerfile
in the current directory, on one IPv6 network (the nodes' shared /64) with each node's address,
NET_ADMIN and NET_RAW, IPv6 forwarding on and DAD off, FILE mounted read-only, running
\`birdctl agent --bird\` (which starts and supervises bird6), and a healthcheck on
\`birdctl status\`'s exit code. FILE's path is written relative to the current directory, so run
it from the directory that will hold compose.yaml.

Exit codes: 0 printed, 2 invalid topology (including node addresses outside one /64) or bad usage.`,
  async run(argv) {
    const { positionals } = parseCommandArgs('compose', argv, {});
    if (positionals.length !== 1) throw usageError('compose', 'expected exactly one topology FILE');
    const file = positionals[0]!;
    const topology = await loadTopology(file);
    return { output: composeYaml(topology, { topologyFile: file, composeDir: process.cwd() }), exitCode: EXIT.ok };
  },
};
