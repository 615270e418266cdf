// Run by topology-updates.test.ts inside a private mount namespace (`unshare --mount`): bind-mounts
// SOURCE alone onto TARGET, as a container runtime mounts one file, runs a TopologySource on TARGET
// and prints one JSON line per event on stdout. SIGTERM closes the source and exits; the mount
// goes with the namespace.
import { execFileSync } from 'node:child_process';
import { createJsonLogger } from '../../src/agent/logger.ts';
import { TopologySource } from '../../src/agent/topology-source.ts';

const [source, target] = process.argv.slice(2);
if (source === undefined || target === undefined) throw new Error('usage: topology-bind-child.ts SOURCE TARGET');
const say = (line: Record<string, unknown>) => process.stdout.write(`${JSON.stringify({ ...line, at: Date.now() })}\n`);

execFileSync('mount', ['--bind', source, target]);
const topology = new TopologySource({
  file: target,
  // The agent's own debounce (src/cli/agent.ts) and the default poll.
  debounceMs: 50,
  logger: createJsonLogger({ write: (line) => process.stderr.write(line), now: () => new Date() }),
  onTopology: (t) => say({ event: 'topology', asNumber: t.cluster.asNumber }),
  onInvalid: (report) => say({ event: 'invalid', report }),
});
process.on('SIGTERM', () => {
  topology.close();
  process.exit(0);
});
const first = await topology.start();
say({ event: 'ready', asNumber: first.cluster.asNumber });
// The source's watches and poll do not keep the process alive (as in the agent, whose servers do).
setInterval(() => undefined, 60_000);
