import { describe, expect, it } from 'vitest';
import { parseShowProtocolsAll } from '../../src/birdc/parse-protocols.ts';
import { bgpPeers } from '../../src/birdc/peers.ts';
import { fixtureReply } from './fixture.ts';

const REF = 1795686760;

describe('bgpPeers', () => {
  it('maps renderer-named protocols back to peer address and type, and keeps foreign names by neighbour address', () => {
    const peers = bgpPeers(parseShowProtocolsAll(fixtureReply('epoch-show-protocols-all.txt'), REF));
    expect(peers.map((p) => [p.name, p.peerAddress, p.peerType, p.state, p.bgpState])).toEqual([
      ['Global_fd00_ec__fe', 'fd00:ec::fe', 'global', 'down', 'Down'],
      ['Mesh_fd00_ec__2', 'fd00:ec::2', 'node-to-node mesh', 'up', 'Established'],
      ['Mesh_fd00_ec__9', 'fd00:ec::9', 'node-to-node mesh', 'start', 'Connect'],
      ['tor1', 'fd00:ec::fd', null, 'start', 'Connect'],
    ]);
  });

  it('carries the session figures of an Established peer', () => {
    const [peer] = bgpPeers(parseShowProtocolsAll(fixtureReply('epoch-show-protocols-all.txt'), REF)).filter((p) => p.bgpState === 'Established');
    expect(peer).toEqual({
      name: 'Mesh_fd00_ec__2',
      peerAddress: 'fd00:ec::2',
      peerType: 'node-to-node mesh',
      state: 'up',
      bgpState: 'Established',
      since: 1795686704,
      info: 'Established',
      neighborAs: 64512,
      neighborId: '10.255.0.2',
      localAs: 64512,
      sourceAddress: 'fd00:ec::1',
      routesImported: 1,
      routesExported: 2,
      importUpdates: 1,
      lastError: null,
      routeStats: {
        inputFilter: 'ACCEPT',
        outputFilter: 'ACCEPT',
        routes: { imported: 1, filtered: null, exported: 2, preferred: 1 },
        importUpdates: { received: 1, rejected: 0, filtered: 0, ignored: 0, accepted: 1 },
        importWithdraws: { received: 0, rejected: 0, filtered: null, ignored: 0, accepted: 0 },
        exportUpdates: { received: 3, rejected: 1, filtered: 0, ignored: null, accepted: 2 },
        exportWithdraws: { received: 0, rejected: null, filtered: null, ignored: null, accepted: 0 },
      },
    });
  });

  it('lists the last error of a refused session, zero routes for a down one, and only BGP protocols', () => {
    const [active] = bgpPeers(parseShowProtocolsAll(fixtureReply('active-refused-show-protocols-all.txt'), REF));
    expect(active).toMatchObject({ peerType: 'node specific', peerAddress: 'fd00:ec::5', lastError: { class: 'Socket', text: 'Connection refused' }, neighborId: null });
    const [down] = bgpPeers(parseShowProtocolsAll(fixtureReply('disabled-show-protocols-all.txt'), REF));
    expect(down).toMatchObject({ routesImported: 0, routesExported: 0, importUpdates: 0, bgpState: 'Down' });
    expect(down!.routeStats).toMatchObject({ routes: null, importUpdates: null, importWithdraws: null, exportUpdates: null, exportWithdraws: null });
    expect(bgpPeers(parseShowProtocolsAll(fixtureReply('r2-show-protocols-all.txt'), REF)).map((p) => [p.name, p.peerAddress, p.peerType])).toEqual([
      ['r1', 'fd00:ec::1', null],
      ['r3', 'fd00:ec::3', null],
    ]);
  });
});
