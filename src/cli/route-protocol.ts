// `--route-protocol N`, shared by the commands that program endpoint routes or render the filter
// that imports them (agent, endpoints apply, render): the two sides must agree on the number.
import { ENDPOINT_ROUTE_PROTOCOL } from '../topology/index.ts';
import { usageError } from './command.ts';

export const ROUTE_PROTOCOL_HELP = `--route-protocol N  kernel protocol number of the endpoint routes (default ${ENDPOINT_ROUTE_PROTOCOL}; 5-255)`;

/**
 * 0-4 are the kernel's own (unspec, redirect, kernel, boot, static) and 255 the largest a route can
 * carry. Calico's Felix also uses 80: a host running both gives this controller another number.
 */
export function parseRouteProtocol(command: string, value: string | undefined): number {
  if (value === undefined) return ENDPOINT_ROUTE_PROTOCOL;
  const n = /^\d{1,3}$/.test(value) ? Number(value) : Number.NaN;
  if (!(n >= 5 && n <= 255)) throw usageError(command, `--route-protocol ${JSON.stringify(value.slice(0, 20))} is not a number from 5 to 255`);
  return n;
}
