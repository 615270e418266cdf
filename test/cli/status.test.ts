import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CommandContext } from '../../src/cli/command.ts';
import { formatAge, statusCommand } from '../../src/cli/status.ts';
import { BirdctlError } from '../../src/errors.ts';
import { DEFAULT_MAX_REPLY_BYTES } from '../../src/birdc/framing.ts';
import { FakeBird, flood } from '../birdc/fake-bird.ts';
import { fixtureBytes } from '../birdc/fixture.ts';

const run = promisify(execFile);
const BIRDCTL = join(import.meta.dirname, '../../src/cli/birdctl.mjs');
// The epoch fixtures were captured at 2026-11-26 09:52 UTC; this clock reads a little later.
const NOW = new Date(1795686760_000);

let bird: FakeBird;
let protocols: Buffer;
let status: Buffer;

function context(overrides: Partial<CommandContext> = {}): CommandContext & { written: string[] } {
  const written: string[] = [];
  return {
    runner: { run: () => Promise.reject(new Error('no processes here')), start: () => { throw new Error('no processes here'); } },
    env: {},
    now: () => NOW,
    write: (text) => written.push(text),
    signal: new AbortController().signal,
    written,
    ...overrides,
  };
}

beforeEach(async () => {
  bird = new FakeBird();
  status = Buffer.from(
    '1000-BIRD 1.6.8\n1011-Router ID is 10.255.0.1\n Current server time is 1795686760\n Last reboot on 1795686702\n Last reconfiguration on 1795686726\n0013 Daemon is up and running\n',
  );
  protocols = fixtureBytes('epoch-show-protocols-all.txt');
  bird.handler = (command, socket) => {
    if (command === 'restrict') socket.write('0016 Access restricted\n');
    else if (command === 'show status') socket.write(status);
    else if (command === 'show protocols all') socket.write(protocols);
    else socket.write('8007 Access denied\n');
  };
  await bird.start();
});

afterEach(async () => {
  await bird.dispose();
});

describe('birdctl status', () => {
  it('draws the daemon line and the peer table, exit 3 when a peer is not Established', async () => {
    const result = await statusCommand.run(['--socket', bird.path], context());
    expect(bird.commands).toEqual(['restrict', 'show status', 'show protocols all']);
    expect(result.exitCode).toBe(3);
    expect(result.output).toBe(
      [
        'BIRD 1.6.8 is running (router id 10.255.0.1, reconfigured 34s ago)',
        '',
        'IPv6 BGP status',
        '+--------------+-------------------+-------+-------+-------------+----------+----------+',
        '| PEER ADDRESS | PEER TYPE         | STATE | SINCE | INFO        | IMPORTED | EXPORTED |',
        '+--------------+-------------------+-------+-------+-------------+----------+----------+',
        '| fd00:ec::fe  | global            | down  | 57s   | Down        |        0 |        0 |',
        '| fd00:ec::2   | node-to-node mesh | up    | 56s   | Established |        1 |        2 |',
        '| fd00:ec::9   | node-to-node mesh | start | 57s   | Connect     |        0 |        0 |',
        '| fd00:ec::fd  | other (tor1)      | start | 57s   | Connect     |        0 |        0 |',
        '+--------------+-------------------+-------+-------+-------------+----------+----------+',
        '',
      ].join('\n'),
    );
  });

  it('prints the JSON shape of DESIGN.md section 6', async () => {
    protocols = fixtureBytes('active-refused-show-protocols-all.txt');
    const result = await statusCommand.run(['--socket', bird.path, '--json'], context());
    expect(result.exitCode).toBe(3);
    expect(JSON.parse(result.output)).toEqual({
      daemon: { up: true, version: '1.6.8', routerId: '10.255.0.1', lastReconfiguration: 1795686726, gracefulRestart: false },
      peers: [
        {
          name: 'Node_fd00_ec__5',
          peerAddress: 'fd00:ec::5',
          peerType: 'node specific',
          state: 'start',
          bgpState: 'Active',
          since: 1795686727,
          info: 'Active Socket: Connection refused',
          neighborAs: 64513,
          routesImported: 0,
          routesExported: 0,
          lastError: 'Socket: Connection refused',
        },
      ],
    });
  });

  it('exits 0 when every peer is Established and 3 when there are none', async () => {
    const established = fixtureBytes('epoch-show-protocols-all.txt')
      .toString()
      .split(/(?=1002-)/)
      .filter((block) => !/^1002-(Mesh_fd00_ec__9|Global|tor1)/.test(block))
      .join('');
    protocols = Buffer.from(established);
    expect((await statusCommand.run(['--socket', bird.path], context())).exitCode).toBe(0);
    protocols = Buffer.from('2002-name     proto    table    state  since       info\n1002-device1  Device   master   up     1795686703  \n1006-  Preference:     240\n \n0000 \n');
    const none = await statusCommand.run(['--socket', bird.path], context());
    expect(none.exitCode).toBe(3);
    expect(none.output).toMatch(/No IPv6 BGP peers configured\.\n$/);
  });

  it('--ready: one Established session is enough, a node without peers is ready, no session up is not; plain status keeps its codes', async () => {
    // The fixture: Mesh_fd00_ec__2 Established, three others not.
    expect((await statusCommand.run(['--socket', bird.path, '--ready'], context())).exitCode).toBe(0);
    expect((await statusCommand.run(['--socket', bird.path], context())).exitCode).toBe(3);
    protocols = Buffer.from(
      fixtureBytes('epoch-show-protocols-all.txt')
        .toString()
        .split(/(?=1002-)/)
        .filter((block) => !block.startsWith('1002-Mesh_fd00_ec__2'))
        .join(''),
    );
    expect((await statusCommand.run(['--socket', bird.path, '--ready'], context())).exitCode).toBe(3);
    protocols = Buffer.from('2002-name     proto    table    state  since       info\n1002-device1  Device   master   up     1795686703  \n1006-  Preference:     240\n \n0000 \n');
    expect((await statusCommand.run(['--socket', bird.path, '--ready'], context())).exitCode).toBe(0);
    const missing = await statusCommand.run(['--socket', join(bird.dir, 'gone.ctl'), '--ready'], context()).catch((e: unknown) => e);
    expect(missing).toMatchObject({ code: 'BIRD_UNREACHABLE', exitCode: 1 });
  });

  it('fails with BIRD_UNREACHABLE when the socket is missing or BIRD does not answer', async () => {
    const missing = await statusCommand.run(['--socket', join(bird.dir, 'gone.ctl')], context()).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(BirdctlError);
    expect(missing).toMatchObject({ code: 'BIRD_UNREACHABLE', exitCode: 1, message: expect.stringMatching(/gone\.ctl: the control socket does not exist/) });
    bird.greeting = '';
    const silent = await statusCommand.run(['--socket', bird.path], context()).catch((e: unknown) => e);
    expect(silent).toMatchObject({ code: 'BIRD_UNREACHABLE', message: expect.stringMatching(/no greeting/) });
  });

  it('fails with BIRD_UNREACHABLE naming the limit when the socket sends an endless reply, having read at most the limit', async () => {
    let sent: { written: () => number } | undefined;
    bird.handler = (command, socket) => {
      if (command === 'restrict') socket.write('0016 Access restricted\n');
      else {
        socket.write('1011-Router ID is 10.255.0.1\n');
        sent = flood(socket, Buffer.from(' Current server time is 1795686760\n'.repeat(2048)));
      }
    };
    const flooded = await statusCommand.run(['--socket', bird.path], context()).catch((e: unknown) => e);
    expect(flooded).toMatchObject({
      code: 'BIRD_UNREACHABLE',
      exitCode: 1,
      message: expect.stringMatching(/the reply to "show status" was more than 16777216 bytes \(maxReplyBytes\); connection dropped$/),
    });
    expect(sent!.written()).toBeLessThan(DEFAULT_MAX_REPLY_BYTES + 2 * 1024 * 1024);
  });

  it('refuses bad usage', async () => {
    await expect(statusCommand.run(['extra'], context())).rejects.toMatchObject({ code: 'USAGE' });
    await expect(statusCommand.run(['--interval', '2'], context())).rejects.toThrow(/only applies with --watch/);
    await expect(statusCommand.run(['--watch', '--interval', 'soon'], context())).rejects.toThrow(/--interval must be seconds/);
    await expect(statusCommand.run(['--sock', 'x'], context())).rejects.toMatchObject({ code: 'USAGE' });
  });

  it('--watch draws at once, redraws on a change, and returns the last exit code when interrupted', async () => {
    const controller = new AbortController();
    const ctx = context({ signal: controller.signal });
    const done = statusCommand.run(['--socket', bird.path, '--watch', '--json', '--interval', '0.1'], ctx);
    await until(() => ctx.written.length === 1);
    expect(JSON.parse(ctx.written[0]!).peers).toHaveLength(4);
    protocols = fixtureBytes('disabled-show-protocols-all.txt');
    await until(() => ctx.written.length === 2);
    expect(JSON.parse(ctx.written[1]!).peers.map((p: { bgpState: string }) => p.bgpState)).toEqual(['Down']);
    // Nothing changes: no redraw.
    await new Promise((r) => setTimeout(r, 350));
    expect(ctx.written).toHaveLength(2);
    controller.abort();
    expect(await done).toEqual({ output: '', exitCode: 3 });
  });

  it('runs as the birdctl binary: exit 1 with one error line and a hint, no stack trace', async () => {
    const failure = await run('node', [BIRDCTL, 'status', '--socket', join(bird.dir, 'gone.ctl')]).catch((e: { code: number; stdout: string; stderr: string }) => e);
    expect(failure).toMatchObject({ code: 1, stdout: '' });
    const lines = (failure as { stderr: string }).stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^error\[BIRD_UNREACHABLE\]: cannot talk to BIRD at .*gone\.ctl: the control socket does not exist$/);
    expect(lines[1]).toMatch(/^hint: /);
    const json = await run('node', [BIRDCTL, 'status', '--socket', bird.path, '--json']).catch((e: { code: number; stdout: string }) => e);
    expect(json).toMatchObject({ code: 3 });
    expect(JSON.parse((json as { stdout: string }).stdout).peers).toHaveLength(4);
  });

  it('shows a BIRD with unreadable times (timeformat "%b%d"): the table with `-`, each warning once on stderr, the usual exit code', async () => {
    status = fixtureBytes('monthday-show-status.txt');
    protocols = fixtureBytes('monthday-show-protocols-all.txt');
    const warned: string[] = [];
    const result = await statusCommand.run(['--socket', bird.path], context({ warn: (m) => warned.push(m) }));
    expect(result.exitCode).toBe(3);
    expect(result.output).toMatch(/^BIRD 1\.6\.8 is running \(router id 10\.255\.0\.3\)\n/);
    expect(result.output).toMatch(/\| fd00:ec::9 +\| node-to-node mesh \| start \| - +\| Active Socket: Connection refused \|/);
    expect(warned).toHaveLength(4);
    expect(warned.filter((w) => w.includes('`since` "Dec01"'))).toHaveLength(1);
    const json = await statusCommand.run(['--socket', bird.path, '--json'], context());
    expect(JSON.parse(json.output).peers[0]).toMatchObject({ since: null, bgpState: 'Active', neighborAs: 64512 });
  });

  it('draws the daemon line when BIRD printed no readable version or router id', async () => {
    status = Buffer.from('1000-BIRD, version three\n1011-Current server time is 1795686760\n Last reboot on 1795686702\n Last reconfiguration on 1795686726\n0013 Daemon is up and running\n');
    const warned: string[] = [];
    const result = await statusCommand.run(['--socket', bird.path], context({ warn: (m) => warned.push(m) }));
    expect(result.output).toMatch(/^BIRD \(version not read\) is running \(router id -, reconfigured 34s ago\)\n/);
    expect(warned).toEqual([expect.stringMatching(/version line "BIRD, version three"/), expect.stringMatching(/no `Router ID` line/)]);
  });

  it('prints the warnings on stderr through the birdctl binary, stdout unchanged', async () => {
    status = fixtureBytes('monthday-show-status.txt');
    protocols = fixtureBytes('monthday-show-protocols-all.txt');
    const failure = await run('node', [BIRDCTL, 'status', '--socket', bird.path]).catch((e: { code: number; stdout: string; stderr: string }) => e);
    expect(failure).toMatchObject({ code: 3, stdout: expect.stringMatching(/^BIRD 1\.6\.8 is running/) });
    const lines = (failure as { stderr: string }).stderr.trim().split('\n');
    expect(lines).toHaveLength(4);
    for (const line of lines) expect(line).toMatch(/^warning: `show (status|protocols all)`: /);
  });
});

describe('formatAge', () => {
  it.each([
    [0, '0s'],
    [59, '59s'],
    [60, '1m00s'],
    [3599, '59m59s'],
    [3600, '1h00m'],
    [86_399, '23h59m'],
    [90_061, '1d01h'],
    [-5, '0s'],
    [null, '-'],
  ] as const)('%s s is %s', (seconds, text) => {
    expect(formatAge(seconds)).toBe(text);
  });

});

async function until(check: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not reached');
    await new Promise((r) => setTimeout(r, 10));
  }
}
