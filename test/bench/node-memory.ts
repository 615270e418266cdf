// Resident and peak memory of an agent's node process, read from /proc, for the benchmarks that
// hold the agent to a memory goal (agent.ts, startup.ts).
import { readFileSync } from 'node:fs';
import { percentiles } from './suite.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** VmRSS and VmHWM in kB; `ip netns exec` execs node, so the PID of the child it started is the agent's own. */
function nodeMemory(pid: number): { rss: number; hwm: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  if (!/^Name:\s+node$/m.test(status)) throw new Error(`PID ${pid} is not an agent's node process`);
  const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rss: field('VmRSS'), hwm: field('VmHWM') };
}

/** VmRSS of 5 samples 1 s apart (as percentiles, in kB), and VmHWM after the last. */
export async function sampledMemory(pid: number): Promise<{ rss: ReturnType<typeof percentiles>; hwm: number }> {
  const samples: number[] = [];
  for (let i = 0; i < 5; i += 1) {
    samples.push(nodeMemory(pid).rss);
    await sleep(1000);
  }
  return { rss: percentiles(samples), hwm: nodeMemory(pid).hwm };
}
