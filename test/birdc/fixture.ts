// Real BIRD 1.6.8 control-socket replies (copied from the shared captures, plus captures made for
// this module's tests), read through the real framer so every parser test starts from bytes.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ReplyFramer } from '../../src/birdc/framing.ts';
import type { Reply } from '../../src/birdc/reply.ts';

export const FIXTURE_DIR = join(import.meta.dirname, 'fixtures');

export function fixtureNames(): string[] {
  return readdirSync(FIXTURE_DIR).filter((f) => f.endsWith('.txt')).sort();
}

export function fixtureBytes(name: string): Buffer {
  return readFileSync(join(FIXTURE_DIR, name));
}

/** Every reply in a byte stream, in order. */
export function frame(bytes: Buffer | string, chunks: number[] = []): { replies: Reply[]; asyncLines: string[] } {
  const replies: Reply[] = [];
  const asyncLines: string[] = [];
  const framer = new ReplyFramer({ reply: (r) => replies.push(r), async: (a) => asyncLines.push(a.text) });
  const buffer = typeof bytes === 'string' ? Buffer.from(bytes) : bytes;
  let start = 0;
  for (const end of [...chunks, buffer.length]) {
    framer.push(buffer.subarray(start, end));
    start = end;
  }
  return { replies, asyncLines };
}

/** The one reply a fixture holds. */
export function fixtureReply(name: string): Reply {
  const { replies } = frame(fixtureBytes(name));
  if (replies.length !== 1) throw new Error(`${name} holds ${replies.length} replies`);
  return replies[0]!;
}
