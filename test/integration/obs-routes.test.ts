// `birdctl routes` against two real bird6 in network namespaces with an eBGP session: a (AS 65001)
// exports two static /128s with a community, b (AS 65002) has a static route of its own and learns
// a's over BGP. b prints times in BIRD's default format, a in epoch seconds.
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { CommandContext } from '../../src/cli/command.ts';
import { routesCommand, type RoutesJson } from '../../src/cli/routes.ts';
import { describeIntegration } from '../support/integration.ts';
import { NetnsTestbed, waitFor } from '../support/netns.ts';

const run = promisify(execFile);
const BIRDCTL = join(import.meta.dirname, '../../src/cli/birdctl.mjs');

const A = [
  'router id 10.255.1.1;',
  'timeformat protocol "%s";',
  'timeformat route "%s";',
  'protocol device { scan time 10; }',
  'protocol static { route fd00:10::10/128 unreachable; route fd00:10::11/128 unreachable; }',
  'protocol bgp to_b {',
  '  local as 65001; neighbor fd00:ec::2 as 65002; source address fd00:ec::1; direct;',
  '  connect delay time 1; connect retry time 1; hold time 6; keepalive time 2; error wait time 1,5;',
  '  import none; export filter { bgp_community.add((65001,100)); accept; };',
  '}',
  '',
].join('\n');
const B = [
  'router id 10.255.1.2;',
  'protocol device { scan time 10; }',
  'protocol static local_routes { route fd00:20::/64 unreachable; }',
  'protocol bgp Global_fd00_ec__1 {',
  '  local as 65002; neighbor fd00:ec::1 as 65001; source address fd00:ec::2; direct; passive on;',
  '  connect delay time 1; connect retry time 1; hold time 6; keepalive time 2; error wait time 1,5;',
  '  import filter { bgp_local_pref = 150; accept; }; export none;',
  '}',
  '',
].join('\n');

function context(warned: string[] = []): CommandContext {
  return {
    runner: { run: () => Promise.reject(new Error('unused')), start: () => { throw new Error('unused'); } },
    env: {},
    now: () => new Date(),
    write: () => {},
    warn: (m) => warned.push(m),
    signal: new AbortController().signal,
  };
}

describeIntegration('birdctl routes against real bird6', { netns: true, binaries: ['bird6'] }, () => {
  const testbed = new NetnsTestbed('obsr');
  let socketB = '';

  const routes = async (...args: string[]) => {
    const result = await routesCommand.run(['--socket', socketB, '--json', ...args], context());
    expect(result.exitCode).toBe(0);
    return (JSON.parse(result.output) as RoutesJson).routes;
  };

  beforeAll(async () => {
    for (const name of ['a', 'b']) testbed.addNamespace(name);
    testbed.connect([
      { netns: `${testbed.prefix}-a`, ifname: 'eth0', cidr: 'fd00:ec::1/64' },
      { netns: `${testbed.prefix}-b`, ifname: 'eth0', cidr: 'fd00:ec::2/64' },
    ]);
    writeFileSync(testbed.path('a.conf'), A);
    writeFileSync(testbed.path('b.conf'), B);
    testbed.startBird(`${testbed.prefix}-a`, testbed.path('a.conf'), 'a');
    socketB = testbed.startBird(`${testbed.prefix}-b`, testbed.path('b.conf'), 'b').socket;
    await waitFor('b learns both routes of a', async () => {
      const learnt = await routes('--peer', 'Global_fd00_ec__1').catch(() => []);
      return learnt.length === 2 ? true : undefined;
    }, 30_000, 200);
  });

  afterAll(async () => {
    await testbed.cleanup();
  });

  it('lists every route with next hop, interface, protocol, age, primary flag and BGP attributes', async () => {
    const all = await routes();
    expect(all.map((r) => r.prefix).sort()).toEqual(['fd00:10::10/128', 'fd00:10::11/128', 'fd00:20::/64']);
    const learnt = all.find((r) => r.prefix === 'fd00:10::10/128')!;
    expect(learnt).toMatchObject({
      destination: 'router',
      nextHop: 'fd00:ec::1',
      interface: 'eth0',
      protocol: 'Global_fd00_ec__1',
      primary: true,
      type: 'BGP unicast univ',
      bgp: { origin: 'IGP', asPath: [65001], localPref: 150, communities: ['(65001,100)'] },
    });
    // Learnt within the last minute, in BIRD's default time format.
    expect(learnt.ageSeconds).toBeGreaterThanOrEqual(0);
    expect(learnt.ageSeconds).toBeLessThan(60);
    expect(Math.abs(Date.now() / 1000 - learnt.since!)).toBeLessThan(60);
    expect(all.find((r) => r.prefix === 'fd00:20::/64')).toMatchObject({ destination: 'unreachable', protocol: 'local_routes', primary: true, bgp: null });
  });

  it('filters by peer name, by peer address and by prefix', async () => {
    const byName = await routes('--peer', 'Global_fd00_ec__1');
    expect(byName.map((r) => r.prefix).sort()).toEqual(['fd00:10::10/128', 'fd00:10::11/128']);
    expect(await routes('--peer', 'fd00:ec:0::1')).toEqual(byName);
    expect((await routes('--peer', 'local_routes')).map((r) => r.prefix)).toEqual(['fd00:20::/64']);
    expect((await routes('--prefix', 'fd00:10::11')).map((r) => [r.prefix, r.protocol])).toEqual([['fd00:10::11/128', 'Global_fd00_ec__1']]);
    expect((await routes('--prefix', 'fd00:20::5')).map((r) => r.prefix)).toEqual(['fd00:20::/64']);
    expect((await routes('--prefix', 'fd00:10::10', '--peer', 'local_routes'))).toEqual([]);
    expect(await routes('--prefix', 'fd00:99::1')).toEqual([]);
  });

  it('draws the table through the birdctl binary, and refuses a --peer that is not a name or an address with exit 2', async () => {
    const { stdout } = await run('node', [BIRDCTL, 'routes', '--socket', socketB, '--peer', 'fd00:ec::1']);
    expect(stdout).toMatch(/^\| fd00:10::10\/128 +\| fd00:ec::1 +\| eth0 +\| Global_fd00_ec__1 \| \d+s +\| \* +\| 65001 +\| 150 +\| \(65001,100\) \|$/m);
    expect(stdout).toMatch(/^2 routes$/m);
    const refused = await run('node', [BIRDCTL, 'routes', '--socket', socketB, '--peer', 'to_b all; show status']).catch((e: { code: number; stderr: string }) => e);
    expect(refused).toMatchObject({ code: 2, stderr: expect.stringMatching(/^error\[USAGE\]: birdctl routes: --peer must be/) });
    const unknown = await run('node', [BIRDCTL, 'routes', '--socket', socketB, '--peer', 'fd00:ec::9']).catch((e: { code: number; stderr: string }) => e);
    expect(unknown).toMatchObject({ code: 2, stderr: expect.stringMatching(/no BGP protocol for the neighbour fd00:ec::9/) });
  });
});
