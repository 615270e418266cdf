// Who a planned change belongs to. A failing change fails its owner and nobody else (the failure
// contract in dataplane.ts), and the summary reports failures by owner.

export type Owner =
  /** An endpoint of the topology on this node. */
  | { kind: 'endpoint'; name: string }
  /** Node-wide settings (forwarding, proxy NDP on the uplink) that no single endpoint owns. */
  | { kind: 'node' }
  /** An object the programmer made for an endpoint that has left the topology; being removed. */
  | { kind: 'leftover'; endpoint?: string };

export const NODE_OWNER: Owner = { kind: 'node' };

export function endpointOwner(name: string): Owner {
  return { kind: 'endpoint', name };
}

export function leftoverOwner(endpoint: string | undefined): Owner {
  return endpoint === undefined ? { kind: 'leftover' } : { kind: 'leftover', endpoint };
}

/** A string identifying the owner, for grouping changes and failures. */
export function ownerKey(owner: Owner): string {
  switch (owner.kind) {
    case 'endpoint':
      return `endpoint ${owner.name}`;
    case 'node':
      return 'node';
    case 'leftover':
      return owner.endpoint === undefined ? 'leftover' : `leftover ${owner.endpoint}`;
  }
}

/** How the summary names the owner: an endpoint by its name alone. */
export function ownerLabel(owner: Owner): string {
  switch (owner.kind) {
    case 'endpoint':
      return owner.name;
    case 'node':
      return 'node-wide settings';
    case 'leftover':
      return owner.endpoint === undefined ? 'leftovers' : `leftovers of ${owner.endpoint}`;
  }
}
