// The plan of one node, put together and printed: the bird6.conf diff, the BGP sessions it adds,
// removes or changes (and which of those BIRD restarts), and the endpoint objects an apply would
// add, replace or remove. Pure: the caller reads the files, BIRD and the kernel.
import { bgpProtocols, protocolChanges, hasSessionChanges, type SessionChanges } from './bird-sessions.ts';
import type { EndpointPlan } from './endpoint-plan.ts';
import { unifiedDiff } from './unified-diff.ts';

export interface NodePlan {
  node: string;
  configPath: string;
  /** the current file did not exist: the first apply writes it */
  configMissing: boolean;
  configDiff: string;
  sessions: SessionChanges;
  /** BGP protocols bird6 runs that the current file does not have (it runs another file); null when bird6 was not asked */
  notInConfig: string[] | null;
  /** why bird6 could not be asked, when it could not */
  birdUnreachable: string | null;
  endpoints: EndpointPlan;
}

export interface NodePlanInput {
  node: string;
  configPath: string;
  topologyLabel: string;
  /** undefined: no file at configPath */
  current: string | undefined;
  next: string;
  /** names of the BGP protocols bird6 runs, or the reason it could not be asked */
  running: { protocols: string[] } | { error: string };
  endpoints: EndpointPlan;
}

export function nodePlan(input: NodePlanInput): NodePlan {
  const current = input.current ?? '';
  // Each file read once: the session changes and the check against bird6 below both need them.
  const currentProtocols = bgpProtocols(current);
  const nextProtocols = bgpProtocols(input.next);
  const sessions = protocolChanges(currentProtocols, nextProtocols);
  let notInConfig: string[] | null = null;
  if ('protocols' in input.running) {
    const inFile = new Set(currentProtocols.map((p) => p.name));
    notInConfig = input.running.protocols.filter((p) => !inFile.has(p)).sort();
    // A protocol bird6 runs that neither file has goes when bird6 loads the new file.
    const kept = new Set(nextProtocols.map((p) => p.name));
    for (const p of notInConfig) if (!kept.has(p) && !sessions.removed.includes(p)) sessions.removed.push(p);
    sessions.removed.sort();
  }
  return {
    node: input.node,
    configPath: input.configPath,
    configMissing: input.current === undefined,
    configDiff: unifiedDiff(current, input.next, { fromLabel: input.current === undefined ? '/dev/null' : input.configPath, toLabel: `${input.configPath} (rendered from ${input.topologyLabel})` }),
    sessions,
    notInConfig,
    birdUnreachable: 'error' in input.running ? input.running.error : null,
    endpoints: input.endpoints,
  };
}

/** Anything an apply would change: the file, a session or an endpoint object. */
export function planHasChanges(plan: NodePlan): boolean {
  return plan.configDiff !== '' || hasSessionChanges(plan.sessions) || plan.endpoints.changes.length > 0;
}

const SIGN = { add: '+', replace: '~', delete: '-' } as const;

export function formatPlan(plan: NodePlan): string {
  const out: string[] = [`plan for node ${plan.node}`, ''];
  if (plan.configDiff === '') out.push(`bird6.conf: ${plan.configPath} is already what the topology renders`);
  else out.push(`bird6.conf: ${plan.configMissing ? `${plan.configPath} does not exist yet; it would be written` : `${plan.configPath} would change`}`, plan.configDiff.trimEnd());
  out.push('');

  const { added, removed, changed } = plan.sessions;
  const restarted = changed.filter((c) => c.restart);
  out.push(`BGP sessions: ${added.length} added, ${removed.length} removed, ${changed.length} changed (${restarted.length} restarted by bird6)`);
  for (const name of added) out.push(`  + ${name}`);
  for (const name of removed) out.push(`  - ${name}`);
  for (const c of changed) {
    out.push(`  ~ ${c.name}: ${c.restart ? 'bird6 restarts the session' : 'reconfigured in place, the session stays up'}`);
    for (const s of c.removed) out.push(`      - ${s}`);
    for (const s of c.added) out.push(`      + ${s}`);
  }
  if (plan.birdUnreachable !== null) out.push(`  (bird6 not asked: ${plan.birdUnreachable}; compared with ${plan.configPath} only)`);
  else if (plan.notInConfig !== null && plan.notInConfig.length > 0) out.push(`  (bird6 runs ${plan.notInConfig.join(', ')}, which ${plan.configPath} does not have: it runs another file)`);
  out.push('');

  const e = plan.endpoints;
  const count = (kind: keyof typeof SIGN) => e.changes.filter((c) => c.kind === kind).length;
  out.push(`endpoint objects: ${count('add')} added, ${count('replace')} replaced, ${count('delete')} removed, ${e.unchanged} unchanged${e.uplink === undefined ? ' (no interface carries the node address: no proxy NDP entries)' : ` (uplink ${e.uplink})`}`);
  for (const c of e.changes) out.push(`  ${SIGN[c.kind]} ${c.object} (${c.owner})`);
  for (const p of e.pending) out.push(`  pending ${p.endpoint}: ${p.reason}`);
  for (const b of e.blocked) out.push(`  refused ${b.endpoint}: ${b.reason}`);
  out.push('', planHasChanges(plan) ? 'changes: applying this topology would make the changes above' : 'nothing to change');
  return `${out.join('\n')}\n`;
}
