// Turns operations into `ip -6 -batch - -force` lines and the batch's stderr back into failures.
// With -force ip carries on after a failing line and names it, so one bad line fails only the
// change it came from. Every value in a line comes from the validated topology or from the kernel
// (interface names cannot hold whitespace), so no line can smuggle in another command. A name
// always follows its keyword (`name`, `dev`): ip reads a bare word where a name may stand as a
// keyword first, so an interface called `help`, `mtu` or `up` would print usage and end the batch.
import type { Operation } from './dataplane.ts';
import { CONTAINER_INTERFACE } from './model.ts';

/** The batch lines of an operation run in the host namespace, or undefined when it is not an ip operation there. */
export function hostLines(o: Operation, routeProtocol: number): string[] | undefined {
  switch (o.op) {
    case 'create-veth':
      // The peer is created directly inside the container's namespace, so it never appears on the host.
      return [`link add name ${o.name} type veth peer name ${CONTAINER_INTERFACE} netns ${o.netns}`, `link set dev ${o.name} alias ${o.alias}`];
    case 'delete-link':
      return [`link del dev ${o.name}`];
    case 'set-link-up':
      return [`link set dev ${o.name} up`];
    case 'add-link-address':
      // noprefixroute: the address must not bring a route for its prefix (see desired.ts).
      return [`addr replace ${o.address} dev ${o.name} nodad noprefixroute`];
    case 'delete-link-address':
      return [`addr del ${o.address} dev ${o.name}`];
    case 'replace-route':
      return [`route replace ${o.route.dst}/128 dev ${o.route.dev} proto ${routeProtocol} scope link`];
    case 'delete-route':
      return [`route del ${o.route.dst.includes('/') ? o.route.dst : `${o.route.dst}/128`} dev ${o.route.dev} proto ${routeProtocol}`];
    case 'replace-neighbour':
      return [`neigh replace ${o.neighbour.dst} lladdr ${o.neighbour.lladdr} dev ${o.neighbour.dev} nud permanent`];
    case 'delete-neighbour':
      return [`neigh del ${o.neighbour.dst} dev ${o.neighbour.dev}`];
    case 'replace-proxy':
      return [`neigh replace proxy ${o.proxy.dst} dev ${o.proxy.dev}`];
    case 'delete-proxy':
      return [`neigh del proxy ${o.proxy.dst} dev ${o.proxy.dev}`];
    default:
      return undefined;
  }
}

/** The batch lines of an operation run inside a container namespace (`ip -n NS`), or undefined. */
export function containerLines(o: Operation): { netns: string; lines: string[] } | undefined {
  switch (o.op) {
    case 'container-add-address':
      // nodad: the address is usable at once; nobody else on a veth can hold it.
      return { netns: o.netns, lines: [`addr replace ${o.address} dev ${CONTAINER_INTERFACE} nodad`] };
    case 'container-delete-address':
      return { netns: o.netns, lines: [`addr del ${o.address} dev ${CONTAINER_INTERFACE}`] };
    case 'container-link-up':
      return { netns: o.netns, lines: [`link set dev ${CONTAINER_INTERFACE} up`] };
    case 'container-default-route':
      return { netns: o.netns, lines: [`route replace default via ${o.gateway} dev ${CONTAINER_INTERFACE}`] };
    default:
      return undefined;
  }
}

/**
 * A line that fails harmlessly and always: the kernel refuses a `/` in interface names, so no
 * such device can exist. ip -force reports it as `Command failed -:N`, so one after each owner's
 * lines marks how far a batch got if ip exits half way (see ip-dataplane.ts).
 */
export const CHECKPOINT_LINE = 'link show dev bird6/checkpoint';

// stderr of `ip -6 -batch - -force` with lines 1 and 3 failing (the message comes first):
// Cannot find device "nonexist"
// Command failed -:1
// RTNETLINK answers: No such process
// Command failed -:3
/** The error message of each failed line, by 1-based line number. */
export function parseBatchErrors(stderr: string): Map<number, string> {
  const failures = new Map<number, string>();
  let message: string[] = [];
  for (const line of stderr.split('\n')) {
    const failed = /^Command failed .*:(\d+)$/.exec(line.trim());
    if (failed) {
      failures.set(Number(failed[1]), message.join(' ').trim() || 'failed');
      message = [];
    } else if (line.trim() !== '') {
      message.push(line.trim());
    }
  }
  return failures;
}
