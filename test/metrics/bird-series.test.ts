// BIRD's sessions under bird_exporter's names and labels, from a monitor snapshot.
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { registerBirdSeries } from '../../src/metrics/bird-series.ts';
import { daemonState, peerSnapshot, snapshotOf } from '../support/fake-monitor.ts';
import { parseExposition, sample } from './exposition.ts';

async function exposition(snapshots: Parameters<ReturnType<typeof registerBirdSeries>['update']>[0][]) {
  const registry = new Registry();
  const series = registerBirdSeries(registry);
  let text = '';
  for (const snapshot of snapshots) {
    series.update(snapshot);
    text = await registry.metrics();
  }
  return { text, samples: parseExposition(text) };
}

// czerwonk/bird_exporter metrics/generic_exporter.go, new format: every name a dashboard may query.
const BIRD_EXPORTER_PROTOCOL_METRICS = [
  'bird_protocol_up',
  'bird_protocol_uptime',
  'bird_protocol_prefix_import_count',
  'bird_protocol_prefix_export_count',
  'bird_protocol_prefix_filter_count',
  'bird_protocol_prefix_preferred_count',
  ...['update', 'withdraw'].flatMap((kind) =>
    ['import', 'export'].flatMap((direction) => ['receive', 'reject', 'filter', 'ignore', 'accept'].map((column) => `bird_protocol_changes_${kind}_${direction}_${column}_count`)),
  ),
];

const MESH = { name: 'Mesh_fd00_ec__2', proto: 'BGP', ip_version: '6', import_filter: 'ACCEPT', export_filter: 'mesh_export' };

describe('BIRD series', () => {
  it("exports every bird_exporter protocol metric for a session, with its labels (and state on bird_protocol_up)", async () => {
    const { samples } = await exposition([snapshotOf([peerSnapshot()])]);
    expect(new Set(samples.map((s) => s.name))).toEqual(new Set(['bird_socket_query_success', ...BIRD_EXPORTER_PROTOCOL_METRICS]));
    for (const name of BIRD_EXPORTER_PROTOCOL_METRICS) {
      const expected = name === 'bird_protocol_up' ? { ...MESH, state: 'Established' } : MESH;
      expect(sample(samples, name).labels, name).toEqual(expected);
    }
    expect(sample(samples, 'bird_socket_query_success').value).toBe(1);
  });

  it('takes the values from the snapshot: state, uptime, route counts and each cell of the route change stats', async () => {
    const { samples } = await exposition([snapshotOf([peerSnapshot()])]);
    const value = (name: string) => sample(samples, name, MESH).value;
    expect(value('bird_protocol_up')).toBe(1);
    expect(value('bird_protocol_uptime')).toBe(50);
    expect([value('bird_protocol_prefix_import_count'), value('bird_protocol_prefix_export_count'), value('bird_protocol_prefix_preferred_count')]).toEqual([3, 2, 3]);
    // fake-monitor's stats: import updates 9/0/2/0/7, import withdraws 4/0/---/1/3, export updates 12/1/3/---/8, export withdraws 5/---/---/---/5
    expect(['receive', 'reject', 'filter', 'ignore', 'accept'].map((c) => value(`bird_protocol_changes_update_import_${c}_count`))).toEqual([9, 0, 2, 0, 7]);
    expect(['receive', 'reject', 'filter', 'ignore', 'accept'].map((c) => value(`bird_protocol_changes_withdraw_import_${c}_count`))).toEqual([4, 0, 0, 1, 3]);
    expect(['receive', 'reject', 'filter', 'ignore', 'accept'].map((c) => value(`bird_protocol_changes_update_export_${c}_count`))).toEqual([12, 1, 3, 0, 8]);
    expect(['receive', 'reject', 'filter', 'ignore', 'accept'].map((c) => value(`bird_protocol_changes_withdraw_export_${c}_count`))).toEqual([5, 0, 0, 0, 5]);
  });

  it('exports a session that is not up as 0 with its BGP state, and zero counters while BIRD prints none', async () => {
    const down = peerSnapshot({
      name: 'tor1',
      state: 'start',
      bgpState: 'Active',
      info: 'Active        Socket: Connection refused',
      timeInStateSeconds: 7,
      routeStats: { inputFilter: 'ACCEPT', outputFilter: 'tor_export', routes: null, importUpdates: null, importWithdraws: null, exportUpdates: null, exportWithdraws: null },
    });
    const { samples } = await exposition([snapshotOf([down])]);
    const tor = { name: 'tor1', export_filter: 'tor_export' };
    expect(sample(samples, 'bird_protocol_up', tor)).toMatchObject({ value: 0, labels: { state: 'Active' } });
    expect(sample(samples, 'bird_protocol_uptime', tor).value).toBe(7);
    expect(sample(samples, 'bird_protocol_prefix_import_count', tor).value).toBe(0);
    expect(sample(samples, 'bird_protocol_changes_update_import_accept_count', tor).value).toBe(0);
  });

  it('drops the series of a peer that is gone, and every protocol series while bird6 is down', async () => {
    const two = snapshotOf([peerSnapshot(), peerSnapshot({ name: 'Mesh_fd00_ec__3', peerAddress: 'fd00:ec::3' })]);
    const one = snapshotOf([peerSnapshot({ name: 'Mesh_fd00_ec__3', peerAddress: 'fd00:ec::3' })]);
    const { samples } = await exposition([two, one]);
    expect(samples.filter((s) => s.name === 'bird_protocol_up').map((s) => s.labels.name)).toEqual(['Mesh_fd00_ec__3']);

    const down = await exposition([two, snapshotOf([], { daemon: daemonState({ up: false, error: 'socket missing' }) })]);
    expect(down.samples.map((s) => s.name)).toEqual(['bird_socket_query_success']);
    expect(sample(down.samples, 'bird_socket_query_success').value).toBe(0);
    expect((await exposition([undefined])).samples).toEqual([{ name: 'bird_socket_query_success', labels: {}, value: 0 }]);
  });

  it('escapes label values it does not control (a protocol name from a hand-written config)', async () => {
    const odd = peerSnapshot({ name: 'odd"name\\x', routeStats: { ...peerSnapshot().routeStats, outputFilter: '(unnamed)' } });
    const { text, samples } = await exposition([snapshotOf([odd])]);
    expect(text).toContain('name="odd\\"name\\\\x"');
    expect(sample(samples, 'bird_protocol_up').labels).toMatchObject({ name: 'odd"name\\x', export_filter: '(unnamed)' });
  });
});
