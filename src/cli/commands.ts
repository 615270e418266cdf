// Every birdctl command, in the order `birdctl --help` lists them. A command's module is imported
// only when that command runs: each pulls in packages that cost tens of milliseconds to load
// (zod and yaml for topologies, nunjucks, ws, net-snmp), and `birdctl --help` or the
// compose healthcheck's `birdctl status` must not pay for the others' (issue 13).
import type { Command } from './command.ts';

export interface CommandEntry {
  name: string;
  /** One line for `birdctl --help`. */
  summary: string;
  /** It starts processes: main loads the process runner (src/exec.ts) for it, and only for it. */
  startsProcesses?: true;
  load(): Promise<Command>;
}

export const COMMANDS: readonly CommandEntry[] = [
  {
    name: 'validate',
    summary: 'check a topology file and report every problem in it',
    load: async () => (await import('./validate.ts')).validateCommand,
  },
  {
    name: 'render',
    summary: "print a node's bird6.conf, or write every node's config into a directory",
    load: async () => (await import('./render.ts')).renderCommand,
  },
  {
    name: 'status',
    summary: 'show the BGP sessions of the local bird6 (exit 0 all Established, 3 degraded, 1 unreachable)',
    load: async () => (await import('./status.ts')).statusCommand,
  },
  {
    name: 'routes',
    summary: "show the routes in the local bird6's table with next hop, protocol, age and BGP attributes",
    load: async () => (await import('./routes.ts')).routesCommand,
  },
  {
    name: 'plan',
    summary: 'show what applying a topology would change on this node (bird6.conf diff, sessions, endpoints), changing nothing',
    // It reads the kernel's endpoint objects with ip.
    startsProcesses: true,
    load: async () => (await import('./plan.ts')).planCommand,
  },
  {
    name: 'endpoints',
    summary: "program this node's container and VM endpoints into the kernel",
    startsProcesses: true,
    load: async () => (await import('./endpoints.ts')).endpointsCommand,
  },
  {
    name: 'agent',
    summary: 'the long-running controller: keeps bird6 and the endpoints true to the topology',
    startsProcesses: true,
    load: async () => (await import('./agent.ts')).agentCommand,
  },
  {
    name: 'compose',
    summary: 'print a docker compose file that runs a topology on one Docker host, nodes and endpoints',
    load: async () => (await import('./compose.ts')).composeCommand,
  },
  {
    name: 'lab',
    summary: 'a multi-host lab in network namespaces with real bird6: up, status, exec, down, orchestrate',
    startsProcesses: true,
    load: async () => (await import('./lab.ts')).labCommand,
  },
];

export function findCommand(name: string | undefined): CommandEntry | undefined {
  return COMMANDS.find((c) => c.name === name);
}
