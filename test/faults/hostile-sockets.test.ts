// Fault injection: something that is not a healthy BIRD listens on the control socket. The real
// `birdctl status` binary must exit 1 with one clear error in bounded time and memory, and the
// session monitor (in this process) must report the daemon down, keep polling and stay bounded.
// Peak memory of the child is GNU time's maximum resident set size; the figures are printed for
// BENCHMARKS.md.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Socket } from 'node:net';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { createBirdMonitor } from '../../src/monitor/session-monitor.ts';
import { FakeBird, flood } from '../birdc/fake-bird.ts';
import { describeIntegration } from '../support/integration.ts';

const BIRDCTL = join(import.meta.dirname, '../../src/cli/birdctl.mjs');
/**
 * Exit within this after connecting, whatever the socket does (handshake 3 s plus two commands of
 * 5 s at worst); node and tsx starting up, slow on a loaded machine, come on top.
 */
const MAX_SECONDS = 15;
/** Peak RSS allowed above the same command against a healthy fake BIRD. */
const MAX_EXTRA_RSS_KB = 120 * 1024;

const STATUS = '1000-BIRD 1.6.8\n1011-Router ID is 10.255.0.1\n Current server time is 1795686760\n Last reboot on 1795686702\n Last reconfiguration on 1795686726\n0013 Daemon is up and running\n';
const PROTOCOLS = '2002-name     proto    table    state  since       info\n0000 \n';

interface Hostile {
  name: string;
  /** what the error must say */
  error: RegExp;
  setup: (bird: FakeBird) => void;
}

/** Answers the handshake like BIRD, then `reply` for every command. */
const answering = (bird: FakeBird, reply: (command: string, socket: Socket) => void) => {
  bird.handler = (command, socket) => (command === 'restrict' ? socket.write('0016 Access restricted\n') : reply(command, socket));
};

const trickle = (socket: Socket, bytes: Buffer, everyMs: number) => {
  let at = 0;
  const timer = setInterval(() => {
    if (socket.destroyed) clearInterval(timer);
    else socket.write(bytes.subarray(at % bytes.length, (at % bytes.length) + 1));
    at += 1;
  }, everyMs);
  socket.once('close', () => clearInterval(timer));
};

const HOSTILE: Hostile[] = [
  {
    name: 'endless greeting',
    error: /greeting of more than 4096 bytes/,
    setup: (bird) => {
      bird.greeting = '0001-BIRD 1.6.8 ready.\n';
      bird.onConnect = (socket) => void flood(socket, Buffer.from(' and more greeting\n'.repeat(4096)));
    },
  },
  {
    name: 'endless line',
    error: /a line of more than 65536 bytes/,
    setup: (bird) => answering(bird, (_command, socket) => void flood(socket, Buffer.alloc(64 * 1024, 'x'))),
  },
  {
    name: 'endless reply of long lines',
    error: /reply to "show status" was more than 16777216 bytes/,
    setup: (bird) =>
      answering(bird, (_command, socket) => {
        socket.write('1011-Router ID is 10.255.0.1\n');
        flood(socket, Buffer.from(` ${'Current server time is 1795686760 '.repeat(12)}\n`.repeat(128)));
      }),
  },
  {
    name: 'endless reply of empty lines',
    error: /reply to "show status" was more than 16777216 bytes/,
    setup: (bird) =>
      answering(bird, (_command, socket) => {
        socket.write('1011-Router ID is 10.255.0.1\n');
        flood(socket, Buffer.from(' \n'.repeat(32 * 1024)));
      }),
  },
  {
    name: 'slowloris reply, one byte per 100 ms',
    error: /BIRD did not answer "show status" within 5000 ms/,
    setup: (bird) => answering(bird, (_command, socket) => trickle(socket, Buffer.from(STATUS), 100)),
  },
  {
    name: 'greeting then silence',
    error: /no answer to restrict within 3000 ms/,
    setup: (bird) => (bird.handler = () => {}),
  },
];

interface Run {
  exitCode: number;
  stderr: string;
  /** from start to exit */
  seconds: number;
  /** from the first connection to the socket to exit */
  connectedSeconds: number;
  peakRssKb: number;
}

/** `birdctl status --socket PATH` under GNU time, which reports the child's peak RSS. */
async function birdctlStatus(bird: FakeBird): Promise<Run> {
  const report = join(bird.dir, 'time.out');
  let connected: number | undefined;
  const onConnect = bird.onConnect;
  bird.onConnect = (socket) => {
    connected ??= performance.now();
    onConnect(socket);
  };
  const started = performance.now();
  const { exitCode, stderr } = await new Promise<{ exitCode: number; stderr: string }>((resolve) => {
    execFile(
      '/usr/bin/time',
      ['-f', '%M', '-o', report, process.execPath, BIRDCTL, 'status', '--socket', bird.path],
      { timeout: 60_000, killSignal: 'SIGKILL' },
      (error, _stdout, stderr) => resolve({ exitCode: error === null ? 0 : typeof error.code === 'number' ? error.code : -1, stderr }),
    );
  });
  const ended = performance.now();
  const peakRssKb = Number(readFileSync(report, 'utf8').trim().split('\n').at(-1));
  return { exitCode, stderr, seconds: (ended - started) / 1000, connectedSeconds: (ended - (connected ?? started)) / 1000, peakRssKb };
}

describeIntegration('hostile control sockets', { binaries: ['time'] }, () => {
  let bird: FakeBird | undefined;
  let baselineKb = 0;
  const figures: string[] = [];

  beforeAll(async () => {
    // The same command against a healthy fake BIRD: what node, tsx and birdctl cost anyway.
    const healthy = new FakeBird();
    answering(healthy, (command, socket) => socket.write(command === 'show status' ? STATUS : PROTOCOLS));
    await healthy.start();
    try {
      const run = await birdctlStatus(healthy);
      expect(run.exitCode).toBe(3);
      baselineKb = run.peakRssKb;
      figures.push(`healthy fake BIRD: exit ${run.exitCode} in ${run.seconds.toFixed(1)} s, peak RSS ${(run.peakRssKb / 1024).toFixed(0)} MiB`);
    } finally {
      await healthy.dispose();
    }
  });

  afterEach(async () => {
    await bird?.dispose();
    bird = undefined;
  });

  afterAll(() => {
    process.stdout.write(`birdctl status against hostile control sockets:\n${figures.map((f) => `  ${f}\n`).join('')}`);
  });

  // Concurrently: each run is a child process waiting out a timeout, and the file must stay well
  // under a minute.
  it.concurrent.each(HOSTILE)('birdctl status exits 1 in bounded time and memory: $name', async ({ name, error, setup }) => {
    const hostile = new FakeBird();
    try {
      setup(hostile);
      await hostile.start();
      const run = await birdctlStatus(hostile);
      figures.push(
        `${name}: exit ${run.exitCode} ${run.connectedSeconds.toFixed(1)} s after connecting (${run.seconds.toFixed(1)} s with startup), peak RSS ${(run.peakRssKb / 1024).toFixed(0)} MiB`,
      );
      expect(run.exitCode).toBe(1);
      const lines = run.stderr.trimEnd().split('\n');
      expect(lines).toHaveLength(2);
      expect(lines[0]).toMatch(/^error\[BIRD_(UNREACHABLE|TIMEOUT)\]: /);
      expect(lines[0]).toMatch(error);
      expect(run.connectedSeconds).toBeLessThan(MAX_SECONDS);
      expect(run.peakRssKb - baselineKb).toBeLessThan(MAX_EXTRA_RSS_KB);
    } finally {
      await hostile.dispose();
    }
  });

  it.each(HOSTILE.filter((h) => h.name.startsWith('endless')))(
    'the monitor reports the daemon down, keeps polling and stays bounded: $name',
    async ({ error, setup }) => {
      bird = new FakeBird();
      setup(bird);
      await bird.start();
      const errors: unknown[] = [];
      const monitor = createBirdMonitor({ socketPath: bird.path, intervalMs: 50, commandTimeoutMs: 5000, onError: (e) => errors.push(e) });
      const before = process.memoryUsage().rss;
      let peak = before;
      const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 10);
      try {
        const first = await monitor.start();
        expect(first.daemon).toMatchObject({ up: false, error: expect.stringMatching(error) });
        // It goes on: several more connections, each cut at the limit, the daemon still down.
        const connections = bird.connections;
        for (let polls = 0; polls < 200 && bird.connections < connections + 3; polls += 1) {
          await monitor.refresh();
          await new Promise((r) => setTimeout(r, 50));
        }
        expect(bird.connections).toBeGreaterThanOrEqual(connections + 3);
        expect(monitor.current()?.daemon).toMatchObject({ up: false, error: expect.stringMatching(error) });
        expect(errors).toEqual([]);
        expect(peak - before).toBeLessThan(MAX_EXTRA_RSS_KB * 1024);
      } finally {
        clearInterval(sampler);
        await monitor.stop();
      }
    },
  );
});
