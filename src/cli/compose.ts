import { EXIT } from '../errors.ts';
import { composeYaml } from '../lab/compose.ts';
import { hostComposeYaml } from '../lab/compose-host.ts';
import { swarmStackYaml } from '../lab/compose-swarm.ts';
import { INTERFACE_RE, loadTopology, parseTopologyText } from '../topology/index.ts';
import { readTopologyFile } from '../topology/read-file.ts';
import { parseCommandArgs, usageError, type Command } from './command.ts';

export const composeCommand: Command = {
  help: `Usage: birdctl compose FILE > compose.yaml
       birdctl compose FILE --host NODE [--uplink IF] > compose.yaml
       birdctl compose FILE --swarm > stack.yaml

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

With --host NODE it prints instead the one-service file to run on host NODE (production, one
file per host): the image bird6-controller:latest on host networking (the agent programs the
host's own kernel; bird6 runs in the same container), \`birdctl agent --bird --in-container\`,
FILE's directory mounted read-only, /run/netns bind-mounted from the host with rshared
propagation (container endpoints are wired once the host's runtime names their network
namespace there), the volume bird6-state on /etc/bird (bird6.conf and the record of what the
agent made outlive the container), /run a tmpfs, restart unless-stopped, the same healthcheck.
The host must have IPv6 forwarding on. --uplink IF names the interface for proxy NDP entries
(default: the one that carries the node's address).

With --swarm it prints a stack file (format 3.8) for \`docker stack deploy --resolve-image
never\` across several Docker hosts instead: one global service (a task on every Swarm node)
on the host network, running \`birdctl agent --bird --in-container\` with the node's name from
the Swarm node's hostname (so each host's hostname must be its node's name), FILE as a Swarm
config named after a hash of its content (a topology change is a new config: regenerate and
deploy again, and Swarm replaces the tasks one node at a time, each healthy before the next
stops, rolling back on a failure), /run/netns shared from each host as above, a per-host
volume for bird6.conf and the ownership record, the same capabilities and healthcheck.

The file's header lists each privilege and why. FILE's path is written relative to the current
directory, so run it from the directory that will hold compose.yaml.

Exit codes: 0 printed, 2 bad usage, a NODE not in FILE (the error lists the nodes) or an
invalid topology: for the one-host file also node addresses outside one /64 or an endpoint
named like a node; for --swarm also a node name that is not a host name or a FILE larger
than a Swarm config's 500 KiB.`,
  async run(argv) {
    const { positionals, values } = parseCommandArgs('compose', argv, { host: { type: 'string' }, uplink: { type: 'string' }, swarm: { type: 'boolean', default: false } });
    if (positionals.length !== 1) throw usageError('compose', 'expected exactly one topology FILE');
    if (values.swarm && values.host !== undefined) throw usageError('compose', '--swarm and --host are two different deployments: pick one');
    if (values.uplink !== undefined && values.host === undefined) throw usageError('compose', '--uplink needs --host: the one-host cluster\'s uplink is always eth0');
    if (values.uplink !== undefined && !INTERFACE_RE.test(values.uplink)) throw usageError('compose', `--uplink ${JSON.stringify(values.uplink)} is not an interface name`);
    const file = positionals[0]!;
    if (values.swarm) {
      // Read once: the config's name hashes exactly the text that was validated.
      const topologyText = await readTopologyFile(file);
      const topology = parseTopologyText(topologyText, file);
      return { output: swarmStackYaml(topology, { topologyFile: file, composeDir: process.cwd(), topologyText }), exitCode: EXIT.ok };
    }
    const topology = await loadTopology(file);
    const options = { topologyFile: file, composeDir: process.cwd() };
    const output = values.host === undefined ? composeYaml(topology, options) : hostComposeYaml(topology, { ...options, node: values.host, uplink: values.uplink });
    return { output, exitCode: EXIT.ok };
  },
};
