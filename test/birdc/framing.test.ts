import { describe, expect, it } from 'vitest';
import { FramingLimitError, LINE_OVERHEAD_BYTES, MAX_LINE_BYTES, ReplyFramer } from '../../src/birdc/framing.ts';
import type { Reply, ReplyBlock } from '../../src/birdc/reply.ts';
import { fixtureBytes, fixtureNames, frame } from './fixture.ts';

describe('ReplyFramer', () => {
  it.each(fixtureNames())('frames %s identically when split at every byte offset', (name) => {
    const bytes = fixtureBytes(name);
    const whole = frame(bytes);
    expect(whole.replies).toHaveLength(1);
    for (let at = 0; at <= bytes.length; at += 1) {
      expect(frame(bytes, [at])).toEqual(whole);
    }
  });

  it.each(fixtureNames())('frames %s identically when fed one byte at a time and at every pair of offsets', (name) => {
    const bytes = fixtureBytes(name);
    const whole = frame(bytes);
    expect(frame(bytes, Array.from({ length: bytes.length }, (_, i) => i))).toEqual(whole);
    // Every pair (a, b) on a coarse grid keeps this quadratic check fast on the big fixtures.
    const step = Math.max(1, Math.floor(bytes.length / 60));
    for (let a = 0; a <= bytes.length; a += step) {
      for (let b = a; b <= bytes.length; b += step) expect(frame(bytes, [a, b])).toEqual(whole);
    }
  });

  it('frames a whole recorded connection (greeting, restrict, refusal, rows) the same at every offset', () => {
    const bytes = fixtureBytes('sessions/restricted.txt');
    const whole = frame(bytes);
    expect(whole.replies.map((r) => [r.code, r.text])).toEqual([
      [1, 'BIRD 1.6.8 ready.'],
      [16, 'Access restricted'],
      [8007, 'Access denied'],
      [0, ''],
    ]);
    for (let at = 0; at <= bytes.length; at += 1) expect(frame(bytes, [at])).toEqual(whole);
  });

  it('groups lines into blocks: NNNN- opens, a leading space continues, NNNN ends', () => {
    const { replies } = frame(fixtureBytes('r1-show-status.txt'));
    expect(replies[0]).toEqual({
      code: 13,
      text: 'Daemon is up and running',
      blocks: [
        { code: 1000, lines: ['BIRD 1.6.8'] },
        {
          code: 1011,
          lines: [
            'Router ID is 10.255.0.1',
            'Current server time is 2026-11-26 07:55:05',
            'Last reboot on 2026-11-26 07:54:00',
            'Last reconfiguration on 2026-11-26 07:54:40',
          ],
        },
      ],
    });
  });

  it('leaves out of the reply the blocks its consumer took, whole, and keeps those it did not', () => {
    const consumed: ReplyBlock[] = [];
    const replies: Reply[] = [];
    const framer = new ReplyFramer({
      block: (b) => {
        if (b.code !== 1006) return false;
        consumed.push(b);
        return true;
      },
      reply: (r) => replies.push(r),
      async: () => {},
    });
    const bytes = fixtureBytes('r1-show-protocols-all.txt');
    // Fed in two pieces, the first ending inside a detail block, as a socket may deliver it.
    const at = bytes.indexOf('Output filter') + 3;
    framer.push(bytes.subarray(0, at));
    framer.push(bytes.subarray(at));
    const whole = frame(bytes.toString()).replies[0]!;
    expect(replies).toHaveLength(1);
    expect(replies[0]!.blocks).toEqual(whole.blocks.filter((b) => b.code !== 1006));
    expect(consumed).toEqual(whole.blocks.filter((b) => b.code === 1006));
  });

  it('emits each block once complete, in order, before its reply', () => {
    const seen: string[] = [];
    const framer = new ReplyFramer({
      block: (b) => void seen.push(`block ${b.code} ${b.lines.length}`),
      reply: (r) => seen.push(`reply ${r.code}`),
      async: () => {},
    });
    const bytes = fixtureBytes('r1-show-protocols-all.txt');
    // Split right after the first 1006 block's last line: the block is not complete until 1002 arrives.
    const at = bytes.indexOf('1002-direct1');
    framer.push(bytes.subarray(0, at));
    expect(seen).toEqual(['block 2002 1', 'block 1002 1']);
    framer.push(bytes.subarray(at));
    expect(seen.slice(0, 5)).toEqual(['block 2002 1', 'block 1002 1', 'block 1006 10', 'block 1002 1', 'block 1006 10']);
    expect(seen.filter((s) => s.startsWith('block'))).toHaveLength(11);
    expect(seen.at(-1)).toBe('reply 0');
  });

  it('keeps consecutive replies apart (greeting, then a command reply)', () => {
    const stream = `0001 BIRD 1.6.8 ready.\n${fixtureBytes('r2-show-protocols.txt').toString()}9001 syntax error\n`;
    const { replies } = frame(stream);
    expect(replies.map((r) => [r.code, r.text])).toEqual([
      [1, 'BIRD 1.6.8 ready.'],
      [0, ''],
      [9001, 'syntax error'],
    ]);
    expect(replies[1]!.blocks.map((b) => [b.code, b.lines.length])).toEqual([
      [2002, 1],
      [1002, 5],
    ]);
  });

  it('delivers + lines separately, even in the middle of a reply', () => {
    const { replies, asyncLines } = frame('1000-BIRD 1.6.8\n+2026-11-26 07:55:05 <INFO> r2: state changed\n0013 Daemon is up and running\n+again\n');
    expect(asyncLines).toEqual(['2026-11-26 07:55:05 <INFO> r2: state changed', 'again']);
    expect(replies).toEqual([{ code: 13, text: 'Daemon is up and running', blocks: [{ code: 1000, lines: ['BIRD 1.6.8'] }] }]);
  });

  it('decodes a UTF-8 character split across chunks', () => {
    const bytes = Buffer.from('1002-descr ü peer\n0000 \n');
    const at = bytes.indexOf(0xc3) + 1;
    expect(frame(bytes, [at]).replies[0]!.blocks[0]!.lines[0]).toBe('descr ü peer');
  });

  it('reports whether a reply is half received', () => {
    const framer = new ReplyFramer({ reply: () => {}, async: () => {} });
    expect(framer.midReply).toBe(false);
    framer.push(Buffer.from('1000-BIRD 1.6.8\n00'));
    expect(framer.midReply).toBe(true);
    framer.push(Buffer.from('13 Daemon is up and running\n'));
    expect(framer.midReply).toBe(false);
  });

  it.each([
    ['a line without a code', 'hello\n', /not BIRD reply syntax/],
    ['a continuation outside any block', ' orphan\n', /continuation line outside a block/],
    ['a three-digit code', '013 Daemon\n', /not BIRD reply syntax/],
  ])('rejects %s', (_what, stream, message) => {
    const replies: Reply[] = [];
    const framer = new ReplyFramer({ reply: (r) => replies.push(r), async: () => {} });
    expect(() => framer.push(Buffer.from(stream))).toThrow(message);
  });
});

describe('ReplyFramer limits', () => {
  const CHUNK = 4096;

  /** Pushes `chunk` until the framer throws; returns the error and how many bytes it took. */
  function feedUntilThrow(framer: ReplyFramer, chunk: Buffer, maxBytes: number): { error: unknown; pushed: number } {
    let pushed = 0;
    while (pushed < maxBytes) {
      try {
        framer.push(chunk);
      } catch (error) {
        return { error, pushed: pushed + chunk.length };
      }
      pushed += chunk.length;
    }
    return { error: undefined, pushed };
  }

  const framer = (options?: ConstructorParameters<typeof ReplyFramer>[1]) => new ReplyFramer({ reply: () => {}, async: () => {} }, options);

  it('refuses an endless line without a newline after at most the line limit plus one chunk', () => {
    const { error, pushed } = feedUntilThrow(framer(), Buffer.alloc(CHUNK, 'x'), 64 * MAX_LINE_BYTES);
    expect(error).toBeInstanceOf(FramingLimitError);
    expect(error).toMatchObject({ limit: 'line', limitBytes: MAX_LINE_BYTES, message: expect.stringMatching(/a line of more than 65536 bytes/) });
    expect(pushed).toBeLessThanOrEqual(MAX_LINE_BYTES + CHUNK);
  });

  it('refuses an over-long line that arrives whole, newline included', () => {
    const f = framer();
    expect(() => f.push(Buffer.from(`1002-${'x'.repeat(MAX_LINE_BYTES)}\n0000 \n`))).toThrow(FramingLimitError);
  });

  it('counts a line in bytes, not characters', () => {
    const f = framer();
    // 33,000 two-byte characters: 66,000 bytes, over the limit in half as many characters.
    expect(() => f.push(Buffer.from(`1002-${'ü'.repeat(33_000)}\n0000 \n`))).toThrow(FramingLimitError);
  });

  it('accepts a line of exactly the limit', () => {
    const replies: Reply[] = [];
    const f = new ReplyFramer({ reply: (r) => replies.push(r), async: () => {} });
    const line = `1002-${'x'.repeat(MAX_LINE_BYTES - 5)}`;
    f.push(Buffer.from(`${line}\n0000 \n`));
    expect(replies[0]!.blocks[0]!.lines[0]).toHaveLength(MAX_LINE_BYTES - 5);
  });

  it('refuses an endless reply of valid continuation lines after at most the reply limit plus one chunk', () => {
    const limit = 256 * 1024;
    const f = framer({ maxReplyBytes: limit });
    f.push(Buffer.from('1002-first row\n'));
    const lines = Buffer.from(' a continuation line of a block that never ends\n'.repeat(CHUNK / 48));
    const { error, pushed } = feedUntilThrow(f, lines, 64 * limit);
    expect(error).toMatchObject({ limit: 'reply', limitBytes: limit, message: expect.stringMatching(/a reply of more than 262144 bytes/) });
    expect(pushed).toBeLessThanOrEqual(limit + lines.length);
  });

  it('counts each line its bookkeeping too, so a flood of tiny lines or blocks holds no more than the limit', () => {
    const limit = 64 * 1024;
    for (const flood of [' \n', '1002-\n']) {
      const f = framer({ maxReplyBytes: limit });
      f.push(Buffer.from('1002-first row\n'));
      const chunk = Buffer.from(flood.repeat(256));
      const { error, pushed } = feedUntilThrow(f, chunk, 64 * limit);
      expect(error).toMatchObject({ limit: 'reply' });
      const lines = pushed / flood.length;
      expect(lines).toBeLessThanOrEqual(limit / LINE_OVERHEAD_BYTES + 256);
    }
  });

  it('applies the reply limit per reply: many replies each under it pass', () => {
    const replies: Reply[] = [];
    const f = new ReplyFramer({ reply: (r) => replies.push(r), async: () => {} }, { maxReplyBytes: 64 * 1024 });
    const reply = Buffer.from(`1002-row\n${' continuation\n'.repeat(500)}0000 \n`);
    for (let i = 0; i < 20; i += 1) f.push(reply);
    expect(replies).toHaveLength(20);
  });

  it('does not count + lines against a reply, and never keeps them', () => {
    const asyncLines: string[] = [];
    const f = new ReplyFramer({ reply: () => {}, async: (a) => asyncLines.push(a.text) }, { maxReplyBytes: 1024 });
    for (let i = 0; i < 100; i += 1) f.push(Buffer.from('+2026-11-26 07:55:05 <INFO> a log line\n'));
    expect(asyncLines).toHaveLength(100);
    expect(f.midReply).toBe(false);
  });

  it('lets the limit be lowered for the greeting and raised again for commands', () => {
    const f = framer({ maxReplyBytes: 1024 * 1024 });
    f.maxReplyBytes = 4096;
    expect(() => f.push(Buffer.from('0001-BIRD\n'.repeat(1000)))).toThrow(/a reply of more than 4096 bytes/);
  });
});
