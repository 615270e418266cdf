// The sysctl keys the endpoint programmer sets, and nothing else: built here for the desired state
// (desired.ts) and checked here when they come back from its record (ledger.ts), since a claimed
// key is read with `sysctl -e KEY` and, when its endpoint leaves, written back.
import { INTERFACE_RE } from '../topology/schema.ts';

export const FORWARDING_KEY = 'net.ipv6.conf.all.forwarding';

/** The per-interface IPv6 settings the programmer writes (desired.ts says why each). */
export const INTERFACE_SETTINGS = ['accept_ra', 'accept_dad', 'proxy_ndp'] as const;

/**
 * The dotted sysctl key of a per-interface IPv6 setting. `sysctl` spells a dot inside an interface
 * name (a VLAN such as eth0.100) as a slash, so `net.ipv6.conf.eth0/100.forwarding`.
 */
export function interfaceSysctlKey(ifname: string, setting: string): string {
  return `net.ipv6.conf.${ifname.replaceAll('.', '/')}.${setting}`;
}

const INTERFACE_KEY_RE = /^net\.ipv6\.conf\.([^.]+)\.([a-z_]+)$/;

/**
 * True for a key the programmer could have set: forwarding, or one of its settings of an interface
 * whose name is valid as the topology's interface names are (INTERFACE_RE).
 */
export function isProgrammerSysctlKey(key: string): boolean {
  if (key === FORWARDING_KEY) return true;
  const match = INTERFACE_KEY_RE.exec(key);
  return match !== null && (INTERFACE_SETTINGS as readonly string[]).includes(match[2]!) && INTERFACE_RE.test(match[1]!.replaceAll('/', '.'));
}
