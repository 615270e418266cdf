// A small topology for the endpoint tests: node1 has two containers (one wired by the programmer
// in its own namespace, one whose interface already exists) and a VM; node2 has one container.
import { parseTopology, type Topology } from '../../src/topology/index.ts';

export interface EndpointInput {
  name: string;
  node?: string;
  kind: 'container' | 'vm';
  addresses: string[];
  interface?: string;
  mac?: string;
  netns?: string;
}

export const BASE_ENDPOINTS: EndpointInput[] = [
  { name: 'web-1', kind: 'container', addresses: ['fd00:10::10', 'fd00:10::11'], interface: 'cali-web-1', netns: 'web-1' },
  { name: 'cache-1', kind: 'container', addresses: ['fd00:10::12'], interface: 'cali-cache-1' },
  { name: 'vm-1', kind: 'vm', addresses: ['fd00:10::30'], interface: 'tap-vm-1', mac: '02:00:00:00:00:30' },
  { name: 'db-1', node: 'node2', kind: 'container', addresses: ['fd00:10::20'], interface: 'cali-db-1', netns: 'db-1' },
];

export function topologyWith(endpoints: EndpointInput[] = BASE_ENDPOINTS): Topology {
  return parseTopology({
    apiVersion: 'bird6-controller/v1',
    cluster: { name: 'lab', asNumber: 64512 },
    ipPools: [{ cidr: 'fd00:10::/48' }],
    nodes: [
      { name: 'node1', address: 'fd00:ec::1' },
      { name: 'node2', address: 'fd00:ec::2' },
    ],
    endpoints: endpoints.map((e) => ({ node: 'node1', ...e })),
  });
}
