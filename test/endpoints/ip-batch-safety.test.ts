// One endpoint cannot break the node (issue 9 item 8): interface names that are ip keywords,
// more sysctls than one command line holds, and an ip batch that dies half way.
import { describe, expect, it } from 'vitest';
import type { Change } from '../../src/endpoints/dataplane.ts';
import { hostLines } from '../../src/endpoints/ip-batch.ts';
import { IpDataplane } from '../../src/endpoints/ip-dataplane.ts';
import { endpointOwner } from '../../src/endpoints/owner.ts';
import { FakeRunner, type RecordedRun } from '../support/fake-runner.ts';


const route = (owner: string, dst: string, dev: string): Change => ({ kind: 'add', owner: endpointOwner(owner), operation: { op: 'replace-route', route: { dst, dev } } });

describe('ip batch lines', () => {
  it.each(['help', 'mtu', 'up', 'name', 'dev'])('puts interface %s after a keyword on every link line', (name) => {
    const lines = [
      ...hostLines({ op: 'create-veth', name, netns: 'ns', alias: 'bird6-controller:x' }, 80)!,
      ...hostLines({ op: 'delete-link', name }, 80)!,
      ...hostLines({ op: 'set-link-up', name }, 80)!,
    ];
    expect(lines).toEqual([
      `link add name ${name} type veth peer name eth0 netns ns`,
      `link set dev ${name} alias bird6-controller:x`,
      `link del dev ${name}`,
      `link set dev ${name} up`,
    ]);
  });
});

describe('sysctl command lines', () => {
  const keys = Array.from({ length: 45_000 }, (_, i) => `net.ipv6.conf.cali-${String(i).padStart(9, '0')}.accept_ra`);
  // Linux's ARG_MAX is 2 MiB including the environment; stay well below it per process.
  const argvBytes = (c: RecordedRun) => c.args.reduce((n, a) => n + Buffer.byteLength(a) + 1, 0);

  it('reads 15,000 endpoints worth of sysctls in chunks that fit a command line', async () => {
    const runner = new FakeRunner(({ file, args }) => (file === 'sysctl' ? { stdout: args.filter((a) => a !== '-e').map((k) => `${k} = 1\n`).join('') } : { stdout: '\n\n\n\n\n' }));
    const actual = await new IpDataplane({ runner }).read({ sysctlKeys: keys, containerNamespaces: [] });
    expect(actual.sysctls.size).toBe(keys.length);
    const sysctls = runner.runs.filter((c) => c.file === 'sysctl');
    expect(sysctls.length).toBeGreaterThan(1);
    for (const c of sysctls) expect(argvBytes(c)).toBeLessThanOrEqual(256 * 1024);
  });

  it('writes them in chunks too, and a refused key fails only its own change', async () => {
    const bad = keys[30_000]!;
    const runner = new FakeRunner(({ file, args }) =>
      file === 'sysctl' && args.some((a) => a.startsWith(`${bad}=`)) ? { exitCode: 1, stderr: `sysctl: cannot stat /proc/sys/${bad.replaceAll('.', '/')}: No such file or directory\n` } : {},
    );
    const changes: Change[] = keys.map((key, i) => ({ kind: 'add', owner: endpointOwner(`e${i}`), operation: { op: 'set-sysctl', sysctl: { key, value: '0' } } }));
    const outcome = await new IpDataplane({ runner }).apply(changes);
    expect(outcome.failures.map((f) => f.change)).toEqual([changes[30_000]]);
    const sysctls = runner.runs.filter((c) => c.file === 'sysctl');
    expect(sysctls.length).toBeGreaterThan(1);
    for (const c of sysctls) expect(argvBytes(c)).toBeLessThanOrEqual(256 * 1024);
  });
});

describe('an ip batch that dies half way', () => {
  it("charges the endpoint whose lines were running and applies every other endpoint's lines", async () => {
    // A stand-in for ip: it runs lines until one of vm-2's, then exits as ip's usage() does.
    const executed: string[] = [];
    const runner = new FakeRunner(({ file, options }) => {
      if (file !== 'ip') return {};
      const lines = options!.input!.split('\n').filter((l) => l !== '');
      let stderr = '';
      for (const [i, line] of lines.entries()) {
        if (line.includes('tap-vm-2')) return { exitCode: 255, stderr: `${stderr}Usage: ip link <options>\n` };
        if (line.startsWith('link show dev ')) stderr += `Device "${line.slice(14)}" does not exist.\nCommand failed -:${i + 1}\n`;
        else executed.push(line);
      }
      return { exitCode: stderr === '' ? 0 : 1, stderr };
    });
    const changes = [route('vm-1', 'fd00:10::1', 'tap-vm-1'), route('vm-2', 'fd00:10::2', 'tap-vm-2'), route('vm-3', 'fd00:10::3', 'tap-vm-3'), route('vm-1', 'fd00:10::4', 'tap-vm-1')];
    const outcome = await new IpDataplane({ runner }).apply(changes);
    expect(outcome.failures.map((f) => [f.change.owner, f.reason])).toEqual([[endpointOwner('vm-2'), expect.stringContaining('Usage: ip link')]]);
    expect(executed.sort()).toEqual([
      'route replace fd00:10::1/128 dev tap-vm-1 proto 80 scope link',
      'route replace fd00:10::3/128 dev tap-vm-3 proto 80 scope link',
      'route replace fd00:10::4/128 dev tap-vm-1 proto 80 scope link',
    ]);
  });

  it('gives up after ip fails twice without running a line, failing every change', async () => {
    const runner = new FakeRunner(({ file }) => (file === 'ip' ? { exitCode: 255, stderr: 'ip: cannot allocate memory\n' } : {}));
    const changes = Array.from({ length: 50 }, (_, i) => route(`vm-${i}`, `fd00:10::${i + 1}`, `tap-${i}`));
    const outcome = await new IpDataplane({ runner }).apply(changes);
    expect(outcome.failures).toHaveLength(50);
    expect(runner.runs.filter((c) => c.file === 'ip').length).toBeLessThanOrEqual(3);
  });
});
