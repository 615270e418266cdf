// What an external peer (a ToR router, an upstream speaker) is sent and what is taken from it:
// the peer's own setting, else the cluster's default in cluster.bgp, else the safe default for a
// ToR. One resolution, read by the renderer and the validator alike.
import type { ClusterConfig, Peer } from '../topology/model.ts';

export type ExportPolicy = 'pools' | 'endpoints' | 'none';
export type ImportPolicy = 'default' | 'all' | 'none';
export type NextHopPolicy = 'auto' | 'self' | 'keep';

export interface Community {
  /** a large community (RFC 8092, three 32-bit parts) rather than a standard one (two 16-bit parts) */
  large: boolean;
  parts: number[];
}

export interface ExternalPolicy {
  export: ExportPolicy;
  import: ImportPolicy;
  /** BIRD's `import limit`; undefined: no limit */
  importLimit: number | undefined;
  communities: Community[];
  nextHop: NextHopPolicy;
}

/**
 * A ToR is sent the pool aggregates only (each node announcing other nodes' /128s with itself as
 * next hop makes the ToR hairpin through the wrong host) and gives only its default route (a
 * leaked full table would otherwise land in every host's kernel).
 */
const SAFE_EXTERNAL_POLICY: Readonly<Pick<ExternalPolicy, 'export' | 'import' | 'nextHop'>> = { export: 'pools', import: 'default', nextHop: 'auto' };

/** The schema has checked the form (`A:B` or `A:B:C` with parts in range). */
function parseCommunity(text: string): Community {
  const parts = text.split(':').map(Number);
  return { large: parts.length === 3, parts };
}

type PolicyFields = Pick<Peer, 'export' | 'import' | 'importLimit' | 'communities' | 'nextHop'>;

export function externalPolicy(cluster: Pick<ClusterConfig, 'bgp'>, peer: PolicyFields): ExternalPolicy {
  const defaults = cluster.bgp;
  return {
    export: peer.export ?? defaults.export ?? SAFE_EXTERNAL_POLICY.export,
    import: peer.import ?? defaults.import ?? SAFE_EXTERNAL_POLICY.import,
    importLimit: peer.importLimit ?? defaults.importLimit,
    communities: (peer.communities ?? defaults.communities ?? []).map(parseCommunity),
    nextHop: peer.nextHop ?? defaults.nextHop ?? SAFE_EXTERNAL_POLICY.nextHop,
  };
}

/** BFD on a session: the peer's own setting, else the cluster's. */
export function bfdFor(cluster: Pick<ClusterConfig, 'bgp'>, peer: Pick<Peer, 'bfd'> | undefined): boolean {
  return peer?.bfd ?? cluster.bgp.bfd ?? false;
}

/** The hold and keepalive times of a session with `peer`: its own, else the cluster's. */
export function timersFor(cluster: Pick<ClusterConfig, 'bgp'>, peer: Pick<Peer, 'holdTime' | 'keepaliveTime'>): { holdTime: number; keepaliveTime: number } {
  return { holdTime: peer.holdTime ?? cluster.bgp.holdTime, keepaliveTime: peer.keepaliveTime ?? cluster.bgp.keepaliveTime };
}
