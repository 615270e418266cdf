import { EXIT } from '../errors.ts';
import { composeYaml } from '../lab/compose.ts';
import { hostComposeYaml } from '../lab/compose-host.ts';
import { INTERFACE_RE, loadTopology } from '../topology/index.ts';
import { parseCommandArgs, usageError, type Command } from './command.ts';

export const composeCommand: Command = {
  help: `Usage: birdctl compose FILE > compose.yaml
       birdctl compose FILE --host NODE [--uplink IF] > compose.yaml

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

The file's header lists each privilege and why. FILE's path is written relative to the current
directory, so run it from the directory that will hold compose.yaml.

Exit codes: 0 printed, 2 invalid topology (including node addresses outside one /64 or an
endpoint named like a node), a NODE not in FILE (the error lists the nodes) or bad usage.`,
  async run(argv) {
    const { positionals, values } = parseCommandArgs('compose', argv, { host: { type: 'string' }, uplink: { type: 'string' } });
    if (positionals.length !== 1) throw usageError('compose', 'expected exactly one topology FILE');
    if (values.uplink !== undefined && values.host === undefined) throw usageError('compose', '--uplink needs --host: the one-host cluster\'s uplink is always eth0');
    if (values.uplink !== undefined && !INTERFACE_RE.test(values.uplink)) throw usageError('compose', `--uplink ${JSON.stringify(values.uplink)} is not an interface name`);
    const file = positionals[0]!;
    const topology = await loadTopology(file);
    const options = { topologyFile: file, composeDir: process.cwd() };
    const output = values.host === undefined ? composeYaml(topology, options) : hostComposeYaml(topology, { ...options, node: values.host, uplink: values.uplink });
    return { output, exitCode: EXIT.ok };
  },
};
