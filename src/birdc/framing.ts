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
import type { AsyncLine, Reply } from './reply.ts';

const NEWLINE = 0x0a;
const LINE = /^(\d{4})([ -])(.*)$/s;

export interface FramerEvents {
  reply: (reply: Reply) => void;
  async: (line: AsyncLine) => void;
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
    let start = 0;
    for (let i = chunk.indexOf(NEWLINE); i >= 0; i = chunk.indexOf(NEWLINE, start)) {
      this.pending.push(chunk.subarray(start, i));
      const line = Buffer.concat(this.pending).toString('utf8');
      this.pending = [];
      start = i + 1;
      this.line(line);
    }
    if (start < chunk.length) this.pending.push(Buffer.from(chunk.subarray(start)));
  }

  /** True when bytes or lines of an unfinished reply are buffered. */
  get midReply(): boolean {
    return this.current !== undefined || this.pending.length > 0;
  }

  private line(line: string): void {
    if (line.startsWith('+')) {
      this.events.async({ text: line.slice(1) });
      return;
    }
    if (line.startsWith(' ')) {
      const block = this.current?.blocks.at(-1);
      if (block === undefined) throw protocolError('a continuation line outside a block', line);
      block.lines.push(line.slice(1));
      return;
    }
    const match = LINE.exec(line);
    if (match === null) throw protocolError('a line that is not BIRD reply syntax', line);
    const code = Number(match[1]);
    const text = match[3]!;
    const reply = (this.current ??= { code: 0, text: '', blocks: [] });
    if (match[2] === '-') {
      reply.blocks.push({ code, lines: [text] });
      return;
    }
    reply.code = code;
    reply.text = text;
    this.current = undefined;
    this.events.reply(reply);
  }
}

function protocolError(what: string, line: string): BirdctlError {
  return new BirdctlError('BIRD_REPLY', `BIRD control socket sent ${what}: ${JSON.stringify(line.slice(0, 120))}`, {
    hint: 'is this path a BIRD 1.6 control socket?',
  });
}
