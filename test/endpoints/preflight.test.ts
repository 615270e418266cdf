import { describe, expect, it } from 'vitest';
import { evaluatePreflight, formatFindings, gatherPreflightFacts, parseDefaultRoutes, type PreflightFacts } from '../../src/endpoints/preflight.ts';
import { BirdctlError } from '../../src/errors.ts';
import type { Runner } from '../../src/exec.ts';

const healthy: PreflightFacts = {
  forwarding: '1',
  defaultRoutes: [{ dev: 'eth0', gateway: 'fe80::1', protocol: 'ra' }],
  acceptRa: new Map([['eth0', '2']]),
  missingBinaries: [],
};

describe('preflight', () => {
  it('finds nothing on a healthy host', () => {
    expect(evaluatePreflight(healthy)).toEqual([]);
    expect(formatFindings([])).toContain('nothing in the way');
  });

  it('reports forwarding off', () => {
    expect(evaluatePreflight({ ...healthy, forwarding: '0' }).map((f) => f.severity + ' ' + f.message)).toEqual([
      'warning IPv6 forwarding is off (net.ipv6.conf.all.forwarding=0): endpoints cannot reach anything beyond this host',
    ]);
  });

  it('reports an uplink that learns its default route from RAs without accept_ra=2', () => {
    const findings = evaluatePreflight({ ...healthy, acceptRa: new Map([['eth0', '1']]) });
    expect(findings).toHaveLength(1);
    expect(findings[0]!.severity).toBe('error');
    expect(findings[0]!.hint).toBe('sysctl -w net.ipv6.conf.eth0.accept_ra=2 (and persist it in /etc/sysctl.d)');
  });

  it('does not mind accept_ra on an uplink with a static default route', () => {
    expect(evaluatePreflight({ ...healthy, defaultRoutes: [{ dev: 'eth0', protocol: 'static' }], acceptRa: new Map([['eth0', '1']]) })).toEqual([]);
  });

  it('reports a missing default route and missing binaries', () => {
    const findings = evaluatePreflight({ ...healthy, defaultRoutes: [], missingBinaries: ['bird6', 'dnsmasq'] });
    expect(findings.map((f) => f.message)).toEqual([
      'bird6 is not installed',
      'dnsmasq is not installed',
      "there is no IPv6 default route: endpoints reach other hosts' endpoints through BGP, but nothing outside the cluster",
    ]);
  });

  it('parses single and multipath default routes', () => {
    expect(
      parseDefaultRoutes([
        { dst: 'default', gateway: 'fe80::1', dev: 'eth0', protocol: 'ra', metric: 1024, flags: [], pref: 'medium' },
        { dst: 'default', metric: 1024, nexthops: [{ gateway: 'fe80::2', dev: 'eth1' }, { gateway: 'fe80::3', dev: 'eth2' }] },
      ]),
    ).toEqual([
      { dev: 'eth0', gateway: 'fe80::1', protocol: 'ra' },
      { dev: 'eth1', gateway: 'fe80::2', protocol: 'boot' },
      { dev: 'eth2', gateway: 'fe80::3', protocol: 'boot' },
    ]);
  });

  it('gathers facts through the runner and counts a binary that cannot start as missing', async () => {
    const runner: Runner = {
      async run(file, args) {
        if (file === 'bird6') throw new BirdctlError('COMMAND_FAILED', 'could not run bird6: ENOENT');
        if (file === 'ip' && args.includes('default')) return { exitCode: 0, stderr: '', stdout: '[{"dst":"default","gateway":"fe80::1","dev":"eth0","protocol":"ra","metric":1024}]\n' };
        if (file === 'sysctl') return { exitCode: 0, stderr: '', stdout: 'net.ipv6.conf.all.forwarding = 0\nnet.ipv6.conf.eth0.accept_ra = 1\n' };
        return { exitCode: 0, stdout: '', stderr: '' };
      },
      start() {
        throw new Error('not used');
      },
    };
    const facts = await gatherPreflightFacts(runner);
    expect(facts).toEqual({ forwarding: '0', defaultRoutes: [{ dev: 'eth0', gateway: 'fe80::1', protocol: 'ra' }], acceptRa: new Map([['eth0', '1']]), missingBinaries: ['bird6'] });
    expect(evaluatePreflight(facts).map((f) => f.severity)).toEqual(['error', 'warning', 'error']);
  });
});
