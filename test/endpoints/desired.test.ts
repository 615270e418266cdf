import { describe, expect, it } from 'vitest';
import { desiredState, readScope, subnetRouterAddresses } from '../../src/endpoints/desired.ts';
import { interfaceSysctlKey } from '../../src/endpoints/sysctl-keys.ts';
import { Ledger } from '../../src/endpoints/ledger.ts';
import { topologyWith } from './topology.ts';

describe('desiredState', () => {
  const desired = desiredState(topologyWith(), 'node1', { uplink: 'eth0' });

  it('lists only the endpoints of the node, in topology order', () => {
    expect(desired.endpoints.map((e) => e.name)).toEqual(['web-1', 'cache-1', 'vm-1']);
  });

  it('gives every endpoint address a /128 route through the endpoint interface', () => {
    expect(desired.endpoints.flatMap((e) => e.routes)).toEqual([
      { dst: 'fd00:10::10', dev: 'cali-web-1' },
      { dst: 'fd00:10::11', dev: 'cali-web-1' },
      { dst: 'fd00:10::12', dev: 'cali-cache-1' },
      { dst: 'fd00:10::30', dev: 'tap-vm-1' },
    ]);
  });

  it('adds permanent neighbour entries only where the MAC is known', () => {
    expect(desired.endpoints.flatMap((e) => e.neighbours)).toEqual([{ dst: 'fd00:10::30', dev: 'tap-vm-1', lladdr: '02:00:00:00:00:30' }]);
  });

  it('puts a proxy entry for every endpoint address on the uplink', () => {
    expect(desired.endpoints.flatMap((e) => e.proxies).map((p) => `${p.dst}@${p.dev}`)).toEqual([
      'fd00:10::10@eth0',
      'fd00:10::11@eth0',
      'fd00:10::12@eth0',
      'fd00:10::30@eth0',
    ]);
  });

  it('has no proxy entries without an uplink', () => {
    expect(desiredState(topologyWith(), 'node1').endpoints.flatMap((e) => e.proxies)).toEqual([]);
  });

  it('turns forwarding on and sets RA, DAD and proxy NDP per endpoint interface', () => {
    expect(desired.sysctls).toEqual([
      { key: 'net.ipv6.conf.all.forwarding', value: '1' },
      { key: 'net.ipv6.conf.eth0.proxy_ndp', value: '1' },
    ]);
    expect(desired.endpoints[2]!.sysctls).toEqual([
      { key: 'net.ipv6.conf.tap-vm-1.accept_ra', value: '0' },
      { key: 'net.ipv6.conf.tap-vm-1.accept_dad', value: '0' },
      { key: 'net.ipv6.conf.tap-vm-1.proxy_ndp', value: '1' },
    ]);
  });

  it('wires the container side only for endpoints with a netns', () => {
    expect(desired.endpoints.map((e) => e.container)).toEqual([
      { netns: 'web-1', addresses: ['fd00:10::10', 'fd00:10::11'], gateway: 'fe80::1' },
      undefined,
      undefined,
    ]);
  });

  it('gives the host end a gateway: fe80::1 on our veths, the subnet-router address of each /64 on VM taps', () => {
    expect(desired.endpoints.map((e) => e.hostAddresses)).toEqual([['fe80::1/64'], [], ['fd00:10::/64']]);
    expect(subnetRouterAddresses(['fd00:10::30', 'fd00:10::31', 'fd00:10:0:1::5'])).toEqual(['fd00:10::/64', 'fd00:10:0:1::/64']);
  });

  it('spells a dot in an interface name as a slash in sysctl keys', () => {
    expect(interfaceSysctlKey('eth0.100', 'proxy_ndp')).toBe('net.ipv6.conf.eth0/100.proxy_ndp');
  });

  it('reads every sysctl it sets and every container namespace it wires', () => {
    const scope = readScope(desired, new Ledger());
    expect(scope.containerNamespaces).toEqual(['web-1']);
    expect(scope.sysctlKeys).toHaveLength(2 + 3 * 3);
  });

  it("gives the read the endpoints' addresses as the ones known canonical", () => {
    expect(readScope(desired, new Ledger()).canonicalAddresses).toEqual(new Set(desired.endpoints.flatMap((e) => e.addresses)));
  });

  it('refuses an unknown node with the list of known ones', () => {
    expect(() => desiredState(topologyWith(), 'node9')).toThrow(/node "node9" is not in/);
  });
});
