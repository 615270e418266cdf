// The dnsmasq service's decisions (start, restart, reload, stop) against a fake Runner; the real
// dnsmasq is exercised in test/integration/endpoints.test.ts.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DnsmasqService } from '../../src/endpoints/dnsmasq-process.ts';
import type { Runner } from '../../src/exec.ts';
import { topologyWith, type EndpointInput } from './topology.ts';

const vm = (name: string, last: number): EndpointInput => ({ name, kind: 'vm', addresses: [`fd00:10::${last}`], interface: `tap-${name}`, mac: `02:00:00:00:00:${last}` });

function fakeRunner() {
  const signals: string[] = [];
  let started = 0;
  let checkExit = 0;
  const runner: Runner = {
    async run(_file, args) {
      return { exitCode: args[0] === '--test' ? checkExit : 0, stdout: '', stderr: checkExit ? 'dnsmasq: bad option at line 3' : '' };
    },
    start() {
      started += 1;
      let resolve: (code: number | null) => void = () => {};
      const exited = new Promise<number | null>((r) => (resolve = r));
      return { pid: 1000 + started, exited, kill: (signal = 'SIGTERM') => { signals.push(signal); if (signal !== 'SIGHUP') resolve(null); } };
    },
  };
  return { runner, signals, started: () => started, failCheck: () => (checkExit = 1) };
}

describe('DnsmasqService', () => {
  const dirs: string[] = [];
  afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));
  const service = (runner: Runner) => {
    const dir = mkdtempSync(join(tmpdir(), 'ep-dnsmasq-'));
    dirs.push(dir);
    return new DnsmasqService({ runner, dir });
  };

  it('starts for the first VM, reloads with SIGHUP when only reservations change, restarts when the config changes, stops without VMs', async () => {
    const fake = fakeRunner();
    const s = service(fake.runner);
    expect(await s.update(topologyWith([]), 'node1')).toBe('not needed');
    expect(await s.update(topologyWith([vm('a', 30)]), 'node1')).toBe('started');
    expect(s.pid).toBe(1001);
    expect(readFileSync(s.hostsFile, 'utf8')).toBe('02:00:00:00:00:30,[fd00:10::30]\n');
    expect(await s.update(topologyWith([vm('a', 30)]), 'node1')).toBe('unchanged');
    expect(await s.update(topologyWith([{ ...vm('a', 30), mac: '02:00:00:00:00:99' }]), 'node1')).toBe('reloaded');
    expect(fake.signals).toEqual(['SIGHUP']);
    expect(await s.update(topologyWith([vm('a', 30), vm('b', 31)]), 'node1')).toBe('restarted');
    expect(fake.signals).toEqual(['SIGHUP', 'SIGTERM']);
    expect(s.pid).toBe(1002);
    expect(readFileSync(s.configFile, 'utf8')).toContain('interface=tap-b\n');
    expect(await s.update(topologyWith([]), 'node1')).toBe('stopped');
    expect(s.pid).toBeUndefined();
  });

  it('keeps the running dnsmasq and its config when dnsmasq --test rejects a new one', async () => {
    const fake = fakeRunner();
    const s = service(fake.runner);
    await s.update(topologyWith([vm('a', 30)]), 'node1');
    const before = readFileSync(s.configFile, 'utf8');
    fake.failCheck();
    await expect(s.update(topologyWith([vm('a', 30), vm('b', 31)]), 'node1')).rejects.toThrow(/dnsmasq rejected the rendered configuration: dnsmasq: bad option/);
    expect(readFileSync(s.configFile, 'utf8')).toBe(before);
    expect(s.pid).toBe(1001);
    expect(fake.signals).toEqual([]);
  });
});
