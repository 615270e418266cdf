// Lines of `ip -o monitor link`, the kernel's link notifications, reduced to what the agent acts
// on: which interface, and whether it was deleted. Real samples (iproute2 6.1):
//
//   3: va@vb: <BROADCAST,MULTICAST,M-DOWN> mtu 1500 qdisc noop state DOWN group default \    link/ether e6:54:...
//   Deleted 3: va@NONE: <BROADCAST,MULTICAST> mtu 1500 qdisc noop state DOWN group default \    link/ether e6:54:...

export interface LinkEvent {
  ifname: string;
  deleted: boolean;
}

const LINE = /^(Deleted )?\d+: ([^:@\s]+)(?:@[^:\s]+)?: </;

/** The event a line reports, or undefined for a line that is not a link notification. */
export function parseLinkEvent(line: string): LinkEvent | undefined {
  const match = LINE.exec(line);
  return match === null ? undefined : { ifname: match[2]!, deleted: match[1] !== undefined };
}
