import { EXIT } from '../errors.ts';
import { loadTopology } from '../topology/index.ts';
import { parseCommandArgs, usageError, type Command } from './command.ts';

export const validateCommand: Command = {
  help: `Usage: birdctl validate FILE

Loads FILE (YAML or JSON, format bird6-controller/v1) and checks every field and the topology as
a whole: duplicate names and addresses, overlapping pools, endpoint addresses outside the pools,
unknown node references, router IDs, interface names, MACs and route-reflector roles.

Exit codes: 0 valid, 2 invalid (every problem is printed to stderr with its path and a hint).`,
  async run(argv) {
    const { positionals } = parseCommandArgs('validate', argv, {});
    if (positionals.length !== 1) throw usageError('validate', 'expected exactly one topology FILE');
    const topology = await loadTopology(positionals[0]!);
    const { nodes, peers, endpoints, ipPools } = topology;
    return {
      output: `${topology.source}: valid (${nodes.length} nodes, ${peers.length} peers, ${ipPools.length} pools, ${endpoints.length} endpoints)\n`,
      exitCode: EXIT.ok,
    };
  },
};
