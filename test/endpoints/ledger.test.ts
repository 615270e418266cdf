// The programmer's record of what it made: kept across restarts, refused when it is not its own.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { applyInPhases, type Change } from '../../src/endpoints/dataplane.ts';
import { FakeDataplane } from '../../src/endpoints/fake-dataplane.ts';
import { FileLedgerStore, Ledger } from '../../src/endpoints/ledger.ts';
import { endpointOwner } from '../../src/endpoints/owner.ts';

let dir: string;
beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'ledger-'))));
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('FileLedgerStore', () => {
  it('starts empty without a file and reads back what it saved', async () => {
    const store = new FileLedgerStore(join(dir, 'sub', 'owned.json'));
    const ledger = await store.load();
    expect(ledger.keys('neighbour')).toEqual([]);
    ledger.claim({ table: 'sysctl', key: 'net.ipv6.conf.tap-1.accept_ra', note: '["1","0"]' });
    await store.save(ledger);
    expect((await new FileLedgerStore(join(dir, 'sub', 'owned.json')).load()).note('sysctl', 'net.ipv6.conf.tap-1.accept_ra')).toBe('["1","0"]');
  });

  it('refuses a file that is not a record, instead of forgetting what it made', async () => {
    writeFileSync(join(dir, 'owned.json'), '{"version": 2}');
    await expect(new FileLedgerStore(join(dir, 'owned.json')).load()).rejects.toMatchObject({ message: expect.stringMatching(/is not valid/), hint: expect.stringMatching(/move it away/) });
  });

  it('refuses a FIFO in place of the file without waiting for a writer', async () => {
    execFileSync('mkfifo', [join(dir, 'owned.json')]);
    await expect(new FileLedgerStore(join(dir, 'owned.json')).load()).rejects.toThrow(/not a regular file/);
  });
});

describe('the failure contract (applyInPhases), as the fake runs it', () => {
  it("skips a failed owner's later phases, reports them skipped, and applies every other owner", async () => {
    const fake = new FakeDataplane();
    fake.addNamespace('a');
    fake.addNamespace('b');
    fake.failWhen((o) => o.op === 'create-veth' && o.name === 'veth-a');
    const changes: Change[] = ['a', 'b'].flatMap((n) => [
      { kind: 'add', owner: endpointOwner(n), operation: { op: 'create-veth', name: `veth-${n}`, netns: n, alias: `bird6-controller:${n}` } },
      { kind: 'add', owner: endpointOwner(n), operation: { op: 'set-link-up', name: `veth-${n}` } },
      { kind: 'add', owner: endpointOwner(n), operation: { op: 'container-link-up', netns: n } },
    ]);
    const outcome = await fake.apply(changes);
    // Within its phase the owner's other change is still attempted, as ip -force does.
    expect(outcome.failures.map((f) => f.change)).toEqual([changes[0], changes[1]]);
    expect(outcome.skipped).toEqual([changes[2]]);
    expect(fake.containers.get('b')!.link).toEqual({ up: true, addresses: [] });
  });

  it('is the same function for every dataplane: phases in order, whatever the list order', async () => {
    const seen: string[] = [];
    const route: Change = { kind: 'add', owner: endpointOwner('x'), operation: { op: 'replace-route', route: { dst: 'fd00:10::1', dev: 'v' } } };
    const sysctl: Change = { kind: 'add', owner: endpointOwner('x'), operation: { op: 'set-sysctl', sysctl: { key: 'k', value: '1' } } };
    const prepare: Change = { kind: 'add', owner: endpointOwner('x'), operation: { op: 'prepare-container', netns: 'x' } };
    await applyInPhases([sysctl, route, prepare], async (phase, attempt) => {
      seen.push(`${phase}:${attempt.map((c) => c.operation.op).join(',')}`);
      return [];
    });
    expect(seen).toEqual(['prepare:prepare-container', 'host:replace-route', 'links-ready:set-sysctl']);
  });
});

it('Ledger keys are independent per table', () => {
  const ledger = new Ledger();
  ledger.claim({ table: 'proxy', key: 'fd00:10::1 eth0', note: '' });
  expect(ledger.has('neighbour', 'fd00:10::1 eth0')).toBe(false);
  expect(ledger.clone().has('proxy', 'fd00:10::1 eth0')).toBe(true);
});
