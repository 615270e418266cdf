// `birdctl status` and the session monitor against three real bird6 in network namespaces, an iBGP
// full mesh on one segment. n1 and n2 print `since` as an epoch, n3 in BIRD's default format.
import { execFile, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { BirdClient } from '../../src/birdc/client.ts';
import { protocolName } from '../../src/peering/protocol-names.ts';
import type { CommandContext } from '../../src/cli/command.ts';
import { statusCommand, type StatusJson } from '../../src/cli/status.ts';
import { BirdctlError } from '../../src/errors.ts';
import { createBirdMonitor } from '../../src/monitor/session-monitor.ts';
import type { MonitorEvent, SessionMonitor } from '../../src/monitor/types.ts';
import { describeIntegration } from '../support/integration.ts';
import { NetnsTestbed, stop, waitFor } from '../support/netns.ts';

const run = promisify(execFile);
const BIRDCTL = join(import.meta.dirname, '../../src/cli/birdctl.mjs');
const HOSTS = [1, 2, 3].map((i) => ({ name: `n${i}`, address: `fd00:ec::${i}`, routerId: `10.255.0.${i}` }));

function config(self: (typeof HOSTS)[number]): string {
  const peers = HOSTS.filter((h) => h !== self).map(
    (peer) =>
      // The higher address waits for the lower one to connect: no connection collisions.
      `protocol bgp ${protocolName('node-to-node mesh', peer.address)} from mesh { source address ${self.address}; neighbor ${peer.address} as 64512;${self.address > peer.address ? ' passive on;' : ''} }`,
  );
  return [
    `router id ${self.routerId};`,
    self.name === 'n3' ? '' : 'timeformat protocol "%s";',
    'protocol device { scan time 10; }',
    'protocol kernel { learn; scan time 20; import none; export none; }',
    'template bgp mesh {',
    '  local as 64512; direct; gateway direct; import all; export none;',
    '  connect delay time 1; connect retry time 1; hold time 6; keepalive time 2; error wait time 1,5;',
    '}',
    ...peers,
    '',
  ].join('\n');
}

function context(): CommandContext {
  return {
    runner: { run: () => Promise.reject(new Error('unused')), start: () => { throw new Error('unused'); } },
    env: {},
    now: () => new Date(),
    write: () => {},
    signal: new AbortController().signal,
  };
}

async function status(socket: string): Promise<{ exitCode: number; json: StatusJson }> {
  const result = await statusCommand.run(['--socket', socket, '--json'], context());
  return { exitCode: result.exitCode, json: JSON.parse(result.output) as StatusJson };
}

describeIntegration('birdctl status against real bird6', { netns: true, binaries: ['bird6', 'birdc6'] }, () => {
  const testbed = new NetnsTestbed('bst');
  const sockets = new Map<string, string>();
  const birds = new Map<string, ChildProcess>();
  let monitor: SessionMonitor | undefined;

  function startBird(name: string): void {
    const { child, socket } = testbed.startBird(`${testbed.prefix}-${name}`, testbed.path(`${name}.conf`), name);
    birds.set(name, child);
    sockets.set(name, socket);
  }

  beforeAll(async () => {
    for (const host of HOSTS) {
      testbed.addNamespace(host.name);
      writeFileSync(testbed.path(`${host.name}.conf`), config(host));
    }
    testbed.connect(HOSTS.map((h) => ({ netns: `${testbed.prefix}-${h.name}`, ifname: 'eth0', cidr: `${h.address}/64` })));
    for (const host of HOSTS) startBird(host.name);
  });

  afterAll(async () => {
    await monitor?.stop();
    await testbed.cleanup();
  });

  it('lists every mesh session Established with exit 0, in both since formats', async () => {
    for (const host of HOSTS) {
      // Exit 0 once every session is Established; the protocol's state reads `feed` for a moment
      // after that, while BIRD exports its first routes to the new session, and then `up`: the
      // rows below are compared whole, so that moment is waited out (a CI run caught it).
      const { json } = await waitFor(`${host.name} Established and fed`, async () => {
        const s = await status(sockets.get(host.name)!).catch(() => undefined);
        return s?.exitCode === 0 && s.json.peers.every((p) => p.state === 'up') ? s : undefined;
      }, 20_000, 200);
      expect(json.daemon).toMatchObject({ up: true, version: '1.6.8', routerId: host.routerId, gracefulRestart: false });
      const others = HOSTS.filter((h) => h !== host);
      expect(json.peers.map((p) => [p.name, p.peerAddress, p.peerType, p.state, p.bgpState, p.neighborAs])).toEqual(
        others.map((o) => [protocolName('node-to-node mesh', o.address), o.address, 'node-to-node mesh', 'up', 'Established', 64512]),
      );
      // `since` is within the last minute whichever format BIRD printed it in.
      for (const peer of json.peers) expect(Math.abs(Date.now() / 1000 - peer.since!)).toBeLessThan(60);
    }
  });

  it('prints the same through the birdctl binary', async () => {
    const { stdout } = await run('node', [BIRDCTL, 'status', '--socket', sockets.get('n1')!]);
    expect(stdout).toMatch(/^BIRD 1\.6\.8 is running \(router id 10\.255\.0\.1/);
    expect(stdout).toMatch(/\| fd00:ec::2 +\| node-to-node mesh \| up +\| \d+s +\| Established \|/);
    expect(stdout).toMatch(/\| fd00:ec::3 +\| node-to-node mesh \| up +\|/);
  });

  it('gives exit 3 and the right state for a disabled peer, and sees it come back', async () => {
    monitor = createBirdMonitor({ socketPath: sockets.get('n1')!, intervalMs: 200 });
    await monitor.start();
    const events: MonitorEvent[] = [];
    monitor.subscribe((e) => events.push(e));
    const admin = new BirdClient({ socketPath: sockets.get('n1')!, reconnect: false });
    const mesh3 = protocolName('node-to-node mesh', 'fd00:ec::3');
    try {
      expect((await admin.command(`disable ${mesh3}`)).blocks[0]).toEqual({ code: 9, lines: [`${mesh3}: disabled`] });
      const { exitCode, json } = await status(sockets.get('n1')!);
      expect(exitCode).toBe(3);
      expect(json.peers.find((p) => p.name === mesh3)).toMatchObject({ peerAddress: 'fd00:ec::3', state: 'down', bgpState: 'Down', info: '' });
      expect(json.peers.find((p) => p.peerAddress === 'fd00:ec::2')).toMatchObject({ bgpState: 'Established' });
      // n3 sees its side drop as well (passive: it waits for n1).
      await waitFor('n3 degraded', async () => ((await status(sockets.get('n3')!)).exitCode === 3 ? true : undefined), 15_000, 200);
      await waitFor('peerDown event', () => events.find((e) => e.type === 'peerDown' && e.peer.name === mesh3));
      await admin.command(`enable ${mesh3}`);
      await waitFor('peerUp event', () => events.find((e) => e.type === 'peerUp' && e.peer.name === mesh3), 15_000);
      expect(monitor.current()!.peers.find((p) => p.name === mesh3)).toMatchObject({ bgpState: 'Established', establishedTransitions: 2 });
      expect((await status(sockets.get('n1')!)).exitCode).toBe(0);
    } finally {
      await admin.close();
    }
  });

  it('reports a killed bird6 as exit 1 and daemonDown, then daemonUp after a restart', async () => {
    const events: MonitorEvent[] = [];
    monitor!.subscribe((e) => events.push(e));
    await stop(birds.get('n1')!);
    await waitFor('daemonDown', () => events.find((e) => e.type === 'daemonDown'));
    expect(monitor!.current()).toMatchObject({ daemon: { up: false }, peers: [] });
    const failure = await statusCommand.run(['--socket', sockets.get('n1')!], context()).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(BirdctlError);
    expect(failure).toMatchObject({ code: 'BIRD_UNREACHABLE', exitCode: 1 });
    const binary = await run('node', [BIRDCTL, 'status', '--socket', sockets.get('n1')!]).catch((e: { code: number; stderr: string }) => e);
    expect(binary).toMatchObject({ code: 1, stderr: expect.stringMatching(/^error\[BIRD_UNREACHABLE\]: cannot talk to BIRD at .*n1\.ctl: .*\nhint: .*\n$/) });

    startBird('n1');
    await waitFor('daemonUp', () => events.find((e) => e.type === 'daemonUp'), 15_000);
    await waitFor('sessions back', () => (monitor!.current()!.peers.filter((p) => p.bgpState === 'Established').length === 2 ? true : undefined), 20_000);
    expect(events.filter((e) => e.type === 'peerUp').map((e) => 'peer' in e && e.peer.peerAddress).sort()).toEqual(['fd00:ec::2', 'fd00:ec::3']);
  });
});
