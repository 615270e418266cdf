import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BirdClient, MAX_GREETING_BYTES, type BirdClientOptions, type ClientState } from '../../src/birdc/client.ts';
import { MAX_LINE_BYTES } from '../../src/birdc/framing.ts';
import { BirdReplyError } from '../../src/birdc/reply.ts';
import { BirdctlError } from '../../src/errors.ts';
import { FakeBird, drip, flood } from './fake-bird.ts';
import { fixtureBytes } from './fixture.ts';

let bird: FakeBird;
const clients: BirdClient[] = [];

function client(options: Partial<BirdClientOptions> = {}): BirdClient {
  const c = new BirdClient({ socketPath: bird.path, commandTimeoutMs: 500, connectTimeoutMs: 500, initialBackoffMs: 20, maxBackoffMs: 80, ...options });
  clients.push(c);
  return c;
}

async function rejection(promise: Promise<unknown>): Promise<BirdctlError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(BirdctlError);
    return error as BirdctlError;
  }
  throw new Error('expected a rejection');
}

const until = async (check: () => boolean, ms = 2000) => {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not reached');
    await new Promise((r) => setTimeout(r, 5));
  }
};

beforeEach(async () => {
  bird = new FakeBird();
  await bird.start();
});

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await bird.dispose();
});

describe('BirdClient', () => {
  it('reads the greeting and answers commands in order, one at a time', async () => {
    const replies: Record<string, Buffer> = {
      'show status': fixtureBytes('r1-show-status.txt'),
      'show protocols': fixtureBytes('r1-show-protocols.txt'),
    };
    let inFlight = 0;
    let maxInFlight = 0;
    bird.handler = (command, socket) => {
      inFlight += 1;
      maxInFlight = Math.max(maxInFlight, inFlight);
      setTimeout(() => {
        inFlight -= 1;
        socket.write(replies[command]!);
      }, 5);
    };
    const c = client();
    expect(await c.connect()).toEqual({ version: '1.6.8', text: 'BIRD 1.6.8 ready.' });
    const [status, protocols, again] = await Promise.all([c.command('show status'), c.command('show protocols'), c.command('show status')]);
    expect([status.code, protocols.code, again.code]).toEqual([13, 0, 13]);
    expect(protocols.blocks[1]!.lines).toHaveLength(5);
    expect(bird.commands).toEqual(['show status', 'show protocols', 'show status']);
    expect(maxInFlight).toBe(1);
  });

  it('frames a reply dripped a few bytes at a time', async () => {
    const bytes = fixtureBytes('r2-show-protocols-all.txt');
    bird.handler = (_command, socket) => drip(socket, bytes, 7);
    const reply = await client().command('show protocols all');
    expect(reply.blocks.filter((b) => b.code === 1002).map((b) => b.lines[0]!.split(/\s+/)[0])).toEqual(['device1', 'direct1', 'kernel1', 'r1', 'r3']);
  });

  it('hands over blocks while the reply is still arriving, and a throwing onBlock fails only its command', async () => {
    let release!: () => void;
    const bytes = fixtureBytes('r2-show-protocols-all.txt');
    const half = bytes.indexOf('1002-r1');
    bird.handler = (command, socket) => {
      if (command === 'show protocols all') {
        socket.write(bytes.subarray(0, half));
        release = () => socket.write(bytes.subarray(half));
      } else socket.write('0014 0 of 0 routes for 0 networks\n');
    };
    const c = client();
    const blocks: number[] = [];
    const done = c.command('show protocols all', { onBlock: (b) => blocks.push(b.code) });
    await until(() => blocks.length === 6);
    expect(blocks).toEqual([2002, 1002, 1006, 1002, 1006, 1002]);
    release();
    // Handed over, not kept: the reply holds none of them.
    expect((await done).blocks).toEqual([]);
    expect(blocks).toHaveLength(11);

    bird.handler = (_command, socket) => socket.write(bytes);
    const failing = c.command('show protocols all', {
      onBlock: (b) => {
        if (b.code === 1006) throw new Error('cannot parse this');
      },
    });
    await expect(failing).rejects.toThrow('cannot parse this');
    bird.handler = (_command, socket) => socket.write('0014 0 of 0 routes for 0 networks\n');
    expect((await c.command('show route count')).code).toBe(14);
    expect(bird.connections).toBe(1);
  });

  it('connects lazily on the first command', async () => {
    const c = client();
    expect(c.state).toBe('idle');
    expect((await c.command('show route count')).code).toBe(0);
    expect(c.state).toBe('ready');
  });

  it('turns 9xxx and 8xxx replies into typed errors with code and text, and stays usable', async () => {
    bird.handler = (command, socket) => {
      if (command === 'bogus') socket.write('9001 syntax error\n');
      else if (command === 'configure') socket.write(fixtureBytes('configure-reconfigured.txt').toString().replace('0003 Reconfigured', '8002 x.conf:4:8 syntax error'));
      else socket.write(fixtureBytes('route-for-missing.txt'));
    };
    const c = client();
    const parse = await rejection(c.command('bogus'));
    expect(parse).toBeInstanceOf(BirdReplyError);
    expect(parse).toMatchObject({ code: 'BIRD_REPLY', replyCode: 9001, replyText: 'syntax error', command: 'bogus' });
    expect(await rejection(c.command('configure'))).toMatchObject({ code: 'BIRD_CONFIG_REJECTED', replyCode: 8002, replyText: 'x.conf:4:8 syntax error' });
    expect(await rejection(c.command('show route for fd00:99::1'))).toMatchObject({ code: 'BIRD_REPLY', replyCode: 8001, replyText: 'Network not in table' });
    expect(c.state).toBe('ready');
  });

  it('delivers + lines to onAsync and never as a reply', async () => {
    const asyncLines: string[] = [];
    bird.handler = (_command, socket) => socket.write('+log one\n1000-BIRD 1.6.8\n+log two\n1011-Router ID is 10.255.0.1\n Current server time is 2026-11-26 07:55:05\n Last reboot on 2026-11-26 07:54:00\n Last reconfiguration on 2026-11-26 07:54:40\n0013 Daemon is up and running\n');
    const reply = await client({ onAsync: (line) => asyncLines.push(line.text) }).command('show status');
    expect(asyncLines).toEqual(['log one', 'log two']);
    expect(reply.blocks.map((b) => b.code)).toEqual([1000, 1011]);
  });

  it('sends restrict first in read-only mode and refuses without it otherwise', async () => {
    bird.handler = (command, socket) => socket.write(command === 'restrict' ? '0016 Access restricted\n' : '8007 Access denied\n');
    const c = client({ restrict: true });
    await c.connect();
    expect(bird.commands).toEqual(['restrict']);
    expect(await rejection(c.command('disable tor1'))).toMatchObject({ replyCode: 8007, replyText: 'Access denied' });
  });

  it('fails the connection when restrict is not acknowledged', async () => {
    bird.handler = (_command, socket) => socket.write('9001 syntax error\n');
    const error = await rejection(client({ restrict: true, reconnect: false }).connect());
    expect(error).toMatchObject({ code: 'BIRD_UNREACHABLE', message: expect.stringMatching(/restrict refused/) });
  });

  it('times out a handshake whose restrict is never answered, saying so', async () => {
    bird.handler = () => {};
    const error = await rejection(client({ restrict: true, reconnect: false, connectTimeoutMs: 100 }).connect());
    expect(error).toMatchObject({ code: 'BIRD_UNREACHABLE', message: expect.stringMatching(/no answer to restrict within 100 ms/) });
  });

  it('rejects a greeting that is not BIRD', async () => {
    bird.greeting = '0001 Welcome to something else\n';
    expect(await rejection(client({ reconnect: false }).connect())).toMatchObject({ code: 'BIRD_UNREACHABLE', message: expect.stringMatching(/unexpected greeting/) });
  });

  it('times out a connection that never greets', async () => {
    bird.greeting = '';
    const error = await rejection(client({ reconnect: false, connectTimeoutMs: 100 }).connect());
    expect(error).toMatchObject({ code: 'BIRD_UNREACHABLE', message: expect.stringMatching(/no greeting within 100 ms/) });
  });

  it('times out a command, fails the queue behind it and reconnects for the next', async () => {
    bird.handler = (command, socket) => {
      if (command !== 'hang') socket.write('0014 1 of 1 routes for 1 networks\n');
    };
    const c = client({ commandTimeoutMs: 100 });
    const [hung, queued] = [rejection(c.command('hang')), rejection(c.command('show route count'))];
    expect(await hung).toMatchObject({ code: 'BIRD_TIMEOUT' });
    expect(await queued).toMatchObject({ code: 'BIRD_UNREACHABLE' });
    await until(() => c.state === 'ready');
    expect(bird.connections).toBe(2);
    expect((await c.command('show route count')).text).toBe('1 of 1 routes for 1 networks');
  });

  it('fails the pending command when BIRD dies mid-reply, reports disconnected, then reconnects', async () => {
    const states: ClientState[] = [];
    bird.handler = (command, socket) => {
      if (command === 'show protocols all') {
        socket.write(fixtureBytes('r1-show-protocols-all.txt').subarray(0, 300));
        setTimeout(() => socket.destroy(), 10);
      } else socket.write('0014 0 of 0 routes for 0 networks\n');
    };
    const c = client({ onStateChange: (s) => states.push(s) });
    const error = await rejection(c.command('show protocols all'));
    expect(error).toMatchObject({ code: 'BIRD_UNREACHABLE', message: expect.stringMatching(/closed the connection/) });
    // While disconnected a command fails at once instead of waiting.
    if (c.state === 'disconnected') expect(await rejection(c.command('show route count'))).toMatchObject({ code: 'BIRD_UNREACHABLE' });
    await until(() => c.state === 'ready');
    expect((await c.command('show route count')).code).toBe(14);
    expect(states).toEqual(['connecting', 'ready', 'disconnected', 'connecting', 'ready']);
  });

  it('backs off while the socket is gone, doubling up to the cap, and comes back when BIRD does', async () => {
    const attempts: number[] = [];
    const c = client({ initialBackoffMs: 10, maxBackoffMs: 40, onStateChange: (state) => state === 'connecting' && attempts.push(Date.now()) });
    await c.connect();
    attempts.length = 0;
    await bird.stop();
    await until(() => attempts.length >= 5);
    const gaps = attempts.slice(1).map((t, i) => t - attempts[i]!);
    expect(gaps.at(-1)).toBeGreaterThanOrEqual(35);
    expect(gaps.every((g) => g < 200)).toBe(true);
    await bird.start();
    await until(() => c.state === 'ready');
    expect((await c.command('show protocols')).code).toBe(0);
  });

  it('explains a missing socket, a permission problem and a stale socket in one line', async () => {
    const missing = await rejection(new BirdClient({ socketPath: join(bird.dir, 'nope.ctl'), reconnect: false }).connect());
    expect(missing).toMatchObject({ code: 'BIRD_UNREACHABLE', message: expect.stringMatching(/does not exist/), hint: expect.stringMatching(/--socket/) });
    const plain = join(bird.dir, 'plain-file');
    writeFileSync(plain, '');
    expect((await rejection(new BirdClient({ socketPath: plain, reconnect: false }).connect())).message).toMatch(/nothing listens|not a socket/);
    await bird.stop();
    expect((await rejection(new BirdClient({ socketPath: bird.path, reconnect: false }).connect())).message).toMatch(/does not exist|nothing listens/);
    if (process.getuid?.() !== 0) {
      chmodSync(bird.dir, 0o000);
      expect((await rejection(new BirdClient({ socketPath: bird.path, reconnect: false }).connect())).message).toMatch(/permission denied/);
      chmodSync(bird.dir, 0o700);
    }
  });

  it('refuses commands that are not one line, and everything after close', async () => {
    const c = client();
    expect(await rejection(c.command('show status\nconfigure'))).toMatchObject({ code: 'USAGE' });
    expect(await rejection(c.command('  '))).toMatchObject({ code: 'USAGE' });
    await c.connect();
    await c.close();
    expect(c.state).toBe('closed');
    expect(await rejection(c.command('show status'))).toMatchObject({ code: 'BIRD_UNREACHABLE' });
  });

  it('fails queued commands when closed while they wait', async () => {
    bird.handler = () => {};
    const c = client({ commandTimeoutMs: 5000 });
    const pending = [c.command('show status'), c.command('show protocols')];
    await until(() => bird.commands.length === 1);
    const settled = Promise.allSettled(pending);
    await c.close();
    const results = await settled;
    expect(results.map((r) => r.status === 'rejected' && (r.reason as BirdctlError).message)).toEqual([
      expect.stringMatching(/closed by this program/),
      expect.stringMatching(/closed by this program/),
    ]);
  });
});

describe('BirdClient against a hostile control socket', () => {
  const CHUNK = Buffer.from(' a continuation line of a block that never ends\n'.repeat(1024));
  // Kernel socket buffers and one chunk in flight: what the server can hand over beyond the limit.
  const SLACK = 2 * 1024 * 1024;

  it('drops a connection whose greeting never ends, after a few KiB', async () => {
    bird.greeting = '';
    let sent: { written: () => number } | undefined;
    bird.onConnect = (socket) => {
      socket.write('0001-BIRD 1.6.8 ready.\n');
      sent = flood(socket, CHUNK);
    };
    const error = await rejection(client({ reconnect: false, connectTimeoutMs: 2000 }).connect());
    expect(error).toMatchObject({ code: 'BIRD_UNREACHABLE', message: expect.stringMatching(/greeting of more than 4096 bytes/) });
    expect(sent!.written()).toBeLessThan(MAX_GREETING_BYTES + SLACK);
  });

  it('drops a connection that sends one endless line, failing the command with the line limit', async () => {
    let sent: { written: () => number } | undefined;
    bird.handler = (_command, socket) => (sent = flood(socket, Buffer.alloc(64 * 1024, 'x')));
    const error = await rejection(client({ reconnect: false, commandTimeoutMs: 2000 }).command('show status'));
    expect(error).toMatchObject({ code: 'BIRD_UNREACHABLE', message: expect.stringMatching(/a line of more than 65536 bytes/) });
    expect(error.message).toContain(bird.path);
    expect(sent!.written()).toBeLessThan(MAX_LINE_BYTES + SLACK);
  });

  it('drops a connection whose reply never ends, naming the command and the limit, then reconnects', async () => {
    const limit = 256 * 1024;
    let sent: { written: () => number } | undefined;
    bird.handler = (command, socket) => {
      if (command === 'show protocols all') {
        socket.write('2002-name     proto    table    state  since       info\n1002-r1 BGP master up 07:54:04 Established\n');
        sent = flood(socket, CHUNK);
      } else socket.write('0014 1 of 1 routes for 1 networks\n');
    };
    const c = client({ maxReplyBytes: limit, commandTimeoutMs: 2000 });
    const error = await rejection(c.command('show protocols all'));
    expect(error).toMatchObject({
      code: 'BIRD_UNREACHABLE',
      message: expect.stringMatching(/reply to "show protocols all" .*more than 262144 bytes \(maxReplyBytes\)/),
    });
    expect(sent!.written()).toBeLessThan(limit + SLACK);
    await until(() => c.state === 'ready');
    expect((await c.command('show route count')).code).toBe(14);
  });

  it('drops a connection that floods blocks between commands, saying nobody asked', async () => {
    const states: ClientState[] = [];
    bird.handler = (_command, socket) => {
      socket.write('0000 \n');
      flood(socket, Buffer.from('1002-unsolicited\n'.repeat(1024)));
    };
    const errors: BirdctlError[] = [];
    const c = client({ maxReplyBytes: 256 * 1024, reconnect: false, onStateChange: (state, error) => state === 'disconnected' && states.push(state) && errors.push(error!) });
    expect((await c.command('show status')).code).toBe(0);
    await until(() => states.length === 1);
    expect(errors[0]).toMatchObject({ code: 'BIRD_UNREACHABLE', message: expect.stringMatching(/it sent more than 262144 bytes nobody asked for/) });
  });

  it('takes a 1,000-peer `show protocols all` with the default reply limit', async () => {
    // The r2 block of a real reply, once per peer: about as big as the monitor-poll benchmark's.
    const fixture = fixtureBytes('r1-show-protocols-all.txt').toString();
    const r2 = fixture.slice(fixture.indexOf('1002-r2 '), fixture.indexOf('1002-', fixture.indexOf('1002-r2 ') + 1));
    const reply = Buffer.from(`2002-name     proto    table    state  since       info\n${r2.repeat(1000)}0000 \n`);
    expect(reply.length).toBeGreaterThan(700 * 1024);
    bird.handler = (_command, socket) => socket.write(reply);
    const answer = await client().command('show protocols all');
    expect(answer.blocks.filter((b) => b.code === 1002)).toHaveLength(1000);
  });
});
