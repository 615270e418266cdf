// The programmer's record of what it made: kept across restarts, refused when it is not its own.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { applyInPhases, type Change } from '../../src/endpoints/dataplane.ts';
import { FakeDataplane } from '../../src/endpoints/fake-dataplane.ts';
import { desiredState } from '../../src/endpoints/desired.ts';
import { IpDataplane } from '../../src/endpoints/ip-dataplane.ts';
import { FileLedgerStore, Ledger, LEDGER_TABLES, MemoryLedgerStore } from '../../src/endpoints/ledger.ts';
import { reconcile } from '../../src/endpoints/reconcile.ts';
import type { Runner } from '../../src/exec.ts';
import { loadTopology } from '../../src/topology/index.ts';
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

  // The record is not flushed to disk (FileLedgerStore.save): a machine that went down right after
  // a save may come back with the file's name but not its data, and with none of the kernel
  // objects the record spoke of either.
  it('reads a record left empty or zero-filled by a machine crash as holding no claims', async () => {
    for (const text of ['', '\0\0\0\0']) {
      writeFileSync(join(dir, 'owned.json'), text);
      const ledger = await new FileLedgerStore(join(dir, 'owned.json')).load();
      expect(LEDGER_TABLES.flatMap((t) => ledger.keys(t))).toEqual([]);
    }
  });

  // The agent loads the record at the start of every pass; `birdctl endpoints apply` keeps the same one.
  it('loads again a record another writer changed in place, and never hands back claims it did not save', async () => {
    const path = join(dir, 'owned.json');
    const store = new FileLedgerStore(path);
    const ledger = await store.load();
    ledger.claim({ table: 'proxy', key: 'fd00:10::1 eth0', note: '' });
    await store.save(ledger);
    const other = (await store.load()).clone();
    other.release('proxy', 'fd00:10::1 eth0');
    other.claim({ table: 'proxy', key: 'fd00:10::2 eth0', note: '' });
    writeFileSync(path, other.serialise());
    expect((await store.load()).keys('proxy')).toEqual(['fd00:10::2 eth0']);
    const unsaved = await store.load();
    unsaved.claim({ table: 'proxy', key: 'fd00:10::3 eth0', note: '' });
    expect((await store.load()).keys('proxy')).toEqual(['fd00:10::2 eth0']);
  });

  it('refuses a file that is not a record, instead of forgetting what it made', async () => {
    writeFileSync(join(dir, 'owned.json'), '{"version": 2}');
    await expect(new FileLedgerStore(join(dir, 'owned.json')).load()).rejects.toMatchObject({ message: expect.stringMatching(/is not valid/), hint: expect.stringMatching(/move it away/) });
  });

  // A sysctl claim is undone by writing its old value back, and every claimed key is read with
  // `sysctl -e KEY...`: a record edited by someone else must not pick which settings those are.
  it('refuses a record whose sysctl keys are not ones the programmer sets, before any reaches sysctl', async () => {
    const record = join(dir, 'owned.json');
    const calls: string[][] = [];
    const runner: Runner = {
      run: async (file, args) => {
        calls.push([file, ...args]);
        return { exitCode: 0, stdout: file === 'ip' && args.includes('-batch') ? '[]\n[]\n[]\n[]\n[]\n' : '', stderr: '' };
      },
      start: () => {
        throw new Error('not used');
      },
    };
    for (const key of ['kernel.core_pattern', '-p/etc/sysctl.conf', 'net.ipv6.conf.all.forwarding\nkernel.panic', 'net.ipv6.conf.eth0.disable_ipv6', 'net.ipv6.conf.a b.accept_ra']) {
      writeFileSync(record, JSON.stringify({ version: 1, tables: { sysctl: { [key]: '["|/bin/sh","core"]' } } }));
      await expect(new FileLedgerStore(record).load()).rejects.toThrow(/sysctl key .* is not one the endpoint programmer sets/);
      await expect(
        reconcile({ dataplane: new IpDataplane({ runner }), ledger: new FileLedgerStore(record), topology: await loadTopology('topology/example.yaml'), nodeName: 'node1' }),
      ).rejects.toThrow(/is not valid/);
    }
    expect(calls.filter(([file]) => file === 'sysctl')).toEqual([]);
  });

  it('loads every sysctl key the programmer itself writes, an interface with a dot included', async () => {
    const desired = desiredState(await loadTopology('topology/example.yaml'), 'node3', { uplink: 'eth0.100' });
    const keys = [...desired.sysctls, ...desired.endpoints.flatMap((e) => e.sysctls)].map((s) => s.key);
    expect(keys).toContain('net.ipv6.conf.eth0/100.proxy_ndp');
    const store = new FileLedgerStore(join(dir, 'owned.json'));
    const ledger = await store.load();
    for (const key of keys) ledger.claim({ table: 'sysctl', key, note: '["1","0"]' });
    await store.save(ledger);
    expect((await new FileLedgerStore(join(dir, 'owned.json')).load()).keys('sysctl').sort()).toEqual([...keys].sort());
  });

  it('rewrites a record on a change, and leaves it as it is without one, however it was formatted', async () => {
    const path = join(dir, 'owned.json');
    const compact = JSON.stringify({ version: 1, tables: { proxy: { 'fd00:10::1 eth0': '' } } });
    writeFileSync(path, compact);
    const store = new FileLedgerStore(path);
    const ledger = await store.load();
    ledger.claim({ table: 'proxy', key: 'fd00:10::1 eth0', note: '' });
    await store.save(ledger);
    expect(readFileSync(path, 'utf8')).toBe(compact);
    ledger.claim({ table: 'proxy', key: 'fd00:10::2 eth0', note: '' });
    ledger.release('proxy', 'fd00:10::2 eth0');
    ledger.claim({ table: 'proxy', key: 'fd00:10::3 eth0', note: '' });
    await store.save(ledger);
    expect(readFileSync(path, 'utf8')).toBe(ledger.serialise());
    expect((await new FileLedgerStore(path).load()).keys('proxy')).toEqual(['fd00:10::1 eth0', 'fd00:10::3 eth0']);
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
    const up: Change = { kind: 'add', owner: endpointOwner('x'), operation: { op: 'container-link-up', netns: 'x' } };
    await applyInPhases([up, sysctl, route, prepare], async (phase, attempt) => {
      seen.push(`${phase}:${attempt.map((c) => c.operation.op).join(',')}`);
      return [];
    });
    // The host batch (with the route) first: nothing slow inside a namespace holds it back.
    expect(seen).toEqual(['host:replace-route', 'links-ready:set-sysctl,prepare-container', 'containers:container-link-up']);
  });
});

it('Ledger keys are independent per table', () => {
  const ledger = new Ledger();
  ledger.claim({ table: 'proxy', key: 'fd00:10::1 eth0', note: '' });
  expect(ledger.has('neighbour', 'fd00:10::1 eth0')).toBe(false);
  expect(ledger.clone().has('proxy', 'fd00:10::1 eth0')).toBe(true);
});

it('Ledger.clone copies every claim and note, and neither copy sees what the other changes later', () => {
  const ledger = new Ledger();
  ledger.claim({ table: 'link', key: 'cali-web-1', note: 'bird6-controller:web-1' });
  ledger.claim({ table: 'sysctl', key: 'net.ipv6.conf.eth0.proxy_ndp', note: '["0","1"]' });
  const copy = ledger.clone();
  expect(copy.serialise()).toBe(ledger.serialise());
  copy.release('link', 'cali-web-1');
  ledger.claim({ table: 'proxy', key: 'fd00:10::1 eth0', note: '' });
  expect(ledger.note('link', 'cali-web-1')).toBe('bird6-controller:web-1');
  expect(copy.has('proxy', 'fd00:10::1 eth0')).toBe(false);
});

it('MemoryLedgerStore hands back what was saved, and a loaded ledger changed after its save only by saving it again', async () => {
  const store = new MemoryLedgerStore();
  const first = await store.load();
  first.claim({ table: 'proxy', key: 'fd00:10::1 eth0', note: '' });
  await store.save(first);
  await store.save(first);
  first.claim({ table: 'proxy', key: 'fd00:10::2 eth0', note: '' });
  expect((await store.load()).keys('proxy')).toEqual(['fd00:10::1 eth0']);
  await store.save(first);
  const second = await store.load();
  expect(second.keys('proxy')).toEqual(['fd00:10::1 eth0', 'fd00:10::2 eth0']);
  second.release('proxy', 'fd00:10::1 eth0');
  expect((await store.load()).keys('proxy')).toHaveLength(2);
});

it('Ledger.serialise lists every table and its claims by key in code-unit order, whatever order they were made in', () => {
  const ledger = new Ledger();
  for (const key of ['fd00:10::b eth0', 'fd00:10::B eth0', 'fd00:10::1 eth0', 'fd00:10::10 eth0', 'fd00:10::1 eth1']) ledger.claim({ table: 'proxy', key, note: '' });
  ledger.claim({ table: 'link', key: 'tap-2', note: 'bird6-controller:b' });
  ledger.claim({ table: 'link', key: 'cali-1', note: 'bird6-controller:a' });
  const proxy = { 'fd00:10::1 eth0': '', 'fd00:10::1 eth1': '', 'fd00:10::10 eth0': '', 'fd00:10::B eth0': '', 'fd00:10::b eth0': '' };
  const tables = { link: { 'cali-1': 'bird6-controller:a', 'tap-2': 'bird6-controller:b' }, neighbour: {}, proxy, 'link-address': {}, 'container-address': {}, sysctl: {} };
  expect(ledger.serialise()).toBe(`${JSON.stringify({ version: 1, tables }, null, 1)}\n`);
});

it('Ledger.serialise escapes keys and notes as JSON.stringify does and reads back to the same claims', () => {
  const ledger = new Ledger();
  ledger.claim({ table: 'sysctl', key: 'net.ipv6.conf.tap/1.accept_ra', note: '["1","0"]' });
  ledger.claim({ table: 'link', key: 'tap-"\\\u0001é', note: 'bird6-controller:\u2028x' });
  ledger.claim({ table: 'container-address', key: 'ns-1 fd00:10::1/128', note: '' });
  const tables = {
    link: { 'tap-"\\\u0001é': 'bird6-controller:\u2028x' },
    neighbour: {},
    proxy: {},
    'link-address': {},
    'container-address': { 'ns-1 fd00:10::1/128': '' },
    sysctl: { 'net.ipv6.conf.tap/1.accept_ra': '["1","0"]' },
  };
  const text = ledger.serialise();
  expect(text).toBe(`${JSON.stringify({ version: 1, tables }, null, 1)}\n`);
  expect(Ledger.fromJSON(JSON.parse(text), 'test').serialise()).toBe(text);
});

it('Ledger.serialise of an empty record is the empty tables', () => {
  const tables = Object.fromEntries(['link', 'neighbour', 'proxy', 'link-address', 'container-address', 'sysctl'].map((t) => [t, {}]));
  expect(new Ledger().serialise()).toBe(`${JSON.stringify({ version: 1, tables }, null, 1)}\n`);
});
