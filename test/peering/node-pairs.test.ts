// Which nodes peer with which (src/peering/node-pairs.ts): the counting shortcut that finds nodes
// without any node session must agree with the pairwise rule the renderer uses, for every mix
// of roles in a small cluster, with and without the mesh.
import { describe, expect, it } from 'vitest';
import type { NodeSpec, Topology } from '../../src/topology/index.ts';
import { nodePeering, nodesWithoutNodeSessions } from '../../src/peering/node-pairs.ts';

type Role = Pick<NodeSpec, 'routeReflector' | 'routeReflectorClient'>;
const ROLES: Role[] = [
  {},
  { routeReflector: { clusterId: '1.0.0.1' } },
  { routeReflector: { clusterId: '1.0.0.2' } },
  { routeReflectorClient: { clusterId: '1.0.0.1' } },
  { routeReflectorClient: { clusterId: '1.0.0.2' } },
  // Refused by the checks, but the shortcut must still agree on it.
  { routeReflector: { clusterId: '1.0.0.1' }, routeReflectorClient: { clusterId: '1.0.0.1' } },
];

function cluster(mesh: boolean, roles: Role[]): Pick<Topology, 'cluster' | 'nodes'> {
  return {
    cluster: { nodeToNodeMesh: mesh } as Topology['cluster'],
    nodes: roles.map((role, i) => ({ name: `n${i}`, address: `fd00:ec::${i + 1}`, routerId: `10.0.0.${i + 1}`, ...role })),
  };
}

describe('nodesWithoutNodeSessions', () => {
  it('agrees with the pairwise rule for every mix of roles in clusters of one to four nodes', () => {
    let compared = 0;
    for (const mesh of [true, false]) {
      for (let size = 1; size <= 4; size += 1) {
        for (let code = 0; code < ROLES.length ** size; code += 1) {
          const roles = Array.from({ length: size }, (_, i) => ROLES[Math.floor(code / ROLES.length ** i) % ROLES.length]!);
          const t = cluster(mesh, roles);
          const pairwise = t.nodes.filter((self) => !t.nodes.some((other) => other !== self && nodePeering(t, self, other) !== undefined));
          expect(nodesWithoutNodeSessions(t).map((n) => n.name), JSON.stringify({ mesh, roles })).toEqual(pairwise.map((n) => n.name));
          compared += 1;
        }
      }
    }
    expect(compared).toBe(2 * (6 + 36 + 216 + 1296));
  });

  it('finds the plain nodes of a cluster without the mesh', () => {
    const t = cluster(false, [{ routeReflector: { clusterId: '1.0.0.1' } }, { routeReflectorClient: { clusterId: '1.0.0.1' } }, {}]);
    expect(nodesWithoutNodeSessions(t).map((n) => n.name)).toEqual(['n2']);
  });
});
