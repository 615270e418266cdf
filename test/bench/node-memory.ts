// Resident and peak memory of an agent's node process, read from /proc, for the benchmarks that
// hold the agent to a memory goal (agent.ts, startup.ts).
import { readFileSync } from 'node:fs';
import { percentiles } from './suite.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * VmRSS, VmHWM and VmRSS's two main parts in kB: RssAnon (V8's heap, malloc) and RssFile (pages of
 * the node binary and its libraries that the process has touched). `ip netns exec` execs node, so
 * the PID of the child it started is the agent's own.
 */
function nodeMemory(pid: number): { rss: number; hwm: number; anon: number; file: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  if (!/^Name:\s+node$/m.test(status)) throw new Error(`PID ${pid} is not an agent's node process`);
  const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rss: field('VmRSS'), hwm: field('VmHWM'), anon: field('RssAnon'), file: field('RssFile') };
}

/** VmRSS of 5 samples 1 s apart (as percentiles, in kB), and VmHWM, RssAnon and RssFile after the last. */
export async function sampledMemory(pid: number): Promise<{ rss: ReturnType<typeof percentiles>; hwm: number; anon: number; file: number }> {
  const samples: number[] = [];
  for (let i = 0; i < 5; i += 1) {
    samples.push(nodeMemory(pid).rss);
    await sleep(1000);
  }
  const { hwm, anon, file } = nodeMemory(pid);
  return { rss: percentiles(samples), hwm, anon, file };
}
