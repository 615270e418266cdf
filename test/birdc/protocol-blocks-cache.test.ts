// The cache of parsed detail blocks a poller keeps between replies of the same BIRD: reused only
// when a block and its protocol row are the same text, with the same warnings, one entry per
// protocol of the last reply. Every reply is framed from bytes again, as the client does, so no
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

    const third = byName(poll(EPOCH.replace('Hold timer:       4/6', 'Hold timer:       3/6'), cache));
    expect(cache.reused).toBe(6);
    expect(third.get('Mesh_fd00_ec__2')).not.toBe(first.get('Mesh_fd00_ec__2'));
    expect(third.get('Mesh_fd00_ec__2')!.bgp!.holdTimer).toEqual({ remaining: 3, total: 6 });
    expect(third.get('tor1')).toBe(first.get('tor1'));
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
    const holdTimer = (remaining: number) => EPOCH.replace('Hold timer:       4/6', `Hold timer:       ${remaining}/6`);
    for (let n = 0; n < 30; n += 1) {
      const mesh = byName(poll(holdTimer(n % 7), cache)).get('Mesh_fd00_ec__2')!;
      expect(mesh.bgp!.holdTimer).toEqual({ remaining: n % 7, total: 6 });
    }
    // Stable from now on: reused within the longest pause (8 polls) plus a sighting to keep and one to compare.
    let stable = 0;
    let previous: ProtocolDetails | undefined;
    for (; stable < 12; stable += 1) {
      const mesh = byName(poll(holdTimer(3), cache)).get('Mesh_fd00_ec__2')!;
      expect(mesh.bgp!.holdTimer).toEqual({ remaining: 3, total: 6 });
      if (mesh === previous) break;
      previous = mesh;
    }
    expect(stable).toBeLessThanOrEqual(11);
    expect(cache.reused).toBe(7);
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
});
