// Host preflight: what would break IPv6 for endpoints on this host, found before anything is
// changed. Gathering facts goes through the Runner; judging them is a pure function.
import type { RunOptions, Runner } from '../exec.ts';
import { BirdctlError } from '../errors.ts';
import { FORWARDING_KEY, interfaceSysctlKey } from './sysctl-keys.ts';
import { parseJsonLine, parseSysctls } from './ip-json.ts';

export interface DefaultRoute {
  dev: string;
  gateway?: string;
  /** Kernel protocol name: `ra` when learnt from a Router Advertisement. */
  protocol: string;
}

export interface PreflightFacts {
  forwarding: string | undefined;
  defaultRoutes: DefaultRoute[];
  /** accept_ra of each interface a default route goes through. */
  acceptRa: Map<string, string>;
  missingBinaries: string[];
}

export interface Finding {
  severity: 'error' | 'warning';
  message: string;
  hint: string;
}

export const REQUIRED_BINARIES = ['ip', 'bird6', 'dnsmasq'] as const;

export function evaluatePreflight(facts: PreflightFacts): Finding[] {
  const findings: Finding[] = [];
  for (const binary of facts.missingBinaries) {
    findings.push({ severity: 'error', message: `${binary} is not installed`, hint: `install it (Debian: ${binary === 'ip' ? 'iproute2' : binary === 'bird6' ? 'bird' : 'dnsmasq-base'})` });
  }
  if (facts.forwarding !== '1') {
    findings.push({
      severity: 'warning',
      message: 'IPv6 forwarding is off (net.ipv6.conf.all.forwarding=0): endpoints cannot reach anything beyond this host',
      hint: '`birdctl endpoints apply` turns it on; check the uplink findings below first',
    });
  }
  for (const route of facts.defaultRoutes.filter((r) => r.protocol === 'ra')) {
    const acceptRa = facts.acceptRa.get(route.dev);
    if (acceptRa !== '2') {
      findings.push({
        severity: 'error',
        message: `the default route via ${route.dev} comes from Router Advertisements and ${route.dev} has accept_ra=${acceptRa ?? '?'}: with forwarding on, the kernel ignores RAs and the default route expires`,
        hint: `sysctl -w ${interfaceSysctlKey(route.dev, 'accept_ra')}=2 (and persist it in /etc/sysctl.d)`,
      });
    }
  }
  if (facts.defaultRoutes.length === 0) {
    findings.push({
      severity: 'warning',
      message: 'there is no IPv6 default route: endpoints reach other hosts\' endpoints through BGP, but nothing outside the cluster',
      hint: 'configure a default route (static, or RAs with accept_ra=2 on the uplink)',
    });
  }
  return findings;
}

// `ip -6 -json route show default` with a route learnt from an RA:
// [{"dst":"default","gateway":"fe80::1","dev":"eth0","protocol":"ra","metric":1024,"flags":[],"expires":1794,"pref":"medium"}]
export function parseDefaultRoutes(json: unknown): DefaultRoute[] {
  if (!Array.isArray(json)) throw new BirdctlError('DATAPLANE', `unexpected ip -json output for route show default: ${JSON.stringify(json)}`);
  return json.flatMap((r: Record<string, unknown>) => {
    // A multipath default route lists its next hops under "nexthops".
    const hops = Array.isArray(r.nexthops) ? (r.nexthops as Array<Record<string, unknown>>) : [r];
    return hops.map((h) => ({
      dev: String(h.dev),
      ...(typeof h.gateway === 'string' ? { gateway: h.gateway } : {}),
      protocol: typeof r.protocol === 'string' ? r.protocol : 'boot',
    }));
  });
}

async function installed(runner: Runner, binary: string, options: RunOptions): Promise<boolean> {
  // `-V`/`--version` is harmless for all three; only "could not start" means missing.
  const flag = binary === 'ip' ? '-V' : '--version';
  try {
    await runner.run(binary, [flag], options);
    return true;
  } catch {
    return false;
  }
}

export async function gatherPreflightFacts(runner: Runner, netns?: string): Promise<PreflightFacts> {
  const options: RunOptions = { timeoutMs: 10_000, ...(netns === undefined ? {} : { netns }) };
  const present = await Promise.all(REQUIRED_BINARIES.map((b) => installed(runner, b, options)));
  const missingBinaries = REQUIRED_BINARIES.filter((_, i) => !present[i]);
  if (missingBinaries.includes('ip')) return { forwarding: undefined, defaultRoutes: [], acceptRa: new Map(), missingBinaries };
  const routes = await runner.run('ip', ['-6', '-json', 'route', 'show', 'default'], options);
  const defaultRoutes = parseDefaultRoutes(parseJsonLine('route show default', routes.stdout.split('\n')[0]));
  const devs = [...new Set(defaultRoutes.map((r) => r.dev))];
  const sysctl = await runner.run('sysctl', ['-e', FORWARDING_KEY, ...devs.map((d) => interfaceSysctlKey(d, 'accept_ra'))], options);
  const values = parseSysctls(sysctl.stdout);
  return {
    forwarding: values.get(FORWARDING_KEY),
    defaultRoutes,
    acceptRa: new Map(devs.flatMap((d) => (values.has(interfaceSysctlKey(d, 'accept_ra')) ? [[d, values.get(interfaceSysctlKey(d, 'accept_ra'))!] as const] : []))),
    missingBinaries,
  };
}

export function formatFindings(findings: readonly Finding[]): string {
  if (findings.length === 0) return 'preflight: nothing in the way of IPv6 endpoints on this host\n';
  return findings.map((f) => `${f.severity}: ${f.message}\n  hint: ${f.hint}\n`).join('');
}
