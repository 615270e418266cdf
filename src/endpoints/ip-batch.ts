// Turns operations into `ip -6 -batch - -force` lines and the batch's stderr back into failures.
// With -force ip carries on after a failing line and names it, so one bad line fails only the
// change it came from. Every value in a line comes from the validated topology or from the kernel
// (interface names cannot hold whitespace), so no line can smuggle in another command.
import { ENDPOINT_ROUTE_PROTOCOL } from '../topology/index.ts';
import type { Operation } from './dataplane.ts';
import { CONTAINER_INTERFACE } from './model.ts';

/** The batch lines of an operation run in the host namespace, or undefined when it is not an ip operation there. */
export function hostLines(o: Operation): string[] | undefined {
  switch (o.op) {
    case 'create-veth':
      // The peer is created directly inside the container's namespace, so it never appears on the host.
      return [`link add ${o.name} type veth peer name ${CONTAINER_INTERFACE} netns ${o.netns}`, `link set ${o.name} alias ${o.alias}`];
    case 'delete-link':
      return [`link del ${o.name}`];
    case 'set-link-up':
      return [`link set ${o.name} up`];
    case 'add-link-address':
      // noprefixroute: the address must not bring a route for its prefix (see desired.ts).
      return [`addr replace ${o.address} dev ${o.name} nodad noprefixroute`];
    case 'replace-route':
      return [`route replace ${o.route.dst}/128 dev ${o.route.dev} proto ${ENDPOINT_ROUTE_PROTOCOL} scope link`];
    case 'delete-route':
      return [`route del ${o.route.dst.includes('/') ? o.route.dst : `${o.route.dst}/128`} dev ${o.route.dev} proto ${ENDPOINT_ROUTE_PROTOCOL}`];
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
      return { netns: o.netns, lines: [`link set ${CONTAINER_INTERFACE} up`] };
    case 'container-default-route':
      return { netns: o.netns, lines: [`route replace default via ${o.gateway} dev ${CONTAINER_INTERFACE}`] };
    default:
      return undefined;
  }
}

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
