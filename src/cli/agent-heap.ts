// V8 heap and compiler settings for the long-running agent (issue 13: its resident memory). The
// agent is idle between polls: after its start-up it allocates so little that V8 runs no further
// major GC and never gives back what the start-up grew, which with 2 nodes was a third of the
// agent's RSS; and it has no hot code worth TurboFan's memory.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** When start-up (topology load, render, bird6 start, first endpoint reconcile) is long over. */
const STARTUP_OVER_MS = 10_000;

/**
 * Keeps the young generation at its initial size (1 MiB semi-spaces instead of growing to 8 MiB
 * while the modules load, most of whose allocations survive): a few more scavenges at start,
 * none after. To be called before the agent's modules load. --max-semi-space-size would say it
 * more directly, but V8 reads that only when it starts, and this runs inside the process.
 */
export function holdYoungGeneration(): void {
  setFlagsFromString('--semi-space-growth-factor=1');
}

/**
 * Keeps the agent's code in V8's first two tiers (the Ignition interpreter and Sparkplug), without
 * the optimizing compilers. TurboFan optimized only a few start-up functions (nunjucks' template
 * lexer, Node's lexer of CommonJS exports for ws and net-snmp, path helpers), and that alone
 * paged in 3-4 MiB of its own machine code from the node binary and left some 5 MiB of compile
 * zones and optimized code in the heap: with 2 nodes, stream and SNMP on, 9 MiB of the agent's
 * 62 MiB RSS (BENCHMARKS.md, agent). The agent's steady work, a poll parse every --poll-interval
 * and the odd render, runs well enough in Sparkplug; short commands (render of a large mesh)
 * keep every tier. Maglev (tier 2) is excluded too, for a Node that turns it on.
 */
export function stayInBaselineTiers(): void {
  setFlagsFromString('--max-opt=1');
}

/**
 * One full GC once start-up is over, which frees what start-up left in the old generation
 * (about 2 MiB with 2 nodes) and lets V8 release its pages; nothing else would collect it.
 * The timer keeps nothing alive. `gc` is reached the way Node's own tests do (V8's
 * --expose-gc makes it a global of contexts created afterwards), leaving this one untouched.
 */
export function collectStartupGarbageLater(): void {
  setTimeout(() => {
    setFlagsFromString('--expose-gc');
    (runInNewContext('gc') as (options: object) => void)({ type: 'major', execution: 'sync', flavor: 'last-resort' });
  }, STARTUP_OVER_MS).unref();
}
