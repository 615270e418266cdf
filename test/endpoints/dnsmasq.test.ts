import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderDnsmasq } from '../../src/endpoints/dnsmasq.ts';
import { describeIntegration } from '../support/integration.ts';
import { topologyWith, type EndpointInput } from './topology.ts';

const VMS: EndpointInput[] = [
  { name: 'vm-1', kind: 'vm', addresses: ['fd00:10::30'], interface: 'tap-vm-1', mac: '02:00:00:00:00:30' },
  { name: 'vm-2', kind: 'vm', addresses: ['fd00:10::31', 'fd00:10:0:1::31'], interface: 'tap-vm-2', mac: '02:00:00:00:00:31' },
  { name: 'web-1', kind: 'container', addresses: ['fd00:10::10'], interface: 'cali-web-1' },
  { name: 'vm-3', node: 'node2', kind: 'vm', addresses: ['fd00:10::32'], mac: '02:00:00:00:00:32' },
];

describe('renderDnsmasq', () => {
  const files = renderDnsmasq(topologyWith(VMS), 'node1', { leaseFile: '/run/b6/dnsmasq.leases' })!;
  const lines = files.config.split('\n');

  it('serves exactly the VM interfaces of the node', () => {
    expect(lines.filter((l) => l.startsWith('interface='))).toEqual(['interface=tap-vm-1', 'interface=tap-vm-2']);
    expect(lines.filter((l) => l.startsWith('ra-param='))).toEqual(['ra-param=tap-vm-1,5,1800', 'ra-param=tap-vm-2,5,1800']);
  });

  it('advertises each VM /64 off-link and without SLAAC, handing out reserved addresses only', () => {
    expect(lines.filter((l) => l.startsWith('dhcp-range='))).toEqual(['dhcp-range=fd00:10::,static,off-link,64,1h', 'dhcp-range=fd00:10:0:1::,static,off-link,64,1h']);
    expect(files.config).not.toMatch(/slaac|ra-only|ra-stateless/);
    expect(lines).toContain('enable-ra');
    expect(lines).toContain('port=0');
  });

  it('reserves each VM its exact addresses by MAC', () => {
    expect(lines.filter((l) => l.startsWith('dhcp-host='))).toEqual(['dhcp-host=02:00:00:00:00:30,[fd00:10::30]', 'dhcp-host=02:00:00:00:00:31,[fd00:10::31],[fd00:10:0:1::31]']);
    expect(files.hosts).toBe('02:00:00:00:00:30,[fd00:10::30]\n02:00:00:00:00:31,[fd00:10::31],[fd00:10:0:1::31]\n');
  });

  it('moves reservations to a reloadable hosts file on request', () => {
    const withFile = renderDnsmasq(topologyWith(VMS), 'node1', { leaseFile: '/l', hostsFile: '/run/b6/dnsmasq.hosts' })!;
    expect(withFile.config).toContain('dhcp-hostsfile=/run/b6/dnsmasq.hosts\n');
    expect(withFile.config).not.toContain('dhcp-host=');
  });

  it('renders nothing for a node without VMs', () => {
    expect(renderDnsmasq(topologyWith(VMS.filter((e) => e.kind !== 'vm')), 'node1', { leaseFile: '/l' })).toBeUndefined();
  });

  it('keeps the working shape of the shared dnsmasq sample (RA + stateful DHCPv6, no DNS)', () => {
    expect(files.config).toMatch(/^bind-dynamic$/m);
    expect(files.config).toMatch(/^dhcp-authoritative$/m);
    expect(files.config).toMatch(/^dhcp-leasefile=\/run\/b6\/dnsmasq.leases$/m);
  });
});

describeIntegration('rendered dnsmasq config passes dnsmasq --test', { binaries: ['dnsmasq'] }, () => {
  it('is accepted by the real dnsmasq', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ep-dnsmasq-'));
    try {
      const file = join(dir, 'dnsmasq.conf');
      writeFileSync(file, renderDnsmasq(topologyWith(VMS), 'node1', { leaseFile: join(dir, 'leases') })!.config);
      expect(execFileSync('dnsmasq', ['--test', '-C', file], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })).toBe('');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
