// The Docker Swarm deployment of a topology across several Docker hosts: a stack file (format 3.x,
// for `docker stack deploy`) with one global service, so every Swarm node runs one task: bird6
// supervised by `birdctl agent` on the host's own network (it programs the host's kernel, as the
// per-host file does), the topology as a Swarm config, and the node's name taken from the Swarm
// node's hostname. Built as a plain object and serialised by the `yaml` package, so no topology
// value is ever spliced into YAML text.
//
// How a topology change rolls out: Swarm configs are immutable, so the config is named after a
// hash of the file's content. Regenerated after an edit, the stack file names a new config; a
// second `docker stack deploy` creates it and updates the service, and Swarm replaces the tasks
// one node at a time (update_config below). A stack file left stale after an edit names the old
// config with new content, which `docker stack deploy` refuses: nothing rolls out half-known.
import { createHash } from 'node:crypto';
import { basename } from 'node:path';
import { BirdctlError } from '../errors.ts';
import type { Topology } from '../topology/index.ts';
import { CONTAINER_PATHS, IMAGE, mountSource, nodeAgentCommand, nodeCapabilityLines, nodeCapAdd, nodeHealthcheck, withHeader } from './compose.ts';
import { HOST_NETNS_DIR, STATE_VOLUME } from './compose-host.ts';
import { NODE_NAME_ENV } from './node-name-env.ts';

export const SWARM_SERVICE = 'node';
/** Docker's name for the host network, which a stack can only join as an external network. */
const HOST_NETWORK = 'hostnet';
/** swarmkit refuses a config larger than 500 KiB (its MaxConfigSize). */
export const MAX_SWARM_CONFIG_BYTES = 500 * 1024;

export interface SwarmOptions {
  /** The topology file as the user named it; the config's `file:`, relative to composeDir. */
  topologyFile: string;
  /** The directory the stack file is written to: `docker stack deploy` resolves `file:` from there. */
  composeDir: string;
  /** The file's text as it was validated: what the config carries and what its name hashes. */
  topologyText: string;
}

/** RFC 1123 host name label: what `hostname` accepts and Swarm reports as .Node.Hostname. */
const HOSTNAME_LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/** Each node's name must be its host's hostname; the topology's name rule allows a trailing '-'. */
function checkNodeHostnames(topology: Topology): void {
  const problems = topology.nodes.flatMap((node, i) =>
    HOSTNAME_LABEL.test(node.name)
      ? []
      : [{ path: `nodes[${i}].name`, message: `${JSON.stringify(node.name)} is not a valid host name`, hint: 'in Swarm each host\'s hostname is its node\'s name: end it with a letter or digit' }],
  );
  if (problems.length > 0) throw new BirdctlError('TOPOLOGY_INVALID', `${topology.source}: node names must be host names for a Swarm stack`, { problems });
}

function checkConfigSize(topology: Topology, text: string): void {
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes <= MAX_SWARM_CONFIG_BYTES) return;
  throw new BirdctlError('TOPOLOGY_INVALID', `${topology.source} is ${bytes} bytes; a Swarm config holds at most ${MAX_SWARM_CONFIG_BYTES}`, {
    hint: 'deploy per host (birdctl compose FILE --host NODE) with the topology mounted instead',
  });
}

/** The config's key in the stack file: a new content is a new config, as Swarm configs never change. */
export function topologyConfigName(topologyText: string): string {
  return `topology-${createHash('sha256').update(topologyText, 'utf8').digest('hex').slice(0, 12)}`;
}

function swarmStackObject(topology: Topology, options: SwarmOptions): Record<string, unknown> {
  checkNodeHostnames(topology);
  checkConfigSize(topology, options.topologyText);
  const config = topologyConfigName(options.topologyText);
  const topologyFile = `${CONTAINER_PATHS.topologyDir}/${basename(options.topologyFile)}`;
  return {
    version: '3.8',
    services: {
      [SWARM_SERVICE]: {
        image: IMAGE,
        // tini as PID 1 reaps bird6 and dnsmasq once the agent has detached them.
        init: true,
        // Templates work in env (not in a command's arguments): each task learns its host's name.
        environment: { [NODE_NAME_ENV]: '{{.Node.Hostname}}' },
        cap_add: nodeCapAdd(),
        networks: [HOST_NETWORK],
        volumes: [
          // A fresh /run per task: no bird6 socket or pid file of an earlier task is found.
          { type: 'tmpfs', target: '/run' },
          // The host's namespace names, rshared so that namespaces made after the task started
          // (the host's runtime creating containers) appear inside.
          { type: 'bind', source: HOST_NETNS_DIR, target: HOST_NETNS_DIR, bind: { propagation: 'rshared' } },
          // A new config version is a new task, on the same host kernel: the ownership record
          // (beside bird6.conf) must outlive the task, or the next agent could not prove which
          // routes it made. Swarm makes the volume on each host as the first task starts.
          { type: 'volume', source: STATE_VOLUME, target: CONTAINER_PATHS.configDir },
        ],
        configs: [{ source: config, target: topologyFile }],
        // --in-container: bird6's socket directory on the fresh /run, /proc/sys/net made writable.
        // --keep-routes-on-stop: every topology change replaces every task, one by one, so a stop
        // here is a restart: bird6 ends with the task without a Cease and its peers keep the
        // node's routes through graceful restart until the next task's bird6 is back (seconds),
        // instead of withdrawing them for the length of each node's restart.
        command: nodeAgentCommand(undefined, topologyFile, undefined, ['--in-container', '--keep-routes-on-stop']),
        healthcheck: nodeHealthcheck(),
        stop_grace_period: '10s',
        deploy: {
          mode: 'global',
          update_config: {
            // One node at a time, and the next only once the new task is healthy (a task with a
            // healthcheck is running only then): never two nodes down at once. stop-first, as a
            // second bird6 on the same host network could neither bind the BGP port nor share
            // the kernel's routes with the first.
            parallelism: 1,
            order: 'stop-first',
            delay: '0s',
            failure_action: 'rollback',
            monitor: '30s',
            max_failure_ratio: 0,
          },
          rollback_config: { parallelism: 1, order: 'stop-first', failure_action: 'pause', monitor: '30s' },
          restart_policy: { condition: 'any', delay: '5s' },
        },
      },
    },
    configs: { [config]: { file: mountSource(options.topologyFile, options.composeDir) } },
    networks: { [HOST_NETWORK]: { external: true, name: 'host' } },
    volumes: { [STATE_VOLUME]: {} },
  };
}

/** The stack file's text, headed by how to regenerate and deploy it, the privileges and how a change rolls out. */
export function swarmStackYaml(topology: Topology, options: SwarmOptions): string {
  const object = swarmStackObject(topology, options);
  const source = mountSource(options.topologyFile, options.composeDir);
  const header = [
    `Generated by: birdctl compose ${source} --swarm`,
    'Do not edit by hand; regenerate it when the topology changes.',
    '',
    'Docker Swarm, one task per Swarm node (a global service on the host network):',
    `  - every host's hostname is its topology node's name (${topology.nodes.map((n) => n.name).join(', ')}):`,
    `    the task passes {{.Node.Hostname}} to the agent as ${NODE_NAME_ENV}; a host not in the`,
    '    topology runs a task that exits and is restarted;',
    `  - the image ${IMAGE} is loaded on every host (docker load), IPv6 forwarding is on`,
    `    (Docker sets no net.* sysctl on the host network) and ${HOST_NETNS_DIR} exists there as a`,
    '    shared mount (what `ip netns add` makes), where the host\'s runtime names container',
    '    endpoints\' network namespaces;',
    '  - deploy: docker stack deploy --resolve-image never -c THIS_FILE STACK (the topology\'s',
    '    path below is relative to this file\'s directory);',
    '',
    'A topology change: regenerate this file and deploy it again. The topology is a Swarm config',
    `named after a hash of its content (now ${topologyConfigName(options.topologyText)}); the new name is a new config,`,
    'and Swarm replaces the tasks one node at a time, each healthy (bird6 running the new',
    'configuration, a session Established) before the next stops, rolling back on a failure.',
    'Routes do not flap: a task stops without withdrawing them (--keep-routes-on-stop) and its',
    'peers keep them by graceful restart until the next task is back. Old configs stay for the',
    'rollback until `docker stack rm`. Deploying a stale file after an edit is refused by Swarm.',
    '',
    'Privileges (no privileged mode):',
    ...nodeCapabilityLines(),
    'Host network: the agent programs the host\'s own kernel, bird6 listens on the host\'s BGP',
    `port. /run is a tmpfs per task; the volume ${STATE_VOLUME} keeps bird6.conf and the agent's`,
    'ownership record per host across tasks (it outlives `docker stack rm`, as do the routes',
    'of endpoints still running on the host).',
  ];
  return withHeader(object, header);
}
