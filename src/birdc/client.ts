// A native client of BIRD's control socket (node:net over the Unix socket), not a wrapper around
// the birdc6 binary: one connection, one command at a time from a queue, a timeout per command.
//
// Connection life: connect -> greeting `0001 BIRD 1.6.8 ready.` -> optional `restrict` (read-only,
// `0016 Access restricted`) -> ready. When the socket dies or a command times out (after which the
// stream can no longer be trusted to line up with the queue), every pending command fails, and the
// client reconnects in the background with a doubling backoff capped at maxBackoffMs. A command
// issued while disconnected fails at once with BIRD_UNREACHABLE instead of waiting: callers like
// the monitor report a down daemon rather than hang.
//
// Everything the socket sends is bounded in size and time: the greeting (MAX_GREETING_BYTES, within
// connectTimeoutMs), each line (the framer's MAX_LINE_BYTES) and each reply (maxReplyBytes, within
// commandTimeoutMs from the write, however slowly it trickles in). Over a limit the connection is
// dropped like after a timeout, and the error is BIRD_UNREACHABLE naming the limit.
import { connect as netConnect, type Socket } from 'node:net';
import { BirdctlError } from '../errors.ts';
import { DEFAULT_MAX_REPLY_BYTES, FramingLimitError, ReplyFramer } from './framing.ts';
import { BirdReplyError, isErrorReply, type AsyncLine, type Reply, type ReplyBlock } from './reply.ts';

export interface BirdClientOptions {
  socketPath: string;
  /** Send `restrict` after the greeting: BIRD then refuses every command that changes state. */
  restrict?: boolean;
  /** Per command, from the moment it is written to the socket. Default 5000. */
  commandTimeoutMs?: number;
  /** Connecting plus the greeting (plus `restrict`). Default 3000. */
  connectTimeoutMs?: number;
  /** First reconnect delay; doubled after each failure. Default 100. */
  initialBackoffMs?: number;
  /** Cap of the reconnect delay. Default 5000. */
  maxBackoffMs?: number;
  /** Reconnect in the background after a failure. Default true; one-shot callers turn it off. */
  reconnect?: boolean;
  /** Largest reply accepted (see the framer's DEFAULT_MAX_REPLY_BYTES). Default 16 MiB. */
  maxReplyBytes?: number;
  onAsync?: (line: AsyncLine) => void;
  onStateChange?: (state: ClientState, error?: BirdctlError) => void;
}

export type ClientState = 'idle' | 'connecting' | 'ready' | 'disconnected' | 'closed';

export interface CommandOptions {
  /**
   * Each block of the reply as soon as it is complete, before the reply is: lets a caller parse a
   * large reply while BIRD is still writing it. If it throws, the command rejects with that error
   * once the reply has ended (the connection stays in step). The blocks it is given are not kept:
   * the reply resolved then has none (`blocks` empty), so a large reply is never held whole.
   */
  onBlock?: (block: ReplyBlock) => void;
}

interface Pending {
  command: string;
  onBlock: ((block: ReplyBlock) => void) | undefined;
  blockError?: unknown;
  resolve: (reply: Reply) => void;
  reject: (error: unknown) => void;
}

/** What a consumer of BIRD commands needs: the monitor takes this, so tests can script replies. */
export interface BirdCommands {
  command(command: string, options?: CommandOptions): Promise<Reply>;
}

/** The greeting BIRD sends on connect: `0001 BIRD 1.6.8 ready.` */
export interface Greeting {
  version: string;
  text: string;
}

const GREETING = /^BIRD (\S+) ready\.$/;

/**
 * The greeting and the `restrict` answer are one line each (`0001 BIRD 1.6.8 ready.`,
 * `0016 Access restricted`); anything past a few KiB during the handshake is not BIRD.
 */
export const MAX_GREETING_BYTES = 4096;

export class BirdClient implements BirdCommands {
  private readonly options: Required<Omit<BirdClientOptions, 'onAsync' | 'onStateChange'>> & Pick<BirdClientOptions, 'onAsync' | 'onStateChange'>;
  private socket: Socket | undefined;
  private connecting: Promise<Greeting> | undefined;
  private stateValue: ClientState = 'idle';
  private queue: Pending[] = [];
  private inFlight: Pending | undefined;
  private timer: NodeJS.Timeout | undefined;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private backoffMs: number;
  private lastError: BirdctlError | undefined;
  /** Replies routed to the connection handshake instead of the command queue. */
  private handshake: ((reply: Reply) => void) | undefined;
  greeting: Greeting | undefined;

  constructor(options: BirdClientOptions) {
    this.options = {
      restrict: false,
      commandTimeoutMs: 5000,
      connectTimeoutMs: 3000,
      initialBackoffMs: 100,
      maxBackoffMs: 5000,
      reconnect: true,
      maxReplyBytes: DEFAULT_MAX_REPLY_BYTES,
      ...options,
    };
    this.backoffMs = this.options.initialBackoffMs;
  }

  get state(): ClientState {
    return this.stateValue;
  }

  get socketPath(): string {
    return this.options.socketPath;
  }

  /** Connects (once; concurrent calls share the attempt) and resolves with the greeting. */
  connect(): Promise<Greeting> {
    if (this.stateValue === 'closed') return Promise.reject(closedError(this.options.socketPath));
    if (this.stateValue === 'ready' && this.greeting !== undefined) return Promise.resolve(this.greeting);
    if (this.connecting === undefined) {
      clearTimeout(this.reconnectTimer);
      this.reconnectTimer = undefined;
      this.connecting = this.open().finally(() => (this.connecting = undefined));
    }
    return this.connecting;
  }

  /**
   * Sends one command (a single line) and resolves with BIRD's reply; an 8xxx/9xxx reply rejects
   * with a BirdReplyError, a dead socket with BIRD_UNREACHABLE, no answer with BIRD_TIMEOUT.
   */
  command(command: string, options: CommandOptions = {}): Promise<Reply> {
    if (/[\r\n\0]/.test(command) || command.trim() === '') {
      return Promise.reject(new BirdctlError('USAGE', `not a single BIRD command: ${JSON.stringify(command)}`));
    }
    switch (this.stateValue) {
      case 'closed':
        return Promise.reject(closedError(this.options.socketPath));
      case 'disconnected':
        return Promise.reject(this.lastError ?? unreachable(this.options.socketPath, 'not connected'));
      case 'idle':
        // Lazy first connection; a failure rejects through the queue below.
        this.connect().catch(() => {});
        break;
      default:
        break;
    }
    return new Promise<Reply>((resolve, reject) => {
      this.queue.push({ command, onBlock: options.onBlock, resolve, reject });
      this.pump();
    });
  }

  /** Closes the connection for good; pending commands fail. */
  async close(): Promise<void> {
    if (this.stateValue === 'closed') return;
    this.setState('closed');
    clearTimeout(this.reconnectTimer);
    this.failAll(closedError(this.options.socketPath));
    const socket = this.socket;
    this.socket = undefined;
    if (socket !== undefined && !socket.destroyed) {
      await new Promise<void>((resolve) => {
        socket.once('close', () => resolve());
        socket.destroy();
      });
    }
  }

  private open(): Promise<Greeting> {
    this.setState('connecting');
    const path = this.options.socketPath;
    return new Promise<Greeting>((resolve, reject) => {
      const socket = netConnect({ path });
      this.socket = socket;
      let settled = false;
      const fail = (error: BirdctlError) => {
        if (settled) return;
        settled = true;
        clearTimeout(deadline);
        this.handshake = undefined;
        socket.destroy();
        this.connectionLost(socket, error);
        reject(error);
      };
      let greeted = false;
      const deadline = setTimeout(
        () => fail(unreachable(path, `${greeted ? 'no answer to restrict' : 'no greeting'} within ${this.options.connectTimeoutMs} ms`)),
        this.options.connectTimeoutMs,
      );
      const framer = this.framerFor(socket);
      framer.maxReplyBytes = MAX_GREETING_BYTES;
      socket.on('data', (chunk) => {
        try {
          framer.push(chunk);
        } catch (error) {
          const failure = error instanceof FramingLimitError ? this.limitError(error, settled) : (error as BirdctlError);
          if (!settled) fail(failure);
          else this.connectionLost(socket, failure);
          socket.destroy();
        }
      });
      socket.on('error', (error: NodeJS.ErrnoException) => {
        const failure = socketError(path, error);
        if (!settled) fail(failure);
        else this.connectionLost(socket, failure);
      });
      socket.on('close', () => {
        const failure = unreachable(path, 'BIRD closed the connection');
        if (!settled) fail(failure);
        else this.connectionLost(socket, failure);
      });

      const steps: ((reply: Reply) => void)[] = [
        (reply) => {
          const match = GREETING.exec(reply.text);
          if (reply.code !== 1 || match === null) {
            fail(unreachable(path, `unexpected greeting ${JSON.stringify(`${reply.code} ${reply.text}`)}`));
            return;
          }
          this.greeting = { version: match[1]!, text: reply.text };
          greeted = true;
          if (this.options.restrict) socket.write('restrict\n');
          else done();
        },
        (reply) => {
          if (reply.code !== 16) fail(unreachable(path, `restrict refused: ${reply.code} ${reply.text}`));
          else done();
        },
      ];
      const done = () => {
        settled = true;
        clearTimeout(deadline);
        framer.maxReplyBytes = this.options.maxReplyBytes;
        this.handshake = undefined;
        this.backoffMs = this.options.initialBackoffMs;
        this.lastError = undefined;
        this.setState('ready');
        resolve(this.greeting!);
        this.pump();
      };
      this.handshake = (reply) => steps.shift()?.(reply);
    });
  }

  /** A framer limit, said in terms of what was being read: the greeting or a command's reply. */
  private limitError(error: FramingLimitError, handshakeDone: boolean): BirdctlError {
    const command = this.inFlight?.command;
    let why: string;
    let hint = 'is this path a BIRD 1.6 control socket?';
    if (error.limit === 'line') why = `it sent a line of more than ${error.limitBytes} bytes (BIRD 1.6 never prints one over 512)`;
    else if (!handshakeDone) why = `it sent a greeting of more than ${error.limitBytes} bytes`;
    else if (command === undefined) why = `it sent more than ${error.limitBytes} bytes nobody asked for`;
    else {
      why = `the reply to ${JSON.stringify(command)} was more than ${error.limitBytes} bytes (maxReplyBytes)`;
      hint = 'a BIRD with this much to say needs a larger maxReplyBytes; anything else on this socket is not BIRD 1.6';
    }
    return new BirdctlError('BIRD_UNREACHABLE', `cannot talk to BIRD at ${this.options.socketPath}: ${why}; connection dropped`, { hint, cause: error });
  }

  private framerFor(socket: Socket): ReplyFramer {
    return new ReplyFramer({
      async: (line) => this.options.onAsync?.(line),
      block: (block) => {
        const pending = this.inFlight;
        if (socket !== this.socket || this.handshake !== undefined || pending?.onBlock === undefined) return false;
        if (pending.blockError !== undefined) return true;
        try {
          pending.onBlock(block);
        } catch (error) {
          pending.blockError = error;
        }
        return true;
      },
      reply: (reply) => {
        if (socket !== this.socket) return;
        if (this.handshake !== undefined) {
          this.handshake(reply);
          return;
        }
        const pending = this.inFlight;
        if (pending === undefined) throw new BirdctlError('BIRD_REPLY', `BIRD sent a reply nobody asked for: ${reply.code} ${reply.text}`);
        clearTimeout(this.timer);
        this.inFlight = undefined;
        if (isErrorReply(reply)) pending.reject(new BirdReplyError(pending.command, reply));
        else if (pending.blockError !== undefined) pending.reject(pending.blockError);
        else pending.resolve(reply);
        this.pump();
      },
    });
  }

  private pump(): void {
    if (this.stateValue !== 'ready' || this.inFlight !== undefined || this.socket === undefined) return;
    const next = this.queue.shift();
    if (next === undefined) return;
    this.inFlight = next;
    const socket = this.socket;
    this.timer = setTimeout(() => {
      // A late reply would be taken for the next command's: the connection cannot be reused.
      const error = new BirdctlError('BIRD_TIMEOUT', `BIRD did not answer ${JSON.stringify(next.command)} within ${this.options.commandTimeoutMs} ms`, {
        hint: `is bird6 busy or hung? socket ${this.options.socketPath}`,
      });
      this.inFlight = undefined;
      next.reject(error);
      socket.destroy();
      this.connectionLost(socket, unreachable(this.options.socketPath, 'connection dropped after a timeout'));
    }, this.options.commandTimeoutMs);
    socket.write(`${next.command}\n`);
  }

  /** Fails everything pending on this socket and schedules a reconnect; later calls are no-ops. */
  private connectionLost(socket: Socket, error: BirdctlError): void {
    if (socket !== this.socket) return;
    this.socket = undefined;
    clearTimeout(this.timer);
    this.failAll(error);
    if (this.stateValue === 'closed') return;
    this.lastError = error;
    this.setState('disconnected', error);
    if (this.options.reconnect) {
      const delay = this.backoffMs;
      this.backoffMs = Math.min(this.backoffMs * 2, this.options.maxBackoffMs);
      this.reconnectTimer = setTimeout(() => {
        this.reconnectTimer = undefined;
        this.connect().catch(() => {});
      }, delay);
      this.reconnectTimer.unref();
    }
  }

  private failAll(error: BirdctlError): void {
    const pending = [...(this.inFlight === undefined ? [] : [this.inFlight]), ...this.queue.splice(0)];
    this.inFlight = undefined;
    for (const p of pending) p.reject(error);
  }

  private setState(state: ClientState, error?: BirdctlError): void {
    if (this.stateValue === state) return;
    this.stateValue = state;
    this.options.onStateChange?.(state, error);
  }
}

function unreachable(path: string, why: string, cause?: unknown): BirdctlError {
  return new BirdctlError('BIRD_UNREACHABLE', `cannot talk to BIRD at ${path}: ${why}`, {
    hint: 'is bird6 running? pass its control socket with --socket PATH',
    cause,
  });
}

function closedError(path: string): BirdctlError {
  return new BirdctlError('BIRD_UNREACHABLE', `connection to BIRD at ${path} was closed by this program`);
}

/** The common ways a Unix socket connect fails, each with what to do about it. */
function socketError(path: string, error: NodeJS.ErrnoException): BirdctlError {
  switch (error.code) {
    case 'ENOENT':
      return unreachable(path, 'the control socket does not exist', error);
    case 'EACCES':
    case 'EPERM':
      return new BirdctlError('BIRD_UNREACHABLE', `cannot talk to BIRD at ${path}: permission denied`, {
        hint: 'run as root or as a member of the group that owns the socket (bird)',
        cause: error,
      });
    case 'ECONNREFUSED':
      return unreachable(path, 'nothing listens on the socket (a stale socket file?)', error);
    case 'ENOTSOCK':
      return unreachable(path, 'the path is not a socket', error);
    default:
      return unreachable(path, error.message, error);
  }
}
