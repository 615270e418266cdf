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
import { BirdctlError } from '../errors.ts';
import type { AsyncLine, Reply, ReplyBlock } from './reply.ts';

const NEWLINE = 0x0a;
const PLUS = 0x2b;
const SPACE = 0x20;
const DASH = 0x2d;
const ZERO = 0x30;

export interface FramerEvents {
  reply: (reply: Reply) => void;
  async: (line: AsyncLine) => void;
  /** A block is complete once the next block opens or the reply ends; called before `reply`. */
  block?: (block: ReplyBlock) => void;
}

export class ReplyFramer {
  private pending: Buffer[] = [];
  private current: Reply | undefined;
  private readonly events: FramerEvents;

  constructor(events: FramerEvents) {
    this.events = events;
  }

  /** Feeds bytes as they arrive; emits every reply and async line they complete, in order. */
  push(chunk: Buffer): void {
    const last = chunk.lastIndexOf(NEWLINE);
    if (last < 0) {
      this.pending.push(Buffer.from(chunk));
      return;
    }
    // A newline byte never occurs inside a UTF-8 sequence, so everything up to the last one can be
    // decoded in one go (one decode per chunk, not per line: a 1,000-peer reply has 20,000 lines).
    const whole = this.pending.length === 0 ? chunk.subarray(0, last) : Buffer.concat([...this.pending, chunk.subarray(0, last)]);
    this.pending = last + 1 < chunk.length ? [Buffer.from(chunk.subarray(last + 1))] : [];
    const text = whole.toString('utf8');
    for (let start = 0; ; ) {
      const end = text.indexOf('\n', start);
      this.line(end < 0 ? text.slice(start) : text.slice(start, end));
      if (end < 0) return;
      start = end + 1;
    }
  }

  /** True when bytes or lines of an unfinished reply are buffered. */
  get midReply(): boolean {
    return this.current !== undefined || this.pending.length > 0;
  }

  private line(line: string): void {
    const first = line.charCodeAt(0);
    if (first === PLUS) {
      this.events.async({ text: line.slice(1) });
      return;
    }
    if (first === SPACE) {
      const block = this.current?.blocks.at(-1);
      if (block === undefined) throw protocolError('a continuation line outside a block', line);
      block.lines.push(line.slice(1));
      return;
    }
    const code = replyCode(line);
    const separator = line.charCodeAt(4);
    if (code < 0 || (separator !== SPACE && separator !== DASH)) throw protocolError('a line that is not BIRD reply syntax', line);
    const text = line.slice(5);
    const reply = (this.current ??= { code: 0, text: '', blocks: [] });
    const open = reply.blocks.at(-1);
    if (open !== undefined) this.events.block?.(open);
    if (separator === DASH) {
      reply.blocks.push({ code, lines: [text] });
      return;
    }
    reply.code = code;
    reply.text = text;
    this.current = undefined;
    this.events.reply(reply);
  }
}

/** The four-digit code at the start of a line, or -1. */
function replyCode(line: string): number {
  let code = 0;
  for (let i = 0; i < 4; i += 1) {
    const digit = line.charCodeAt(i) - ZERO;
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
