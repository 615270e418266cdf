// The cache of parsed detail blocks a poller keeps between replies of the same BIRD: reused only
// when a block and its protocol row are the same text but for the hold and keepalive timers
// (read again), with the same warnings, one entry per protocol of the last reply. Every reply is framed from bytes again, as the client does, so no
// string is shared between two "polls".
import { describe, expect, it } from 'vitest';
import { ProtocolsParser, parseShowProtocolsAll, type ProtocolDetails } from '../../src/birdc/parse-protocols.ts';
import { ParseWarnings } from '../../src/birdc/parse-warnings.ts';
import { ProtocolBlocksCache } from '../../src/birdc/protocol-blocks-cache.ts';
import { fixtureBytes, fixtureNames, frame } from './fixture.ts';

const REF = 1795686800;
const EPOCH = fixtureBytes('epoch-show-protocols-all.txt').toString();

/** One poll's parse of `text` through `cache`, block by block as the client hands them over. */
function poll(text: string, cache: ProtocolBlocksCache, reference = REF, warnings = new ParseWarnings()): ProtocolDetails[] {
  const reply = frame(text).replies[0]!;
  const parser = new ProtocolsParser(reference, true, warnings, cache);
  for (const block of reply.blocks) parser.block(block);
  return parser.finish(reply);
}

const byName = (all: ProtocolDetails[]) => new Map(all.map((p) => [p.name, p]));

/** Two polls of the same text: from the second sighting on, a block's value is the remembered one. */
function warm(text: string, cache: ProtocolBlocksCache, warnings = new ParseWarnings()): ProtocolDetails[] {
  poll(text, cache);
  return poll(text, cache, REF, warnings);
}

describe('ProtocolBlocksCache', () => {
  it('parses a block seen again once more from its own copy, then gives that value while the text stays', () => {
    const cache = new ProtocolBlocksCache();
    const first = poll(EPOCH, cache);
    const second = poll(EPOCH, cache);
    expect(cache.reused).toBe(0);
    expect(second).toEqual(first);
    second.forEach((p, i) => expect(p).not.toBe(first[i]));
    const third = poll(EPOCH, cache);
    expect(cache.reused).toBe(7);
    third.forEach((p, i) => expect(p).toBe(second[i]));
  });

  it('gives the remembered value for a block that is the same text again, and parses a changed one', () => {
    const cache = new ProtocolBlocksCache();
    const first = byName(warm(EPOCH, cache));
    const second = byName(poll(EPOCH, cache));
    expect(cache.reused).toBe(7);
    for (const [name, p] of second) expect(p, name).toBe(first.get(name));

    const third = byName(poll(EPOCH.replace('Routes:         1 imported', 'Routes:         3 imported'), cache));
    expect(cache.reused).toBe(6);
    expect(third.get('Mesh_fd00_ec__2')).not.toBe(first.get('Mesh_fd00_ec__2'));
    expect(third.get('Mesh_fd00_ec__2')!.routes).toEqual({ imported: 3, filtered: null, exported: 2, preferred: 1 });
    expect(third.get('tor1')).toBe(first.get('tor1'));
  });

  it("reuses a block whose only change is its hold and keepalive timers, with the new timers, leaving values given earlier as they were", () => {
    const cache = new ProtocolBlocksCache();
    const first = byName(warm(EPOCH, cache));
    const counted = EPOCH.replace('Hold timer:       4/6', 'Hold timer:       3/6').replace('Keepalive timer:  1/2', 'Keepalive timer:  0/2');
    const plain = byName(parseShowProtocolsAll(frame(counted).replies[0]!, REF));
    const second = byName(poll(counted, cache));
    expect(cache.reused).toBe(7);
    const mesh = second.get('Mesh_fd00_ec__2')!;
    expect(mesh).toEqual(plain.get('Mesh_fd00_ec__2'));
    expect(mesh.bgp!.holdTimer).toEqual({ remaining: 3, total: 6 });
    expect(mesh.bgp!.keepaliveTimer).toEqual({ remaining: 0, total: 2 });
    // A fresh value: the one handed out before still says the timers of its own poll.
    expect(mesh).not.toBe(first.get('Mesh_fd00_ec__2'));
    expect(first.get('Mesh_fd00_ec__2')!.bgp).toMatchObject({ holdTimer: { remaining: 4, total: 6 }, keepaliveTimer: { remaining: 1, total: 2 } });
    // Counting down at every poll is never a change: every poll reuses it.
    for (let n = 0; n < 12; n += 1) {
      const text = EPOCH.replace('Hold timer:       4/6', `Hold timer:       ${n % 7}/6`).replace('Keepalive timer:  1/2', `Keepalive timer:  ${n % 3}/2`);
      const timed = byName(poll(text, cache)).get('Mesh_fd00_ec__2')!;
      expect(cache.reused, `poll ${n}`).toBe(7);
      expect(timed.bgp).toMatchObject({ holdTimer: { remaining: n % 7, total: 6 }, keepaliveTimer: { remaining: n % 3, total: 2 } });
    }
  });

  it('reads a counted-down timer however it is spelt as the plain parse does: value, null and warning alike', () => {
    const spellings = ['0/6', '007/240', '3/-', '-1/6', '123456789012345/6', '1234567890123456/6', '12345678901234567890/6', '3/6   ', '3/6\t', '\t3/6', '3 /6', '3/6x', '/6', '3/', '3//6', '', '\u00a03/6\u00a0', '\u0663/6'];
    for (const spelt of spellings) {
      const cache = new ProtocolBlocksCache();
      warm(EPOCH, cache);
      const text = EPOCH.replace('Hold timer:       4/6', `Hold timer:       ${spelt}`).replace('Keepalive timer:  1/2', 'Keepalive timer:  0/2');
      const plain = new ParseWarnings();
      const expected = parseShowProtocolsAll(frame(text).replies[0]!, REF, plain);
      const warnings = new ParseWarnings();
      expect(poll(text, cache, REF, warnings), JSON.stringify(spelt)).toEqual(expected);
      expect(cache.reused, JSON.stringify(spelt)).toBe(7);
      expect(warnings.list(), JSON.stringify(spelt)).toEqual(plain.list());
    }
  });

  it('once its timers have counted down, still reads a block right whatever else changes with them', () => {
    const timed = (hold: string, keepalive = '0/2') => EPOCH.replace('Hold timer:       4/6', `Hold timer:       ${hold}`).replace('Keepalive timer:  1/2', `Keepalive timer:  ${keepalive}`);
    // Each variant after polls whose blocks differed in their timers alone, so that the block is compared piece by piece.
    const variants: Array<[string, string, boolean]> = [
      ['timers alone, wider', timed('10/6', '12/2'), true],
      ['timers alone, spaced otherwise', timed(' 2/6  ', '1/2\t'), true],
      ['another line too', timed('2/6').replace('Routes:         1 imported', 'Routes:         4 imported'), false],
      ['a line after the timers', timed('2/6').replace('Keepalive timer:  0/2', 'Keepalive timer:  0/2\n     Restart timer:    3/5'), false],
      ['a line less', timed('2/6').replace(/\n {5}Source address: [^\n]*/, ''), false],
      ['a timer become another field', timed('2/6').replace('Keepalive timer:  0/2', 'Restart timer:    0/2'), false],
      ['a timer line last in its block', timed('2/6').replace(/(Keepalive timer: {2}0\/2)\n \n/, '$1\n'), false],
      ['its last line longer', timed('2/6').replace(/(Keepalive timer: {2}0\/2\n )\n/, '$1 \n'), false],
    ];
    for (const [what, text, reused] of variants) {
      expect(text, what).not.toBe(timed('2/6'));
      const cache = new ProtocolBlocksCache();
      warm(EPOCH, cache);
      poll(timed('3/6', '1/2'), cache);
      poll(timed('2/6', '0/2'), cache);
      expect(cache.reused, what).toBe(7);
      const plain = new ParseWarnings();
      const expected = parseShowProtocolsAll(frame(text).replies[0]!, REF, plain);
      const warnings = new ParseWarnings();
      expect(poll(text, cache, REF, warnings), what).toEqual(expected);
      expect(warnings.list(), what).toEqual(plain.list());
      expect(cache.reused, what).toBe(reused ? 7 : 6);
    }
  });

  it('parses a block again when its timers and another line changed', () => {
    const cache = new ProtocolBlocksCache();
    warm(EPOCH, cache);
    const changed = EPOCH.replace('Hold timer:       4/6', 'Hold timer:       3/6').replace('Routes:         1 imported, 2 exported, 1 preferred', 'Routes:         2 imported, 2 exported, 2 preferred');
    const mesh = byName(poll(changed, cache)).get('Mesh_fd00_ec__2')!;
    expect(cache.reused).toBe(6);
    expect(mesh).toEqual(byName(parseShowProtocolsAll(frame(changed).replies[0]!, REF)).get('Mesh_fd00_ec__2'));
    expect(mesh).toMatchObject({ routes: { imported: 2, preferred: 2 }, bgp: { holdTimer: { remaining: 3, total: 6 } } });
  });

  it('parses a block again when a timer line became another field at the same place', () => {
    const cache = new ProtocolBlocksCache();
    warm(EPOCH, cache);
    const renamed = EPOCH.replace('Keepalive timer:  1/2', 'Restart timer:    1/2');
    const mesh = byName(poll(renamed, cache)).get('Mesh_fd00_ec__2')!;
    expect(cache.reused).toBe(6);
    expect(mesh.bgp).toMatchObject({ keepaliveTimer: null, restartTimer: { remaining: 1, total: 2 } });
  });

  it('warns of an unreadable new timer as the plain parse does, and reads it again once it is readable', () => {
    const cache = new ProtocolBlocksCache();
    warm(EPOCH, cache);
    const odd = EPOCH.replace('Hold timer:       4/6', 'Hold timer:       3 of 6');
    const plain = new ParseWarnings();
    const expected = parseShowProtocolsAll(frame(odd).replies[0]!, REF, plain);
    const warnings = new ParseWarnings();
    expect(poll(odd, cache, REF, warnings)).toEqual(expected);
    expect(warnings.list()).toEqual(['`show protocols all` (Mesh_fd00_ec__2): timer "Hold timer:       3 of 6"; shown as null']);
    expect(warnings.list()).toEqual(plain.list());
    const readable = new ParseWarnings();
    const mesh = byName(poll(EPOCH.replace('Hold timer:       4/6', 'Hold timer:       2/6'), cache, REF, readable)).get('Mesh_fd00_ec__2')!;
    expect(mesh.bgp!.holdTimer).toEqual({ remaining: 2, total: 6 });
    expect(readable.list()).toEqual([]);
  });

  it('parses a block again when only its protocol row changed', () => {
    const cache = new ProtocolBlocksCache();
    warm(EPOCH, cache);
    const flapped = byName(poll(EPOCH.replace('up     1795686704  Established', 'up     1795686790  Established'), cache));
    expect(cache.reused).toBe(6);
    expect(flapped.get('Mesh_fd00_ec__2')).toMatchObject({ since: 1795686790, sinceText: '1795686790', bgp: { state: 'Established' } });
  });

  it("parses again when the same bare clock time falls on another day (each reply's own)", () => {
    const cache = new ProtocolBlocksCache();
    const text = fixtureBytes('defaultfmt-show-protocols-all.txt').toString();
    const today = poll(text, cache, REF);
    const tomorrow = poll(text, cache, REF + 86_400);
    expect(cache.reused).toBe(0);
    expect(tomorrow.map((p) => p.since)).toEqual(parseShowProtocolsAll(frame(text).replies[0]!, REF + 86_400).map((p) => p.since));
    expect(tomorrow[0]!.since).not.toBe(today[0]!.since);
  });

  it("says a reused block's warnings again, as its parse said them, and none once the value reads", () => {
    const cache = new ProtocolBlocksCache();
    const odd = EPOCH.replace('Hold timer:       4/6', 'Hold timer:       4 of 6');
    const parsed = new ParseWarnings();
    const first = byName(warm(odd, cache, parsed));
    expect(parsed.list()).toEqual(['`show protocols all` (Mesh_fd00_ec__2): timer "Hold timer:       4 of 6"; shown as null']);
    const reused = new ParseWarnings();
    const second = byName(poll(odd, cache, REF, reused));
    expect(second.get('Mesh_fd00_ec__2')).toBe(first.get('Mesh_fd00_ec__2'));
    expect(reused.list()).toEqual(parsed.list());
    const fixed = new ParseWarnings();
    expect(byName(poll(EPOCH, cache, REF, fixed)).get('Mesh_fd00_ec__2')!.bgp!.holdTimer).toEqual({ remaining: 4, total: 6 });
    expect(fixed.list()).toEqual([]);
  });

  it('reads a block that changes at every poll right each time, and reuses it again soon after it stops changing', () => {
    const cache = new ProtocolBlocksCache();
    const imported = (count: number) => EPOCH.replace('Routes:         1 imported', `Routes:         ${count} imported`);
    for (let n = 0; n < 30; n += 1) {
      const mesh = byName(poll(imported(n % 7), cache)).get('Mesh_fd00_ec__2')!;
      expect(mesh.routes!.imported).toBe(n % 7);
    }
    // Stable from now on: reused within the longest pause (8 polls) plus a sighting to keep and one to compare.
    let stable = 0;
    let previous: ProtocolDetails | undefined;
    for (; stable < 12; stable += 1) {
      const mesh = byName(poll(imported(3), cache)).get('Mesh_fd00_ec__2')!;
      expect(mesh.routes!.imported).toBe(3);
      if (mesh === previous) break;
      previous = mesh;
    }
    expect(stable).toBeLessThanOrEqual(11);
    expect(cache.reused).toBe(7);
  });

  it('reads every row right when protocols come in another order, go, come back or are renamed at the same place', () => {
    // The reply cut into its heading, one piece per protocol (its row and detail block) and its end.
    const pieces = EPOCH.split(/(?=^1002-)/m);
    const heading = pieces.shift()!;
    const last = pieces.pop()!;
    const end = last.slice(last.indexOf('0000'));
    const protocols = [...pieces, last.slice(0, last.indexOf('0000'))];
    const reply = (list: string[]) => heading + list.join('') + end;
    const replies = [
      reply(protocols),
      reply([...protocols].reverse()),
      reply(protocols.slice(1)),
      reply([protocols[1]!, protocols[0]!, ...protocols.slice(2)]),
      reply(protocols.map((p, i) => (i === 2 ? p.replace(/Mesh_fd00_ec__2 /, 'Mesh_fd00_ec__7 ') : p))),
      reply(protocols),
      reply(protocols),
    ];
    const cache = new ProtocolBlocksCache();
    for (const [n, text] of [...replies, ...replies, replies[0]!].entries()) {
      const plain = new ParseWarnings();
      const expected = parseShowProtocolsAll(frame(text).replies[0]!, REF, plain);
      const warnings = new ParseWarnings();
      expect(poll(text, cache, REF, warnings), `reply ${n}`).toEqual(expected);
      expect(warnings.list(), `reply ${n}`).toEqual(plain.list());
      expect(cache.size, `reply ${n}`).toBe(expected.length);
    }
    expect(cache.reused).toBe(protocols.length);
  });

  it('keeps one entry per protocol of the last reply: a protocol that went is forgotten', () => {
    const cache = new ProtocolBlocksCache();
    const first = byName(warm(EPOCH, cache));
    expect(cache.size).toBe(7);
    const tor1 = EPOCH.slice(EPOCH.indexOf('1002-tor1'), EPOCH.indexOf('1002-static1'));
    poll(EPOCH.replace(tor1, ''), cache);
    expect(cache.size).toBe(6);
    const back = byName(poll(EPOCH, cache));
    expect(cache.reused).toBe(6);
    expect(back.get('static1')).toBe(first.get('static1'));
    expect(back.get('tor1')).not.toBe(first.get('tor1'));
    expect(back.get('tor1')).toEqual(first.get('tor1'));
  });

  it('stays right after a reply that failed to parse half-way', () => {
    const cache = new ProtocolBlocksCache();
    const first = byName(warm(EPOCH, cache));
    expect(() => poll(EPOCH.replace('BGP state:          Connect', 'BGP state:          Sleeping'), cache)).toThrow(/BGP state "Sleeping"/);
    const after = byName(poll(EPOCH.replace('Hold timer:       4/6', 'Hold timer:       2/6'), cache));
    expect(after.get('Mesh_fd00_ec__2')!.bgp!.holdTimer).toEqual({ remaining: 2, total: 6 });
    expect(after.get('static1')).toBe(first.get('static1'));
  });

  it('gives what a parse without it gives, warnings included, for every `show protocols all` capture', () => {
    for (const name of fixtureNames().filter((f) => f.endsWith('show-protocols-all.txt'))) {
      const text = fixtureBytes(name).toString();
      const plain = new ParseWarnings();
      const expected = parseShowProtocolsAll(frame(text).replies[0]!, REF, plain);
      const cache = new ProtocolBlocksCache();
      for (let i = 0; i < 3; i += 1) {
        const warnings = new ParseWarnings();
        expect(poll(text, cache, REF, warnings), name).toEqual(expected);
        expect(warnings.list(), name).toEqual(plain.list());
      }
      expect(cache.reused, name).toBe(expected.length);
    }
  });

  it('gives what a parse without it gives, warnings included, for every capture whose timers count down and sometimes stop reading', () => {
    const timers = /^(\s+(?:Hold|Keepalive) timer:\s+)(\d+)\/(\S+)$/gm;
    // Poll n: each timer n less (down to 0), and at polls 3 and 4 an unreadable one.
    const counted = (text: string, n: number) =>
      text.replace(timers, (_, key: string, remaining: string, total: string) => (n === 3 || n === 4 ? `${key}${remaining} of ${total}` : `${key}${Math.max(0, Number(remaining) - n)}/${total}`));
    for (const name of fixtureNames().filter((f) => f.endsWith('show-protocols-all.txt'))) {
      const text = fixtureBytes(name).toString();
      const cache = new ProtocolBlocksCache();
      for (let n = 0; n < 8; n += 1) {
        const polled = counted(text, n);
        const plain = new ParseWarnings();
        const expected = parseShowProtocolsAll(frame(polled).replies[0]!, REF, plain);
        const warnings = new ParseWarnings();
        expect(poll(polled, cache, REF, warnings), `${name} poll ${n}`).toEqual(expected);
        expect(warnings.list(), `${name} poll ${n}`).toEqual(plain.list());
      }
      expect(cache.reused, name).toBe(parseShowProtocolsAll(frame(text).replies[0]!, REF).length);
    }
  });
});
