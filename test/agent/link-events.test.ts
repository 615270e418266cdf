import { describe, expect, it } from 'vitest';
import { parseLinkEvent } from '../../src/agent/link-events.ts';

describe('parseLinkEvent', () => {
  it('reads the interface and whether it was deleted from real `ip -o monitor link` lines', () => {
    expect(parseLinkEvent('3: va@vb: <BROADCAST,MULTICAST,M-DOWN> mtu 1500 qdisc noop state DOWN group default \\    link/ether e6:54:ac:b4:5a:05 brd ff:ff:ff:ff:ff:ff')).toEqual({ ifname: 'va', deleted: false });
    expect(parseLinkEvent('Deleted 2: vb@NONE: <BROADCAST,MULTICAST> mtu 1500 qdisc noop state DOWN group default \\    link/ether b6:8f:c3:eb:e9:90')).toEqual({ ifname: 'vb', deleted: true });
    expect(parseLinkEvent('7: tap-vm-1: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc fq_codel state UP')).toEqual({ ifname: 'tap-vm-1', deleted: false });
  });

  it('ignores lines that are not link notifications', () => {
    expect(parseLinkEvent('')).toBeUndefined();
    expect(parseLinkEvent('    link/ether e6:54:ac:b4:5a:05')).toBeUndefined();
  });
});
