// The topology package's public surface.
export { loadTopology, parseTopology, parseTopologyText } from './load.ts';
export type { Topology, NodeSpec, Peer, Endpoint, IpPool, ClusterConfig } from './model.ts';
export { findNode, nodeAsNumber, requireNode } from './model.ts';
export { API_VERSION, INTERFACE_RE, NETNS_RE } from './schema.ts';
export { AS_TRANS, ENDPOINT_ROUTE_PROTOCOL } from './conventions.ts';
