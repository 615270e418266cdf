// Framing of BIRD's control-socket byte stream into replies. The socket delivers chunks that can
// split anywhere, inside a reply code, inside a line, inside a UTF-8 sequence, so bytes are
// buffered until a newline and only whole lines are decoded.
//
// The line grammar (BIRD 1.6 nest/cli.c, client/client.c):
//   1002-r2       BGP      master   up     07:54:04    Established      opens a block of code 1002
//    direct1  Direct   master   up     07:54:00                         continues the open block
//   0000                                                                ends the reply (final code 0)
//   0013 Daemon is up and running                                       ends the reply with code 13
//   +text                                                               asynchronous, outside replies
//
// Input is bounded: whatever listens on the socket path (a hung BIRD, something else, an attacker
// who replaced the socket) must not make this process buffer without end. A line longer than
// MAX_LINE_BYTES or a reply larger than `maxReplyBytes` throws a FramingLimitError after at most the
// limit plus one chunk; the caller drops the connection, since the stream is out of step after that.
import { BirdctlError } from '../errors.ts';
import type { AsyncLine, Reply, ReplyBlock } from './reply.ts';

const NEWLINE = 0x0a;
const PLUS = 0x2b;
const SPACE = 0x20;
const DASH = 0x2d;
const ZERO = 0x30;

/**
 * BIRD 1.6 formats every control-socket line in a CLI_LINE_SIZE (512-byte) buffer (nest/cli.h,
 * cli_printf in nest/cli.c) and prints `<line overflow>` instead of anything longer; 64 KiB is far
 * beyond that and still small enough to hold without thinking.
 */
export const MAX_LINE_BYTES = 64 * 1024;

/**
 * The biggest reply this project asks for is `show protocols all`: about 770 bytes per protocol
 * (1,000 BGP peers give 770 KiB, test/bench), so 16 MiB covers some 20,000 protocols, far more than
 * a full mesh or a reflector has. A caller reading something bigger (`show route all` of a large
 * table) passes its own `maxReplyBytes`.
 */
export const DEFAULT_MAX_REPLY_BYTES = 16 * 1024 * 1024;

/**
 * What a line costs beyond its text: its string, its slot in a block and possibly a block object.
 * Charged against the reply limit so a flood of empty lines cannot hold several times the limit.
 */
export const LINE_OVERHEAD_BYTES = 64;

export interface FramerLimits {
  /** Default DEFAULT_MAX_REPLY_BYTES. */
  maxReplyBytes?: number;
}

/** Input over a limit. Its code is BIRD_UNREACHABLE: the connection must be dropped. */
export class FramingLimitError extends BirdctlError {
  readonly limit: 'line' | 'reply';
  readonly limitBytes: number;

  constructor(limit: 'line' | 'reply', limitBytes: number) {
    super('BIRD_UNREACHABLE', `BIRD control socket sent ${limit === 'line' ? 'a line' : 'a reply'} of more than ${limitBytes} bytes`, {
      hint: limit === 'line' ? 'BIRD 1.6 never prints a line over 512 bytes: is this path a BIRD 1.6 control socket?' : 'is this path a BIRD 1.6 control socket?',
    });
    this.name = 'FramingLimitError';
    this.limit = limit;
    this.limitBytes = limitBytes;
  }
}

export interface FramerEvents {
  reply: (reply: Reply) => void;
  async: (line: AsyncLine) => void;
  /**
   * A block is complete once the next block opens or the reply ends; called before `reply`. True:
   * the block was consumed and is left out of the reply's `blocks`, so a reply read block by block
   * is not held whole until it ends (the lines of 1,000 protocols, live through a poll, were most
   * of what each young-generation collection copied: the monitor-poll benchmark).
   */
  block?: (block: ReplyBlock) => boolean | void;
}

export class ReplyFramer {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private current: Reply | undefined;
  /** What the unfinished reply has cost so far: its bytes plus LINE_OVERHEAD_BYTES per line. */
  private replyBytes = 0;
  private readonly events: FramerEvents;
  /** Changeable between replies: the client lowers it for the greeting. */
  maxReplyBytes: number;

  constructor(events: FramerEvents, limits: FramerLimits = {}) {
    this.events = events;
    this.maxReplyBytes = limits.maxReplyBytes ?? DEFAULT_MAX_REPLY_BYTES;
  }

  /** Feeds bytes as they arrive; emits every reply and async line they complete, in order. */
  push(chunk: Buffer): void {
    const last = chunk.lastIndexOf(NEWLINE);
    if (last < 0) {
      this.pendingBytes += chunk.length;
      if (this.pendingBytes > MAX_LINE_BYTES) throw new FramingLimitError('line', MAX_LINE_BYTES);
      this.pending.push(Buffer.from(chunk));
      return;
    }
    if (chunk.length - last - 1 > MAX_LINE_BYTES) throw new FramingLimitError('line', MAX_LINE_BYTES);
    // A newline byte never occurs inside a UTF-8 sequence, so everything up to the last one can be
    // decoded in one go (one decode per chunk, not per line: a 1,000-peer reply has 20,000 lines).
    const whole = this.pending.length === 0 ? chunk.subarray(0, last) : Buffer.concat([...this.pending, chunk.subarray(0, last)]);
    this.pending = last + 1 < chunk.length ? [Buffer.from(chunk.subarray(last + 1))] : [];
    this.pendingBytes = chunk.length - last - 1;
    const text = whole.toString('utf8');
    // The limits count bytes. Every UTF-16 unit decodes from at least one byte, so equal lengths mean
    // one byte per character (BIRD's ASCII output) and a line's length is its size; otherwise its
    // size is measured (a replaced invalid byte counts three, erring on the safe side).
    const ascii = text.length === whole.length;
    for (let start = 0; ; ) {
      const newline = text.indexOf('\n', start);
      const end = newline < 0 ? text.length : newline;
      const bytes = ascii ? end - start : Buffer.byteLength(text.slice(start, end));
      if (bytes > MAX_LINE_BYTES) throw new FramingLimitError('line', MAX_LINE_BYTES);
      this.line(text, start, end, bytes);
      if (newline < 0) return;
      start = newline + 1;
    }
  }

  /** True when bytes or lines of an unfinished reply are buffered. */
  get midReply(): boolean {
    return this.current !== undefined || this.pending.length > 0;
  }

  /**
   * The line `text[start, end)`. Passed as a range, not a string, so that only the part a reply
   * keeps (the text after the prefix) is cut out: one string per line, not two.
   */
  private line(text: string, start: number, end: number, bytes: number): void {
    const first = text.charCodeAt(start);
    if (first === PLUS) {
      this.events.async({ text: text.slice(start + 1, end) });
      return;
    }
    this.replyBytes += bytes + 1 + LINE_OVERHEAD_BYTES;
    if (this.replyBytes > this.maxReplyBytes) throw new FramingLimitError('reply', this.maxReplyBytes);
    if (first === SPACE) {
      const block = this.current?.blocks.at(-1);
      if (block === undefined) throw protocolError('a continuation line outside a block', text.slice(start, end));
      block.lines.push(text.slice(start + 1, end));
      return;
    }
    const code = replyCode(text, start, end);
    const separator = text.charCodeAt(start + 4);
    if (code < 0 || (separator !== SPACE && separator !== DASH)) throw protocolError('a line that is not BIRD reply syntax', text.slice(start, end));
    const rest = text.slice(start + 5, end);
    const reply = (this.current ??= { code: 0, text: '', blocks: [] });
    const open = reply.blocks.at(-1);
    if (open !== undefined && this.events.block?.(open) === true) reply.blocks.pop();
    if (separator === DASH) {
      reply.blocks.push({ code, lines: [rest] });
      return;
    }
    reply.code = code;
    reply.text = rest;
    this.current = undefined;
    this.replyBytes = 0;
    this.events.reply(reply);
  }
}

/** The four-digit code at the start of the line `text[start, end)`, or -1 (never read past `end`: the next line follows). */
function replyCode(text: string, start: number, end: number): number {
  if (end - start < 4) return -1;
  let code = 0;
  for (let i = start; i < start + 4; i += 1) {
    const digit = text.charCodeAt(i) - ZERO;
    if (!(digit >= 0 && digit <= 9)) return -1;
    code = code * 10 + digit;
  }
  return code;
}

function protocolError(what: string, line: string): BirdctlError {
  return new BirdctlError('BIRD_REPLY', `BIRD control socket sent ${what}: ${JSON.stringify(line.slice(0, 120))}`, {
    hint: 'is this path a BIRD 1.6 control socket?',
  });
}
