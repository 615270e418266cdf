// BIRD's BGP sessions as Prometheus series under bird_exporter's names and labels (its "new
// format", `-format.new`: bird_protocol_*, labels name, proto, ip_version, import_filter,
// export_filter, and `state` on bird_protocol_up), so the Grafana dashboards built on
// czerwonk/bird_exporter work unchanged. Read from the monitor's snapshot: no query of its own.
//
// Where this differs from bird_exporter, on purpose:
// - only BGP protocols (the monitor's snapshot lists only those; Kernel, Device and Direct say
//   nothing about sessions);
// - `state` on bird_protocol_up is the BGP state (`Established`, `Active`, ...) where bird_exporter
//   copies BIRD's whole info column, which also carries the last error text (`Active  Socket:
//   Connection refused`): every new error text would be a new series. Established sessions get the
//   same value either way.
// Like bird_exporter, the counters are gauges (BIRD resets them when a session restarts) and a
// `---` cell or a down protocol's missing statistics export 0.
import { Gauge, type Registry } from 'prom-client';
import type { RouteChangeStats } from '../birdc/parse-protocols.ts';
import type { MonitorSnapshot, PeerSnapshot } from '../monitor/types.ts';

const LABELS = ['name', 'proto', 'ip_version', 'import_filter', 'export_filter'] as const;
type Labels = Record<(typeof LABELS)[number], string>;

/** bird6 is BIRD 1.6's IPv6 daemon; bird_exporter labels what its bird6 socket reports "6". */
const IP_VERSION = '6';

type StatsRow = 'importUpdates' | 'importWithdraws' | 'exportUpdates' | 'exportWithdraws';

/** bird_exporter's name and help for each cell of BIRD's `Route change stats` (metrics/generic_exporter.go). */
const CHANGES: ReadonlyArray<{ row: StatsRow; column: keyof RouteChangeStats; name: string; help: string }> = [
  { row: 'importUpdates', column: 'received', name: 'update_import_receive', help: 'Number of received updates' },
  { row: 'importUpdates', column: 'rejected', name: 'update_import_reject', help: 'Number of incoming updates being rejected' },
  { row: 'importUpdates', column: 'filtered', name: 'update_import_filter', help: 'Number of incoming updates being filtered' },
  { row: 'importUpdates', column: 'ignored', name: 'update_import_ignore', help: 'Number of incoming updates being ignored' },
  { row: 'importUpdates', column: 'accepted', name: 'update_import_accept', help: 'Number of incoming updates being accepted' },
  { row: 'importWithdraws', column: 'received', name: 'withdraw_import_receive', help: 'Number of received withdraws' },
  { row: 'importWithdraws', column: 'rejected', name: 'withdraw_import_reject', help: 'Number of incoming withdraws being rejected' },
  { row: 'importWithdraws', column: 'filtered', name: 'withdraw_import_filter', help: 'Number of incoming withdraws being filtered' },
  { row: 'importWithdraws', column: 'ignored', name: 'withdraw_import_ignore', help: 'Number of incoming withdraws being ignored' },
  { row: 'importWithdraws', column: 'accepted', name: 'withdraw_import_accept', help: 'Number of incoming withdraws being accepted' },
  { row: 'exportUpdates', column: 'received', name: 'update_export_receive', help: 'Number of sent updates' },
  { row: 'exportUpdates', column: 'rejected', name: 'update_export_reject', help: 'Number of outgoing updates being rejected' },
  { row: 'exportUpdates', column: 'filtered', name: 'update_export_filter', help: 'Number of outgoing updates being filtered' },
  { row: 'exportUpdates', column: 'ignored', name: 'update_export_ignore', help: 'Number of outgoing updates being ignored' },
  { row: 'exportUpdates', column: 'accepted', name: 'update_export_accept', help: 'Number of outgoing updates being accepted' },
  { row: 'exportWithdraws', column: 'received', name: 'withdraw_export_receive', help: 'Number of outgoing withdraws' },
  { row: 'exportWithdraws', column: 'rejected', name: 'withdraw_export_reject', help: 'Number of outgoing withdraws being rejected' },
  { row: 'exportWithdraws', column: 'filtered', name: 'withdraw_export_filter', help: 'Number of outgoing withdraws being filtered' },
  { row: 'exportWithdraws', column: 'ignored', name: 'withdraw_export_ignore', help: 'Number of outgoing withdraws being ignored' },
  { row: 'exportWithdraws', column: 'accepted', name: 'withdraw_export_accept', help: 'Number of outgoing withdraws being accepted' },
];

export interface BirdSeries {
  /** Sets every series from the snapshot; peers gone since the last call lose their series. */
  update(snapshot: MonitorSnapshot | undefined): void;
}

export function registerBirdSeries(registry: Registry): BirdSeries {
  const gauge = (name: string, help: string, labelNames: readonly string[] = LABELS) => new Gauge({ name, help, labelNames, registers: [registry] });
  const socketQuery = gauge('bird_socket_query_success', 'Result of querying bird socket: 0 = failed, 1 = suceeded', []);
  const up = gauge('bird_protocol_up', 'Protocol is up', [...LABELS, 'state']);
  const uptime = gauge('bird_protocol_uptime', 'Uptime of the protocol in seconds');
  const imported = gauge('bird_protocol_prefix_import_count', 'Number of imported routes');
  const exported = gauge('bird_protocol_prefix_export_count', 'Number of exported routes');
  const filtered = gauge('bird_protocol_prefix_filter_count', 'Number of filtered routes');
  const preferred = gauge('bird_protocol_prefix_preferred_count', 'Number of preferred routes');
  const changes = CHANGES.map(({ row, column, name, help }) => ({ row, column, gauge: gauge(`bird_protocol_changes_${name}_count`, help) }));
  const all = [up, uptime, imported, exported, filtered, preferred, ...changes.map((c) => c.gauge)];

  const labelsOf = (peer: PeerSnapshot): Labels => ({
    name: peer.name,
    proto: 'BGP',
    ip_version: IP_VERSION,
    import_filter: peer.routeStats.inputFilter ?? '',
    export_filter: peer.routeStats.outputFilter ?? '',
  });

  return {
    update(snapshot) {
      for (const g of all) g.reset();
      socketQuery.set(snapshot?.daemon.up === true ? 1 : 0);
      for (const peer of snapshot?.peers ?? []) {
        const labels = labelsOf(peer);
        const { routes } = peer.routeStats;
        up.set({ ...labels, state: peer.bgpState }, peer.state === 'up' ? 1 : 0);
        uptime.set(labels, peer.timeInStateSeconds ?? 0);
        imported.set(labels, routes?.imported ?? 0);
        exported.set(labels, routes?.exported ?? 0);
        filtered.set(labels, routes?.filtered ?? 0);
        preferred.set(labels, routes?.preferred ?? 0);
        for (const { row, column, gauge: g } of changes) g.set(labels, peer.routeStats[row]?.[column] ?? 0);
      }
    },
  };
}
