// A fake BIRD control socket for client tests: a real Unix socket server that greets like BIRD
// and answers each command line through a handler the test supplies.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fixtureBytes } from './fixture.ts';

export type Handler = (command: string, socket: Socket) => void;

/**
 * A bird6 that runs whatever it is given: takes every `configure`, answers `show status` (real
 * BIRD 1.6.8 replies) and refuses anything else as BIRD refuses an unknown command.
 */
export const runningBird: Handler = (command, socket) => {
  if (command.startsWith('configure')) socket.write(fixtureBytes('configure-reconfigured.txt'));
  else if (command === 'show status') socket.write(fixtureBytes('r1-show-status.txt'));
  else socket.write('9001 Parse error\n');
};

export class FakeBird {
  readonly dir = mkdtempSync(join(tmpdir(), 'fake-bird-'));
  readonly path = join(this.dir, 'bird6.ctl');
  readonly commands: string[] = [];
  readonly sockets: Socket[] = [];
  connections = 0;
  greeting = '0001 BIRD 1.6.8 ready.\n';
  handler: Handler = (_command, socket) => socket.write('0000 \n');
  /** Called for each new connection after the greeting was written. */
  onConnect: (socket: Socket) => void = () => {};
  private server: Server | undefined;

  async start(): Promise<void> {
    const server = createServer((socket) => {
      this.connections += 1;
      this.sockets.push(socket);
      socket.on('error', () => {});
      if (this.greeting !== '') socket.write(this.greeting);
      this.onConnect(socket);
      let buffered = '';
      socket.on('data', (chunk) => {
        buffered += chunk.toString();
        for (let i = buffered.indexOf('\n'); i >= 0; i = buffered.indexOf('\n')) {
          const command = buffered.slice(0, i);
          buffered = buffered.slice(i + 1);
          this.commands.push(command);
          this.handler(command, socket);
        }
      });
    });
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.path, () => resolve());
    });
  }

  /** Stops listening and drops every connection (BIRD killed). */
  async stop(): Promise<void> {
    for (const socket of this.sockets.splice(0)) socket.destroy();
    const server = this.server;
    this.server = undefined;
    if (server !== undefined) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  async dispose(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Writes `bytes` in pieces of `size` bytes, a macrotask apart, like a slow socket. */
export function drip(socket: Socket, bytes: Buffer, size: number): void {
  let at = 0;
  const next = () => {
    if (at >= bytes.length || socket.destroyed) return;
    socket.write(bytes.subarray(at, at + size));
    at += size;
    setImmediate(next);
  };
  next();
}

/**
 * Writes `chunk` again and again, as fast as the peer reads, until the socket closes; `written()`
 * is the number of bytes the kernel has taken so far (a bounded reader stops that count early).
 */
export function flood(socket: Socket, chunk: Buffer): { written: () => number } {
  let written = 0;
  const next = (): void => {
    while (!socket.destroyed && socket.writable) {
      const more = socket.write(chunk, (error) => {
        if (error === undefined || error === null) written += chunk.length;
      });
      if (!more) {
        socket.once('drain', next);
        return;
      }
    }
  };
  next();
  return { written: () => written };
}
