import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CommandContext } from '../../src/cli/command.ts';
import { routesCommand, routesCommandLine, type RoutesJson } from '../../src/cli/routes.ts';
import { BirdctlError } from '../../src/errors.ts';
import { FakeBird } from '../birdc/fake-bird.ts';
import { fixtureBytes } from '../birdc/fixture.ts';

const run = promisify(execFile);
const BIRDCTL = join(import.meta.dirname, '../../src/cli/birdctl.mjs');
// An epoch clock a minute after the routes below were learnt.
const STATUS = '1000-BIRD 1.6.8\n1011-Router ID is 10.255.0.1\n Current server time is 1795686763\n Last reboot on 1795686702\n Last reconfiguration on 1795686726\n0013 Daemon is up and running\n';
const ROUTES = [
  '1007-fd00:10::20/128   via fd00:ec::2 on eth0 [Mesh_fd00_ec__2 1795686704] * (100) [i]',
  '1008-\tType: BGP unicast univ',
  '1012-\tBGP.origin: IGP',
  ' \tBGP.as_path: ',
  ' \tBGP.next_hop: fd00:ec::2 fe80::1',
  ' \tBGP.local_pref: 100',
  '1007-fd00:99::/48      via fd00:ec::fe on eth0 [tor1 1795686743 from fd00:ec::9] * (100) [AS65002i]',
  '1008-\tType: BGP unicast univ',
  '1012-\tBGP.origin: IGP',
  ' \tBGP.as_path: 65001 65002',
  ' \tBGP.next_hop: fd00:ec::fe',
  ' \tBGP.local_pref: 90',
  ' \tBGP.community: (65001,100) (65001,200)',
  '1007-                   via fd00:ec::2 on eth0 [Mesh_fd00_ec__2 1795686704] (100) [AS65002i]',
  '1008-\tType: BGP unicast univ',
  '1012-\tBGP.origin: IGP',
  ' \tBGP.as_path: 65002',
  ' \tBGP.next_hop: fd00:ec::2',
  ' \tBGP.local_pref: 100',
  '1007-fd00:10::10/128   dev cali-web-1 [kernel1 1795686703] * (10)',
  '1008-\tType: inherit unicast univ',
  '1012-\tKernel.source: 80',
  ' \tKernel.metric: 1024',
  '0000 ',
  '',
].join('\n');

let bird: FakeBird;
let routeReply: string;

function context(): CommandContext & { warned: string[] } {
  const warned: string[] = [];
  return {
    runner: { run: () => Promise.reject(new Error('no processes here')), start: () => { throw new Error('no processes here'); } },
    env: {},
    now: () => new Date(1795686765_000),
    write: () => {},
    warn: (m) => warned.push(m),
    signal: new AbortController().signal,
    warned,
  };
}

beforeEach(async () => {
  bird = new FakeBird();
  routeReply = ROUTES;
  bird.handler = (command, socket) => {
    if (command === 'restrict') socket.write('0016 Access restricted\n');
    else if (command === 'show status') socket.write(STATUS);
    else if (command === 'show protocols all') socket.write(fixtureBytes('epoch-show-protocols-all.txt'));
    else if (command.startsWith('show route')) socket.write(routeReply);
    else socket.write('8007 Access denied\n');
  };
  await bird.start();
});

afterEach(async () => {
  await bird.dispose();
});

const json = async (...args: string[]) => JSON.parse((await routesCommand.run(['--socket', bird.path, '--json', ...args], context())).output) as RoutesJson;

describe('birdctl routes', () => {
  it('draws every route with next hop, interface, protocol, age, primary and BGP attributes, on a restricted connection', async () => {
    const result = await routesCommand.run(['--socket', bird.path], context());
    expect(bird.commands).toEqual(['restrict', 'show status', 'show route all']);
    expect(result.exitCode).toBe(0);
    const lines = result.output.split('\n');
    expect(lines[1]).toMatch(/^\| PREFIX +\| NEXT HOP +\| INTERFACE +\| PROTOCOL +\| AGE +\| PRIMARY \| AS PATH +\| LOCAL PREF \| COMMUNITIES +\|$/);
    expect(lines[3]).toMatch(/^\| fd00:10::20\/128 +\| fd00:ec::2 +\| eth0 +\| Mesh_fd00_ec__2 +\| 59s +\| \* +\| \(local AS\) +\| 100 +\| - +\|$/);
    expect(lines[4]).toMatch(/^\| fd00:99::\/48 +\| fd00:ec::fe +\| eth0 +\| tor1 +\| 20s +\| \* +\| 65001 65002 \| 90 +\| \(65001,100\) \(65001,200\) \|$/);
    expect(lines[5]).toMatch(/^\| fd00:99::\/48 +\| fd00:ec::2 +\| eth0 +\| Mesh_fd00_ec__2 +\| 59s +\| +\| 65002 +\| 100 +\|/);
    expect(lines[6]).toMatch(/^\| fd00:10::10\/128 +\| direct +\| cali-web-1 +\| kernel1 +\| 1m00s \| \* +\| - +\| - +\| - +\|$/);
    expect(lines.at(-2)).toBe('4 routes');
  });

  it('prints the --json shape', async () => {
    const { routes } = await json();
    expect(routes[1]).toEqual({
      prefix: 'fd00:99::/48',
      destination: 'router',
      nextHop: 'fd00:ec::fe',
      interface: 'eth0',
      nextHops: [],
      protocol: 'tor1',
      since: 1795686743,
      ageSeconds: 20,
      primary: true,
      from: 'fd00:ec::9',
      type: 'BGP unicast univ',
      bgp: { origin: 'IGP', asPath: [65001, 65002], localPref: 90, med: null, communities: ['(65001,100)', '(65001,200)'], nextHop: ['fd00:ec::fe'] },
    });
    expect(routes[3]).toMatchObject({ destination: 'device', nextHop: null, interface: 'cali-web-1', bgp: null });
  });

  it('asks BIRD for one protocol by name, and maps a neighbour address to its protocol', async () => {
    await json('--peer', 'Mesh_fd00_ec__2');
    expect(bird.commands.at(-1)).toBe('show route protocol Mesh_fd00_ec__2 all');
    await json('--peer', 'fd00:EC:0::fd');
    expect(bird.commands.slice(-2)).toEqual(['show protocols all', 'show route protocol tor1 all']);
    await json('--peer', 'fd00:ec::2', '--prefix', 'fd00:10:0::20');
    expect(bird.commands.at(-1)).toBe('show route for fd00:10::20 protocol Mesh_fd00_ec__2 all');
  });

  it('re-prints --prefix from its parsed form', async () => {
    await json('--prefix', 'FD00:10:0000::/48');
    expect(bird.commands.at(-1)).toBe('show route for fd00:10::/48 all');
    expect(routesCommandLine({})).toBe('show route all');
  });

  it.each([
    ['--peer', 'tor1 all; disable tor1', /--peer must be a BGP protocol name or an IPv6 address/],
    ['--peer', 'a\nshow status', /--peer must be/],
    ['--peer', '1tor', /--peer must be/],
    ['--peer', 'fd00:ec::77', /no BGP protocol for the neighbour fd00:ec::77/],
    ['--prefix', 'fd00:10::/48 protocol x', /--prefix must be an IPv6 address or prefix/],
    ['--prefix', '10.0.0.0/8', /--prefix must be/],
    ['--prefix', 'fd00:10::1/48', /host bits set; did you mean fd00:10::\/48/],
  ])('refuses %s %j with exit 2, sending no route command', async (option, value, message) => {
    const error = await routesCommand.run(['--socket', bird.path, option, value], context()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BirdctlError);
    expect(error).toMatchObject({ code: 'USAGE', exitCode: 2, message: expect.stringMatching(message) });
    expect(bird.commands.filter((c) => c.startsWith('show route'))).toEqual([]);
  });

  it('shows no routes for a prefix BIRD has no network for (8001), exit 0', async () => {
    routeReply = '8001 Network not in table\n';
    const result = await routesCommand.run(['--socket', bird.path, '--prefix', 'fd00:77::1'], context());
    expect(result).toEqual({ output: 'No routes.\n', exitCode: 0 });
  });

  it('shows a route time it cannot read as null with one warning', async () => {
    routeReply = '1007-fd00:10::20/128   via fd00:ec::2 on eth0 [Mesh_fd00_ec__2 Dec01] * (100) [i]\n0000 \n';
    const c = context();
    const result = JSON.parse((await routesCommand.run(['--socket', bird.path, '--json'], c)).output) as RoutesJson;
    expect(result.routes).toMatchObject([{ prefix: 'fd00:10::20/128', since: null, ageSeconds: null, primary: true }]);
    expect(c.warned).toEqual([expect.stringMatching(/^`show route`: time "Dec01" .* shown as null/)]);
  });

  it('exits 1 with one line when bird6 cannot be reached', async () => {
    const failure = await run('node', [BIRDCTL, 'routes', '--socket', join(bird.path, '..', 'absent.ctl')]).catch((e: { code: number; stderr: string }) => e);
    expect(failure).toMatchObject({ code: 1, stderr: expect.stringMatching(/^error\[BIRD_UNREACHABLE\]: .*\nhint: .*\n$/) });
  });
});
