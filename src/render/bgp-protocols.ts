// The `protocol bgp` block of each session, written by code instead of a template loop. A full
// mesh of N nodes puts N-1 of these blocks in every node's file (2,000 nodes: 4 million in the
// cluster), and nunjucks spends most of a render on them: its `for` sets eight loop variables per
// iteration and every `{{ }}` is a lookup, a filter call and two checks. This writes the same
// bytes as the loop bgp.njk held, through the same filters (value-filters.ts), so a value that
// could break out of its place is still refused. test/render/bgp-protocols.test.ts holds it to
// that loop for every branch; the golden files hold it to the committed configs.
import type { BgpSession } from '../peering/sessions.ts';
import { integer, ipv4, ipv6, quoted, symbol } from './value-filters.ts';

function externalPolicy(policy: NonNullable<BgpSession['external']>): string {
  let text = '';
  if (policy.nextHop === 'self') text += '  next hop self;\n';
  else if (policy.nextHop === 'keep') text += '  next hop keep;\n';
  text += policy.import === 'none' ? '  import none;\n' : `  import filter external_import_${symbol(policy.import)};\n`;
  if (policy.importLimit) text += `  import limit ${integer(policy.importLimit)} action block;   # beyond it, further routes are dropped\n`;
  if (policy.export === 'none') return `${text}  export none;\n`;
  text += `  export filter {\n    if !${policy.export === 'pools' ? 'pool_aggregate' : 'own_endpoint'}() then reject;\n`;
  for (const c of policy.communities) text += `    bgp_${c.large ? 'large_' : ''}community.add((${c.parts.map(integer).join(', ')}));\n`;
  return `${text}    accept;\n  };\n`;
}

function protocol(s: BgpSession): string {
  let text = `\nprotocol bgp ${symbol(s.protocol)} from ${s.external ? 'external_peer' : 'cluster_node'}\n{\n`;
  text += `  description ${quoted(s.description)};\n  local as ${integer(s.localAs)};\n`;
  text += `  neighbor ${ipv6(s.neighborAddress)}${s.port ? ` port ${integer(s.port)}` : ''} as ${integer(s.neighborAs)};\n`;
  if (s.external) text += s.reach.kind === 'direct' ? '  direct;\n' : `  multihop ${integer(s.reach.ttl)};\n`;
  if (s.passive) text += '  passive on;         # the peer with the lower address connects\n';
  if (s.password) text += `  password ${quoted(s.password)};\n`;
  if (s.timers) {
    text += `  hold time ${integer(s.timers.holdTime)};\n  startup hold time ${integer(s.timers.holdTime)};\n`;
    text += `  keepalive time ${integer(s.timers.keepaliveTime)};\n`;
  }
  if (s.bfd) text += '  bfd on;\n';
  if (s.rrClusterId) text += `  rr client;\n  rr cluster id ${ipv4(s.rrClusterId)};\n`;
  if (s.external) text += externalPolicy(s.external);
  return `${text}}\n`;
}

/** Every session's block, each after an empty line, as bgp.njk prints them (`bgp_protocols`). */
export function bgpProtocols(sessions: readonly BgpSession[]): string {
  return sessions.map(protocol).join('');
}
