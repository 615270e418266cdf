// The real dataplane against a scripted Runner: what it sends to ip and sysctl, and how it reads
// their answers (real iproute2 6.1 output) and their failures back.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Change } from '../../src/endpoints/dataplane.ts';
import { IpDataplane } from '../../src/endpoints/ip-dataplane.ts';
import { endpointOwner, leftoverOwner, NODE_OWNER } from '../../src/endpoints/owner.ts';
import { CHECKPOINT_LINE, parseBatchErrors } from '../../src/endpoints/ip-batch.ts';
import { parseNeighbours, parseProxies, parseRoutes } from '../../src/endpoints/ip-json.ts';
import type { Runner } from '../../src/exec.ts';
import { FakeRunner } from '../support/fake-runner.ts';


const HOST_READ_OUTPUT = [
  '[{"ifindex":2,"link_index":2,"ifname":"cali-web-1","flags":["BROADCAST","MULTICAST","UP","LOWER_UP"],"mtu":1500,"qdisc":"noqueue","operstate":"UP","linkmode":"DEFAULT","group":"default","txqlen":1000,"link_type":"ether","address":"62:1e:70:f0:41:18","broadcast":"ff:ff:ff:ff:ff:ff","link_netnsid":0,"ifalias":"bird6-controller:web-1"},{"ifindex":4,"ifname":"eth0","flags":["BROADCAST","MULTICAST","UP","LOWER_UP"],"mtu":1400,"qdisc":"pfifo_fast","operstate":"UP","linkmode":"DEFAULT","group":"default","txqlen":1000,"link_type":"ether","address":"02:fc:00:00:00:01","broadcast":"ff:ff:ff:ff:ff:ff"}]',
  '[{"ifindex":2,"ifname":"cali-web-1","flags":["BROADCAST","MULTICAST","UP","LOWER_UP"],"mtu":1500,"operstate":"UP","txqlen":1000,"addr_info":[{"family":"inet6","local":"fe80::601e:70ff:fef0:4118","prefixlen":64,"scope":"link","tentative":true,"valid_life_time":4294967295,"preferred_life_time":4294967295},{"family":"inet6","local":"fe80::1","prefixlen":64,"scope":"link","nodad":true,"valid_life_time":4294967295,"preferred_life_time":4294967295}]}]',
  '[{"dst":"fd00:10::10","dev":"cali-web-1","metric":1024,"flags":[],"pref":"medium"}]',
  '[{"dst":"fd00:10::10","dev":"cali-web-1","lladdr":"02:00:00:00:00:10","state":["PERMANENT"]},{"dst":"fe80::5","dev":"eth0","state":["FAILED"]}]',
  '[{"dst":"fd00:10::10","dev":"eth0","proxy":null}]',
].join('\n');

describe('IpDataplane', () => {
  it('reads host tables in one ip batch, sysctls in one sysctl, and each container namespace in one ip batch', async () => {
    const runner = new FakeRunner(({ file, args }) => {
      if (file === 'sysctl') return { stdout: 'net.ipv6.conf.all.forwarding = 1\n', exitCode: 1, stderr: 'sysctl: cannot stat /proc/sys/net/ipv6/conf/x/accept_ra: No such file or directory\n' };
      if (args.includes('netns')) return { stdout: '[{"name":"web-1","id":0},{"name":"other"}]\n' };
      if (args[0] === '-n') {
        return {
          stdout: [
            '[{"ifindex":2,"link_index":3,"ifname":"eth0","flags":["BROADCAST","MULTICAST","UP","LOWER_UP"],"mtu":1500,"link_netnsid":0}]',
            '[{"ifindex":2,"ifname":"eth0","flags":["BROADCAST","MULTICAST","UP","LOWER_UP"],"addr_info":[{"family":"inet6","local":"fd00:10::10","prefixlen":128,"scope":"global","nodad":true},{"family":"inet6","local":"fe80::834:7cff:feeb:8c6d","prefixlen":64,"scope":"link"}]}]',
            '[{"dst":"default","gateway":"fe80::1","dev":"eth0","metric":1024,"flags":[],"pref":"medium"}]',
          ].join('\n'),
        };
      }
      return { stdout: `${HOST_READ_OUTPUT}\n` };
    });
    const dataplane = new IpDataplane({ runner, netns: 'host-ns' });
    const actual = await dataplane.read({ sysctlKeys: ['net.ipv6.conf.all.forwarding', 'net.ipv6.conf.x.accept_ra'], containerNamespaces: ['web-1', 'gone'] });

    expect(actual.links.get('cali-web-1')).toEqual({ name: 'cali-web-1', up: true, alias: 'bird6-controller:web-1', addresses: ['fe80::601e:70ff:fef0:4118/64', 'fe80::1/64'] });
    expect(actual.routes).toEqual([{ dst: 'fd00:10::10', dev: 'cali-web-1' }]);
    expect(actual.neighbours).toEqual([{ dst: 'fd00:10::10', dev: 'cali-web-1', lladdr: '02:00:00:00:00:10', permanent: true }]);
    expect(actual.proxies).toEqual([{ dst: 'fd00:10::10', dev: 'eth0' }]);
    expect(actual.sysctls).toEqual(new Map([['net.ipv6.conf.all.forwarding', '1']]));
    expect(actual.containers).toEqual(new Map([['web-1', { link: { up: true, addresses: ['fd00:10::10/128'] }, defaultGateway: 'fe80::1' }]]));
    const host = runner.runs.find((c) => c.file === 'ip' && c.args.includes('-batch') && c.args[0] !== '-n')!;
    expect(host.options?.netns).toBe('host-ns');
    expect(host.options?.input).toBe('link show\naddr show\nroute show proto 80\nneigh show\nneigh show proxy\n');
    // Its output (20,000 entries on a large host, in small writes) goes through a file, not a pipe.
    expect(host.options?.stdoutToFile).toBe(true);
    // Both asked-for namespaces are read beside the list; only the listed one counts.
    expect(runner.runs.filter((c) => c.args[0] === '-n').map((c) => c.args[1])).toEqual(['web-1', 'gone']);
  });

  it('starts the container namespace reads beside the namespace list, not after it, and ignores the reads of namespaces that are not there', async () => {
    let releaseList: () => void = () => {};
    const listed = new Promise<void>((resolve) => (releaseList = resolve));
    const startedBeforeList: string[] = [];
    let listDone = false;
    const runner: Runner = {
      async run(file, args) {
        if (args.includes('netns')) {
          await listed;
          listDone = true;
          return { stdout: '[{"name":"web-1"}]\n', stderr: '', exitCode: 0 };
        }
        if (args[0] === '-n') {
          if (!listDone) startedBeforeList.push(args[1]!);
          // ip -n of a namespace that does not exist cannot open it.
          if (args[1] !== 'web-1') return { stdout: '', stderr: `Cannot open network namespace "${args[1]}": No such file or directory\n`, exitCode: 1 };
          return { stdout: '[]\n[]\n[]\n', stderr: '', exitCode: 0 };
        }
        return { stdout: file === 'ip' ? `${HOST_READ_OUTPUT}\n` : '', stderr: '', exitCode: 0 };
      },
      start: () => {
        throw new Error('not used');
      },
    };
    const reading = new IpDataplane({ runner, netns: 'host-ns' }).read({ sysctlKeys: [], containerNamespaces: ['web-1', 'gone'] });
    await new Promise((resolve) => setImmediate(resolve));
    expect(startedBeforeList.sort()).toEqual(['gone', 'web-1']);
    releaseList();
    const actual = await reading;
    expect([...actual.containers.keys()]).toEqual(['web-1']);
    expect(actual.namespaces).toEqual(new Set(['web-1']));
  });

  it('acting in its own namespace, lists the namespaces from their directory and reads sysctls from /proc/sys files: no process for either', async () => {
    const root = mkdtempSync(join(tmpdir(), 'ipdp-'));
    try {
      const netnsDir = join(root, 'netns');
      const procSysDir = join(root, 'sys');
      mkdirSync(netnsDir);
      writeFileSync(join(netnsDir, 'web-1'), '');
      mkdirSync(join(procSysDir, 'net/ipv6/conf/all'), { recursive: true });
      mkdirSync(join(procSysDir, 'net/ipv6/conf/eth0.100'), { recursive: true });
      writeFileSync(join(procSysDir, 'net/ipv6/conf/all/forwarding'), '1\n');
      writeFileSync(join(procSysDir, 'net/ipv6/conf/eth0.100/proxy_ndp'), '0\n');
      const runner = new FakeRunner(({ args }) => (args[0] === '-n' ? { stdout: '[]\n[]\n[]\n' } : { stdout: `${HOST_READ_OUTPUT}\n` }));
      const actual = await new IpDataplane({ runner, ownFiles: { netnsDir, procSysDir } }).read({
        // a missing key (an interface not there yet) is left out, as `sysctl -e` leaves it out
        sysctlKeys: ['net.ipv6.conf.all.forwarding', 'net.ipv6.conf.eth0/100.proxy_ndp', 'net.ipv6.conf.x.accept_ra'],
        containerNamespaces: ['web-1', 'gone'],
      });
      expect(actual.sysctls).toEqual(new Map([['net.ipv6.conf.all.forwarding', '1'], ['net.ipv6.conf.eth0/100.proxy_ndp', '0']]));
      expect(actual.namespaces).toEqual(new Set(['web-1']));
      expect([...actual.containers.keys()]).toEqual(['web-1']);
      expect(runner.runs.some((r) => r.file === 'sysctl' || r.args.includes('netns'))).toBe(false);
      // No namespace directory at all (no namespace ever made): none, as `ip netns list` says.
      const none = await new IpDataplane({ runner, ownFiles: { netnsDir: join(root, 'absent'), procSysDir } }).read({ sysctlKeys: [], containerNamespaces: ['web-1'] });
      expect(none.namespaces).toEqual(new Set());
      expect(none.containers.size).toBe(0);
      // Acting for another namespace, the files are not its own: ip and sysctl as before.
      const other = new FakeRunner(({ file, args }) => (file === 'sysctl' ? { stdout: 'net.ipv6.conf.all.forwarding = 1\n' } : args.includes('netns') ? { stdout: '[{"name":"web-1"}]\n' } : args[0] === '-n' ? { stdout: '[]\n[]\n[]\n' } : { stdout: `${HOST_READ_OUTPUT}\n` }));
      await new IpDataplane({ runner: other, netns: 'host-ns', ownFiles: { netnsDir, procSysDir } }).read({ sysctlKeys: ['net.ipv6.conf.all.forwarding'], containerNamespaces: ['web-1'] });
      expect(other.runs.filter((r) => r.file === 'sysctl' || r.args.includes('netns')).length).toBe(2);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('acting in its own namespace, leaves out a sysctl it cannot read for any reason, as `sysctl -e` did', async () => {
    // `sysctl -e` printed the keys it could read and only complained of the others; a pass must not
    // fail where it used to go on (a file that cannot be read as a value stands in: EISDIR).
    const root = mkdtempSync(join(tmpdir(), 'ipdp-'));
    try {
      const procSysDir = join(root, 'sys');
      mkdirSync(join(procSysDir, 'net/ipv6/conf/all/forwarding'), { recursive: true });
      mkdirSync(join(procSysDir, 'net/ipv6/conf/eth0'), { recursive: true });
      writeFileSync(join(procSysDir, 'net/ipv6/conf/eth0/proxy_ndp'), '1\n');
      const runner = new FakeRunner(() => ({ stdout: `${HOST_READ_OUTPUT}\n` }));
      const actual = await new IpDataplane({ runner, ownFiles: { netnsDir: join(root, 'netns'), procSysDir } }).read({
        sysctlKeys: ['net.ipv6.conf.all.forwarding', 'net.ipv6.conf.eth0.proxy_ndp'],
        containerNamespaces: [],
      });
      expect(actual.sysctls).toEqual(new Map([['net.ipv6.conf.eth0.proxy_ndp', '1']]));
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('still fails the read when a namespace that is listed cannot be read', async () => {
    const runner = new FakeRunner(({ args }) => {
      if (args.includes('netns')) return { stdout: '[{"name":"web-1"}]\n' };
      if (args[0] === '-n') return { exitCode: 1, stderr: 'RTNETLINK answers: Operation not permitted\n' };
      return { stdout: `${HOST_READ_OUTPUT}\n` };
    });
    await expect(new IpDataplane({ runner, netns: 'host-ns' }).read({ sysctlKeys: [], containerNamespaces: ['web-1'] })).rejects.toThrow(/Operation not permitted/);
  });

  it('reads at most eight container namespaces at a time, and every one of them', async () => {
    const names = Array.from({ length: 20 }, (_, i) => `ns-${i}`);
    let inFlight = 0;
    let most = 0;
    const read: string[] = [];
    const runner: Runner = {
      async run(_file, args) {
        if (args.includes('netns')) return { stdout: `${JSON.stringify(names.map((name) => ({ name })))}\n`, stderr: '', exitCode: 0 };
        if (args[0] !== '-n') return { stdout: `${HOST_READ_OUTPUT}\n`, stderr: '', exitCode: 0 };
        inFlight += 1;
        most = Math.max(most, inFlight);
        await new Promise((resolve) => setImmediate(resolve));
        inFlight -= 1;
        read.push(args[1]!);
        return { stdout: '[]\n[]\n[]\n', stderr: '', exitCode: 0 };
      },
      start: () => {
        throw new Error('not used');
      },
    };
    const actual = await new IpDataplane({ runner, netns: 'host-ns' }).read({ sysctlKeys: [], containerNamespaces: names });
    expect(most).toBe(8);
    expect(read.sort()).toEqual([...names].sort());
    expect(actual.containers.size).toBe(20);
  });

  it('reads the host tables started ahead by startHostRead() in the next read, and reads them anew in the one after', async () => {
    const runner = new FakeRunner(({ file }) => (file === 'sysctl' ? { stdout: 'net.ipv6.conf.all.forwarding = 1\n' } : { stdout: `${HOST_READ_OUTPUT}\n` }));
    const dataplane = new IpDataplane({ runner, netns: 'host-ns' });
    dataplane.startHostRead();
    // Started at once, before any scope is known (a topology still loading).
    expect(runner.runs.map((r) => r.file)).toEqual(['ip']);
    const scope = { sysctlKeys: ['net.ipv6.conf.all.forwarding'], containerNamespaces: [] };
    const actual = await dataplane.read(scope);
    expect(actual.routes).toEqual([{ dst: 'fd00:10::10', dev: 'cali-web-1' }]);
    expect(actual.sysctls).toEqual(new Map([['net.ipv6.conf.all.forwarding', '1']]));
    const hostReads = () => runner.runs.filter((r) => r.file === 'ip' && r.options?.input?.startsWith('link show\n')).length;
    expect(hostReads()).toBe(1);
    await dataplane.read(scope);
    expect(hostReads()).toBe(2);
  });

  it('fails the read that takes a host read started ahead which failed, and leaves no unhandled rejection when no read takes it', async () => {
    const failing = () => new FakeRunner(() => ({ exitCode: 2, stderr: 'RTNETLINK answers: Operation not permitted\n' }));
    const taken = new IpDataplane({ runner: failing() });
    taken.startHostRead();
    await expect(taken.read({ sysctlKeys: [], containerNamespaces: [] })).rejects.toThrow(/Operation not permitted/);
    // Never taken (the caller failed first): vitest fails the run on an unhandled rejection.
    new IpDataplane({ runner: failing() }).startHostRead();
    await new Promise((resolve) => setImmediate(resolve));
  });

  it('refuses to read a failing ip as an empty kernel', async () => {
    const runner = new FakeRunner(() => ({ exitCode: 2, stderr: 'RTNETLINK answers: Operation not permitted\n' }));
    await expect(new IpDataplane({ runner }).read({ sysctlKeys: [], containerNamespaces: [] })).rejects.toThrow(/Operation not permitted/);
  });

  it('writes the host in one forced batch and charges a failed line to its change only', async () => {
    const runner = new FakeRunner(({ file, args }) =>
      // Lines by owner with a checkpoint after each: web-1 1-4 (checkpoint 4), vm-1 5-6 (6), the leftover 7-8 (8).
      file === 'ip' && args[0] === '-6' && args.includes('-batch') ? { exitCode: 1, stderr: 'Device "bird6/checkpoint" does not exist.\nCommand failed -:4\nError: Nexthop device is not up.\nCommand failed -:5\nDevice "bird6/checkpoint" does not exist.\nCommand failed -:6\nDevice "bird6/checkpoint" does not exist.\nCommand failed -:8\n' } : {},
    );
    const changes: Change[] = [
      { kind: 'add', owner: endpointOwner('web-1'), operation: { op: 'create-veth', name: 'cali-web-1', netns: 'web-1', alias: 'bird6-controller:web-1' } },
      { kind: 'add', owner: endpointOwner('vm-1'), operation: { op: 'replace-route', route: { dst: 'fd00:10::30', dev: 'tap-vm-1' } } },
      { kind: 'add', owner: endpointOwner('web-1'), operation: { op: 'replace-route', route: { dst: 'fd00:10::10', dev: 'cali-web-1' } } },
      { kind: 'delete', owner: leftoverOwner(undefined), operation: { op: 'delete-proxy', proxy: { dst: 'fd00:10::99', dev: 'eth0' } } },
      { kind: 'add', owner: endpointOwner('vm-1'), operation: { op: 'set-sysctl', sysctl: { key: 'net.ipv6.conf.tap-vm-1.accept_ra', value: '0' } } },
      { kind: 'add', owner: endpointOwner('web-1'), operation: { op: 'container-link-up', netns: 'web-1' } },
    ];
    const { failures, skipped } = await new IpDataplane({ runner }).apply(changes);
    const batch = runner.runs.find((c) => c.args.includes('-batch'))!;
    expect(batch.args).toEqual(['-6', '-batch', '-', '-force']);
    expect(batch.options?.input).toBe(
      [
        'link add name cali-web-1 type veth peer name eth0 netns web-1',
        'link set dev cali-web-1 alias bird6-controller:web-1',
        'route replace fd00:10::10/128 dev cali-web-1 proto 80 scope link',
        'link show dev bird6/checkpoint',
        'route replace fd00:10::30/128 dev tap-vm-1 proto 80 scope link',
        'link show dev bird6/checkpoint',
        'neigh del proxy fd00:10::99 dev eth0',
        'link show dev bird6/checkpoint',
        '',
      ].join('\n'),
    );
    expect(failures.map((f) => [f.change.owner, f.reason])).toEqual([[endpointOwner('vm-1'), 'route fd00:10::30/128 dev tap-vm-1: Error: Nexthop device is not up.']]);
    // vm-1 failed, so its sysctl is not attempted (and says so); web-1's container side still is.
    expect(skipped).toEqual([changes[4]]);
    expect(runner.runs.some((c) => c.file === 'sysctl')).toBe(false);
    expect(runner.runs.some((c) => c.args[0] === '-n' && c.args[1] === 'web-1')).toBe(true);
  });

  it('writes 1,000 proxy entries or more in a batch of their own, beside the rest at once, and charges a failed line in either to its change only', async () => {
    // As ip -force answers: every checkpoint line fails, and so does the line this test picks in each batch.
    const failing = new Set(['route replace fd00:10::3:7/128 dev tap-3 proto 80 scope link', 'neigh replace proxy fd00:10::5:9 dev eth0']);
    let inFlight = 0;
    let most = 0;
    const inputs: string[] = [];
    const runner: Runner = {
      async run(_file, _args, options) {
        inFlight += 1;
        most = Math.max(most, inFlight);
        await new Promise((resolve) => setImmediate(resolve));
        inFlight -= 1;
        inputs.push(options!.input!);
        const stderr = options!.input!
          .split('\n')
          .flatMap((line, i) => (line === CHECKPOINT_LINE ? [`Device "bird6/checkpoint" does not exist.\nCommand failed -:${i + 1}`] : failing.has(line) ? [`Error: boom\nCommand failed -:${i + 1}`] : []))
          .join('\n');
        return { stdout: '', stderr: `${stderr}\n`, exitCode: 1 };
      },
      start: () => {
        throw new Error('not used');
      },
    };
    const changes: Change[] = [];
    for (let e = 0; e < 10; e += 1) {
      const owner = endpointOwner(`vm-${e}`);
      for (let a = 0; a < 100; a += 1) {
        const dst = `fd00:10::${e}:${a}`;
        changes.push({ kind: 'add', owner, operation: { op: 'replace-route', route: { dst, dev: `tap-${e}` } } });
        changes.push({ kind: 'add', owner, operation: { op: 'replace-proxy', proxy: { dst, dev: 'eth0' } } });
      }
    }
    const { failures } = await new IpDataplane({ runner }).apply(changes);
    expect(most).toBe(2);
    // The proxy batch, the longer one for the kernel, starts first.
    expect(inputs.map((input) => new Set(input.split('\n').filter((l) => l !== '' && l !== CHECKPOINT_LINE).map((l) => l.split(' ')[0])))).toEqual([new Set(['neigh']), new Set(['route'])]);
    expect(inputs.map((input) => input.split('\n').filter((l) => l !== '' && l !== CHECKPOINT_LINE).length)).toEqual([1000, 1000]);
    expect(failures.map((f) => [f.change.owner, f.reason])).toEqual([
      [endpointOwner('vm-3'), 'route fd00:10::3:7/128 dev tap-3: Error: boom'],
      [endpointOwner('vm-5'), 'proxy fd00:10::5:9 dev eth0: Error: boom'],
    ]);
  });

  it('keeps fewer than 1,000 proxy entries in the one host batch: a process of their own would cost more than they take', async () => {
    const runner = new FakeRunner();
    const owner = endpointOwner('vm-1');
    await new IpDataplane({ runner }).apply(
      Array.from({ length: 999 }, (_, a): Change => ({ kind: 'add', owner, operation: { op: 'replace-proxy', proxy: { dst: `fd00:10::${a}`, dev: 'eth0' } } })).concat([
        { kind: 'add', owner, operation: { op: 'replace-route', route: { dst: 'fd00:10::1', dev: 'tap-vm-1' } } },
      ]),
    );
    expect(runner.runs.length).toBe(1);
  });

  it("turns DAD off in a container namespace for its new eth0 too, after the host batch made it", async () => {
    const runner = new FakeRunner();
    const owner = endpointOwner('web-1');
    await new IpDataplane({ runner }).apply([
      { kind: 'add', owner, operation: { op: 'prepare-container', netns: 'web-1' } },
      { kind: 'add', owner, operation: { op: 'create-veth', name: 'cali-web-1', netns: 'web-1', alias: 'bird6-controller:web-1' } },
    ]);
    expect(runner.runs.map((r) => r.file)).toEqual(['ip', 'sysctl']);
    expect(runner.runs[1]).toMatchObject({ args: ['-qw', 'net.ipv6.conf.all.accept_dad=0', 'net.ipv6.conf.default.accept_dad=0', 'net.ipv6.conf.eth0.accept_dad=0'], options: { netns: 'web-1' } });
  });

  it('charges a sysctl the kernel refused to its own change', async () => {
    const runner = new FakeRunner(({ file }) =>
      file === 'sysctl' ? { exitCode: 1, stderr: 'sysctl: cannot stat /proc/sys/net/ipv6/conf/eth0.100/proxy_ndp: No such file or directory\n' } : {},
    );
    const change = (owner: Change['owner'], key: string): Change => ({ kind: 'add', owner, operation: { op: 'set-sysctl', sysctl: { key, value: '1' } } });
    const { failures } = await new IpDataplane({ runner }).apply([change(NODE_OWNER, 'net.ipv6.conf.all.forwarding'), change(endpointOwner('vlan'), 'net.ipv6.conf.eth0/100.proxy_ndp')]);
    expect(failures.map((f) => f.change.owner)).toEqual([endpointOwner('vlan')]);
  });
});

describe('ip output parsers', () => {
  it('parses the batch errors of ip -force by line', () => {
    expect(parseBatchErrors('Object "-6" is unknown, try "ip help".\nCommand failed -:2\nCannot find device "nonexist"\nCommand failed -:1\n')).toEqual(
      new Map([
        [2, 'Object "-6" is unknown, try "ip help".'],
        [1, 'Cannot find device "nonexist"'],
      ]),
    );
  });

  it('takes an address of the known canonical set as it is, and still canonicalises every other form', () => {
    const known = new Set(['fd00:10::10', 'fd00:10::20']);
    const json = [
      { dst: 'fd00:10::10', dev: 'eth0' },
      { dst: 'FD00:10:0:0:0:0:0:20', dev: 'eth0' },
      { dst: 'fd00:0010::0030', dev: 'eth0' },
    ];
    const canonical = ['fd00:10::10', 'fd00:10::20', 'fd00:10::30'];
    expect(parseProxies(json, known).map((p) => p.dst)).toEqual(canonical);
    expect(parseRoutes(json, known).map((r) => r.dst)).toEqual(canonical);
    expect(parseNeighbours(json.map((n) => ({ ...n, lladdr: '02:00:00:00:00:01', state: ['PERMANENT'] })), known).map((n) => n.dst)).toEqual(canonical);
    // Not an address at all is still refused, set or no set.
    expect(() => parseProxies([{ dst: 'fd00:10::10::1', dev: 'eth0' }], known)).toThrow(/unexpected ip -json output/);
  });

  it("reads ip's non-canonical spellings of addresses the scope knows canonical as those addresses", async () => {
    const runner = new FakeRunner(() => ({ stdout: `[]\n[]\n[{"dst":"FD00:10::0010","dev":"cali-web-1"}]\n[]\n[{"dst":"fd00:10:0::10","dev":"eth0"}]\n` }));
    const actual = await new IpDataplane({ runner }).read({ sysctlKeys: [], containerNamespaces: [], canonicalAddresses: new Set(['fd00:10::10']) });
    expect(actual.routes).toEqual([{ dst: 'fd00:10::10', dev: 'cali-web-1' }]);
    expect(actual.proxies).toEqual([{ dst: 'fd00:10::10', dev: 'eth0' }]);
  });

  it('reads the shared fixtures of real ip -json output', () => {
    const proxies = JSON.parse(readFileSync(new URL('./fixtures/', import.meta.url).pathname + 'ip-json-neigh-proxy.json', 'utf8'));
    expect(parseProxies(proxies)).toEqual([{ dst: 'fd00:10::10', dev: 'eth0' }]);
    const routes = JSON.parse(readFileSync(new URL('./fixtures/', import.meta.url).pathname + 'ip-json-route-r1.json', 'utf8'));
    expect(parseRoutes(routes).map((r) => r.dst)).toEqual(['fd00:10::20', 'fd00:ec::/64', 'fe80::/64', 'fe80::/64', 'fe80::/64']);
  });
});
