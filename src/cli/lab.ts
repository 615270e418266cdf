import { createJsonLogger } from '../agent/logger.ts';
import { BirdctlError, EXIT, type ExitCodeValue } from '../errors.ts';
import { installPath } from '../install-dir.ts';
import { formatDownReport, labDown } from '../lab/down.ts';
import { validatePrefix } from '../lab/plan.ts';
import { DEFAULT_PREFIX, DEFAULT_STATE_DIR, requireState } from '../lab/state.ts';
import { LabOrchestrator } from '../lab/orchestrator.ts';
import { allEstablished, formatLabStatus, labStatus, labStatusJson } from '../lab/status.ts';
import { birdctlAgentLauncher, formatUpSummary, labUp } from '../lab/up.ts';
import { parseCommandArgs, usageError, type Command, type CommandContext } from './command.ts';

/** What `lab up` brings up without a FILE. */
export const DEFAULT_TOPOLOGY = installPath('topology/example.yaml');
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

const HELP = `Usage: birdctl lab up [FILE] [--timeout SECONDS]
       birdctl lab status [--json]
       birdctl lab exec NAME -- CMD [ARGS...]
       birdctl lab down
       birdctl lab orchestrate

A multi-host lab on this machine (root): every node of the topology (default
topology/example.yaml) becomes a network namespace <prefix>-<node> with its address on eth0, all
on one bridge; each runs \`birdctl agent --bird\` (which starts bird6 and programs the node's
endpoints). Container endpoints get their namespace (named by their netns field); each VM endpoint
gets a "VM" namespace <prefix>--vm-<name> whose eth0 takes its address from the node's dnsmasq
with dhclient -6. The agents watch the lab's copy of the file (DIR/agent-topology.yaml), which the
lab's orchestrator updates on every edit once the edit's new endpoints have their namespaces.

  up       build the lab, wait until every session between nodes is Established, every endpoint's
           /128 is in every node's kernel and every VM has its address; print a summary.
           Refused while a lab (or the debris of a crashed one) exists: run lab down first.
           Leaves the orchestrator running (below).
  status   every node's BGP sessions, and each endpoint's state (programmed: its own node routes
           it through its interface; pending: not yet) and where its /128 is: on its own node
           via its interface, on which other nodes via BGP (read from every node's kernel)
  exec     run CMD (no shell) in the namespace of a node or an endpoint; exits with CMD's code
  down     stop every process (by PID) and remove every namespace and file the lab made; also
           sweeps namespaces named <prefix>-*; safe to run twice and after a crash
  orchestrate  run by lab up (detached, PID in DIR/orchestrator.pid, log DIR/orchestrator.log):
           watches FILE and, for an endpoint added to it, creates its container namespace (or VM
           namespace, tap and dhclient) before publishing the edit to the agents; removes the
           namespace of an endpoint that left. Touches only what state.json records. A container
           namespace that already exists and is not the lab's is used as it is and never removed.

Options:
  --timeout SECONDS  lab up: how long to wait for convergence (default 60)
  --json             lab status: one JSON object {lab, nodes: [{name, address, up, sessions}],
                     endpoints: [{name, node, kind, addresses, netns, state, everywhere,
                     routes: [{node, address, via: interface|bgp|other|missing, dev, gateway}]}]}
  --prefix P         namespace prefix (default ${DEFAULT_PREFIX})
  --state-dir DIR    state.json, node configs, sockets and logs (default ${DEFAULT_STATE_DIR})

Logs: DIR/nodes/<node>/agent.log (the agent's JSON lines), DIR/orchestrator.log,
DIR/vms/<vm>/dhclient.log.
Exit codes: up 0 ready, 1 failed or a lab already exists, 2 bad topology or usage;
status 0 all Established, 3 degraded, 1 no lab; exec CMD's code (1 no lab or unknown NAME); down 0;
orchestrate 0 when stopped by a signal, 1 no lab.`;

const OPTIONS = {
  prefix: { type: 'string' },
  'state-dir': { type: 'string' },
  timeout: { type: 'string' },
  json: { type: 'boolean' },
} as const;

async function up(positionals: string[], values: { prefix: string; stateDir: string; timeout?: string }, ctx: CommandContext) {
  if (positionals.length > 1) throw usageError('lab up', 'expected at most one topology FILE');
  const timeout = values.timeout === undefined ? 60 : Number(values.timeout);
  if (!(timeout > 0)) throw usageError('lab up', `--timeout ${JSON.stringify(values.timeout)} is not a positive number of seconds`);
  const report = await labUp(
    { topologyFile: positionals[0] ?? DEFAULT_TOPOLOGY, prefix: values.prefix, stateDir: values.stateDir, timeoutMs: timeout * 1000 },
    { runner: ctx.runner, launcher: birdctlAgentLauncher(ctx.runner), now: ctx.now, sleep, progress: (line) => ctx.write(`${line}\n`) },
  );
  return { output: formatUpSummary(report), exitCode: EXIT.ok };
}

async function exec(rest: string[], stateDir: string, ctx: CommandContext) {
  const [name, separator, file, ...args] = rest;
  if (name === undefined || separator !== '--' || file === undefined) throw usageError('lab exec', 'expected NAME -- CMD [ARGS...]');
  const state = requireState(stateDir);
  const netns = state.nodes.find((n) => n.name === name)?.netns ?? state.endpoints.find((e) => e.name === name)?.netns;
  if (netns === undefined) {
    throw new BirdctlError('LAB_NOT_RUNNING', `the lab has no node or endpoint named ${JSON.stringify(name)}`, {
      hint: `one of: ${[...state.nodes, ...state.endpoints].map((x) => x.name).join(', ')}`,
    });
  }
  const result = await ctx.runner.run(file, args, { netns });
  process.stderr.write(result.stderr);
  // CMD's own exit code passes through unchanged, outside birdctl's 0-3 vocabulary.
  return { output: result.stdout, exitCode: result.exitCode as ExitCodeValue };
}

/** Runs until SIGTERM or SIGINT, then finishes the step under way (its objects are recorded). */
async function orchestrate(stateDir: string, ctx: CommandContext) {
  const logger = createJsonLogger({ write: (line) => process.stderr.write(line), now: ctx.now, context: { component: 'lab-orchestrator' } });
  const orchestrator = new LabOrchestrator({ stateDir }, { runner: ctx.runner, logger, sleep });
  // Refuses with LAB_NOT_RUNNING when there is no state (StateRecorder.resume).
  await orchestrator.start();
  if (!ctx.signal.aborted) await new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve(), { once: true }));
  await orchestrator.stop();
  logger.info('stopped');
  return { output: '', exitCode: EXIT.ok };
}

export const labCommand: Command = {
  help: HELP,
  async run(argv, ctx) {
    const [sub, ...rest] = argv;
    // exec's CMD may carry options of its own: only what precedes `--` is ours.
    const split = rest.indexOf('--');
    const own = sub === 'exec' && split >= 0 ? rest.slice(0, split) : rest;
    const { positionals, values } = parseCommandArgs('lab', own, OPTIONS);
    const prefix = values.prefix ?? DEFAULT_PREFIX;
    validatePrefix(prefix);
    const stateDir = values['state-dir'] ?? DEFAULT_STATE_DIR;
    switch (sub) {
      case 'up':
        return up(positionals, { prefix, stateDir, timeout: values.timeout }, ctx);
      case 'down': {
        if (positionals.length > 0) throw usageError('lab down', 'takes no arguments');
        return { output: formatDownReport(await labDown({ stateDir, prefix }, { runner: ctx.runner, sleep })), exitCode: EXIT.ok };
      }
      case 'status': {
        const state = requireState(stateDir);
        const status = await labStatus(state, stateDir, { runner: ctx.runner, now: ctx.now });
        const output = values.json ? `${JSON.stringify(labStatusJson(state, status))}\n` : formatLabStatus(state, status);
        return { output, exitCode: allEstablished(status) ? EXIT.ok : EXIT.degraded };
      }
      case 'orchestrate':
        if (positionals.length > 0) throw usageError('lab orchestrate', 'takes no arguments');
        return orchestrate(stateDir, ctx);
      case 'exec':
        return exec([...positionals, ...(split >= 0 ? rest.slice(split) : [])], stateDir, ctx);
      default:
        throw usageError('lab', sub === undefined ? 'expected up, status, exec, down or orchestrate' : `unknown subcommand ${JSON.stringify(sub)}`);
    }
  },
};
