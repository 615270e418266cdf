import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BirdctlError } from '../../src/errors.ts';
import { BirdConfig, type ConfigureReply } from '../../src/render/apply.ts';
import { render } from '../../src/render/render.ts';
import { parseTopology, type Topology } from '../../src/topology/index.ts';
import { FakeRunner } from '../support/fake-runner.ts';

let dir: string;
let configPath: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'apply-'));
  configPath = join(dir, 'etc', 'bird6.conf');
  mkdirSync(join(dir, 'etc'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function topology(peers = 0): Topology {
  return parseTopology({
    apiVersion: 'bird6-controller/v1',
    cluster: { name: 'c', asNumber: 64512 },
    ipPools: [{ cidr: 'fd00:10::/48' }],
    nodes: [{ name: 'n1', address: 'fd00:ec::1' }, { name: 'n2', address: 'fd00:ec::2' }],
    peers: Array.from({ length: peers }, (_, i) => ({ name: `tor${i}`, address: `fd00:ec::${i + 10}`, asNumber: 65001 })),
  });
}
const rendered = (t: Topology) => render(t, 'n1');

/** bird6's control socket: answers from a list, one entry per call, then `0003 Reconfigured`; records the file it would have read. */
function bird(...answers: Array<ConfigureReply | BirdctlError>) {
  const loads: string[] = [];
  return {
    loads,
    command: async (command: string) => {
      expect(command).toBe(`configure "${configPath}"`);
      loads.push(existsSync(configPath) ? readFileSync(configPath, 'utf8') : '<none>');
      const answer = answers.shift() ?? { code: 3, text: 'Reconfigured' };
      if (answer instanceof BirdctlError) throw answer;
      return answer;
    },
  };
}

function config(control: ReturnType<typeof bird>, runner = new FakeRunner()) {
  const logs: Array<{ level: string; message: string; context: Record<string, unknown> }> = [];
  const applier = new BirdConfig({ nodeName: 'n1', configPath, runner, command: control.command, log: (level, message, context) => logs.push({ level, message, context }), now: () => 1000 });
  return { applier, runner, logs };
}

const leftovers = () => readdirSync(join(dir, 'etc')).filter((f) => f.endsWith('.tmp'));
const unreachable = () =>
  new BirdctlError('BIRD_UNREACHABLE', 'cannot talk to BIRD at /run/bird6.ctl: the control socket does not exist', { cause: Object.assign(new Error('connect ENOENT'), { code: 'ENOENT' }) });
const timeout = () => new BirdctlError('BIRD_TIMEOUT', 'BIRD did not answer "configure" within 5000 ms');

describe('BirdConfig.apply', () => {
  it('checks the staged file with bird6 -p, renames it into place and configures', async () => {
    writeFileSync(configPath, 'old');
    const control = bird({ code: 3, text: 'Reconfigured' });
    const { applier, runner } = config(control);
    const result = await applier.apply(topology());
    expect(result).toEqual({ at: 1000, ok: true, outcome: 'applied', summary: 'applied (0003 Reconfigured)' });
    expect(runner.runs[0]!.file).toBe('bird6');
    expect(runner.runs[0]!.args.slice(0, 2)).toEqual(['-p', '-c']);
    expect(runner.runs[0]!.args[2]).not.toBe(configPath); // the staged copy, not the live file
    expect(control.loads).toEqual([rendered(topology())]);
    expect(readFileSync(`${configPath}.previous`, 'utf8')).toBe('old');
    expect(leftovers()).toEqual([]);
  });

  it('writes a new bird6.conf readable by its owner and group only (it holds TCP-MD5 passwords)', async () => {
    const { applier } = config(bird());
    await applier.apply(topology());
    expect(statSync(configPath).mode & 0o777).toBe(0o640);
  });

  it('keeps the mode and owner of the bird6.conf it replaces', async () => {
    const { applier } = config(bird());
    await applier.apply(topology());
    chmodSync(configPath, 0o600);
    // As root in CI: any owner can be given; elsewhere keep our own ids, and the mode still tells.
    const owner = process.getuid?.() === 0 ? { uid: 1234, gid: 4321 } : { uid: statSync(configPath).uid, gid: statSync(configPath).gid };
    chownSync(configPath, owner.uid, owner.gid);
    await applier.apply(topology(1));
    const after = statSync(configPath);
    expect(readFileSync(configPath, 'utf8')).toBe(rendered(topology(1)));
    expect({ mode: after.mode & 0o777, uid: after.uid, gid: after.gid }).toEqual({ mode: 0o600, ...owner });
  });

  it('logs with every apply the sessions it adds and removes, as birdctl plan shows them', async () => {
    const control = bird();
    const { applier, logs } = config(control);
    await applier.apply(topology(2));
    expect(logs.at(-1)).toMatchObject({ level: 'info', message: 'bird6 config applied', context: { sessions: 'sessions: added 3 (Global_fd00_ec__10, Global_fd00_ec__11, Mesh_fd00_ec__2), removed 0, restarted 0, changed in place 0' } });
    await applier.apply(topology(1));
    expect(logs.at(-1)).toMatchObject({ message: 'bird6 config applied', context: { sessions: 'sessions: added 0, removed 1 (Global_fd00_ec__11), restarted 0, changed in place 0' } });
  });

  it('does nothing at all for a render bird6 confirmed running', async () => {
    const control = bird();
    const { applier, runner } = config(control);
    await applier.apply(topology());
    expect(await applier.apply(topology())).toMatchObject({ ok: true, outcome: 'unchanged' });
    expect(await applier.resync(topology())).toBeUndefined();
    expect(runner.runs).toHaveLength(1);
    expect(control.loads).toHaveLength(1);
  });

  it('tells bird6 to load a file that holds the render but was never confirmed loaded (a kill after the rename)', async () => {
    writeFileSync(configPath, rendered(topology()));
    const control = bird();
    const { applier, runner } = config(control);
    expect(await applier.apply(topology())).toMatchObject({ ok: true, outcome: 'reloaded' });
    expect(control.loads).toEqual([rendered(topology())]);
    expect(runner.runs).toHaveLength(0); // it passed bird6 -p before it was put there
  });

  it('leaves the live file untouched and does not configure when bird6 -p rejects', async () => {
    writeFileSync(configPath, 'old');
    const control = bird();
    const { applier } = config(control, new FakeRunner(() => ({ exitCode: 1, stderr: 'bird: /x/.bird6.conf.tmp:4:8 syntax error\n' })));
    expect(await applier.apply(topology())).toMatchObject({ ok: false, outcome: 'rejected', error: expect.stringContaining('4:8 syntax error') });
    expect(readFileSync(configPath, 'utf8')).toBe('old');
    expect(control.loads).toHaveLength(0);
    expect(leftovers()).toEqual([]);
  });

  it('restores the previous file and reconfigures when bird6 refuses the new one', async () => {
    writeFileSync(configPath, 'old');
    const refusal = new BirdctlError('BIRD_CONFIG_REJECTED', 'bird failed "configure": 8002 Protocol Mesh_x: cannot start');
    const control = bird(refusal, { code: 3, text: 'Reconfigured' });
    const { applier } = config(control);
    expect(await applier.apply(topology())).toMatchObject({ ok: false, outcome: 'rejected' });
    expect(readFileSync(configPath, 'utf8')).toBe('old');
    expect(control.loads).toEqual([rendered(topology()), 'old']);
  });

  it('treats an unexpected success code as a failure, rolls back and tries again at the next resync', async () => {
    writeFileSync(configPath, 'old');
    const control = bird({ code: 6, text: 'Reconfiguration ignored, shutting down' });
    const { applier } = config(control);
    expect(await applier.apply(topology())).toMatchObject({ ok: false, outcome: 'failed', error: expect.stringMatching(/0006 Reconfiguration ignored/) });
    expect(readFileSync(configPath, 'utf8')).toBe('old');
    expect(await applier.resync(topology())).toMatchObject({ ok: true, outcome: 'applied' });
  });

  it('removes a first file that bird6 refused, so no rejected config stays on disk', async () => {
    const control = bird(new BirdctlError('BIRD_CONFIG_REJECTED', 'refused'));
    const { applier } = config(control);
    expect(await applier.apply(topology())).toMatchObject({ ok: false, outcome: 'rejected' });
    expect(existsSync(configPath)).toBe(false);
  });
});

describe('BirdConfig.resync heals a lost apply', () => {
  it('keeps a file bird6 did not answer for (hung), and configures it at the next resync', async () => {
    writeFileSync(configPath, 'old');
    const control = bird(timeout());
    const { applier, logs } = config(control);
    expect(await applier.apply(topology())).toMatchObject({ ok: false, outcome: 'pending', summary: expect.stringContaining('within 5000 ms') });
    expect(logs.at(-1)).toMatchObject({ level: 'warn', message: 'bird6 config written, not confirmed loaded' });
    expect(readFileSync(configPath, 'utf8')).toBe(rendered(topology()));
    expect(await applier.resync(topology())).toMatchObject({ ok: true, outcome: 'reloaded' });
    expect(control.loads).toEqual([rendered(topology()), rendered(topology())]);
  });

  it('configures at every resync while bird6 is unreachable, reporting the same failure once', async () => {
    const control = bird(unreachable(), unreachable(), unreachable());
    const { applier, logs } = config(control);
    expect(await applier.apply(topology())).toMatchObject({ outcome: 'pending' });
    expect(logs.at(-1)).toMatchObject({ level: 'info' }); // not running: normal while bird6 starts
    expect(await applier.resync(topology())).toBeUndefined();
    expect(logs.at(-1)).toMatchObject({ level: 'debug' });
    expect(await applier.resync(topology())).toBeUndefined();
    expect(await applier.resync(topology())).toMatchObject({ ok: true, outcome: 'reloaded' });
    expect(control.loads).toHaveLength(4);
  });

  it('writes again at the next resync after the write failed, and leaves no staged file', async () => {
    writeFileSync(configPath, 'old');
    const control = bird();
    const { applier } = config(control);
    // The directory cannot take the staged file (as on a read-only or full disk; root ignores modes).
    rmSync(join(dir, 'etc'), { recursive: true });
    writeFileSync(join(dir, 'etc'), 'a file where the directory was');
    expect(await applier.apply(topology())).toMatchObject({ ok: false, outcome: 'failed', summary: expect.stringContaining('retried at the next resync') });
    rmSync(join(dir, 'etc'));
    mkdirSync(join(dir, 'etc'));
    writeFileSync(configPath, 'old');
    expect(await applier.resync(topology())).toMatchObject({ ok: true, outcome: 'applied' });
    expect(readFileSync(configPath, 'utf8')).toBe(rendered(topology()));
    expect(leftovers()).toEqual([]);
  });

  it('retries a bird6 -p that could not run, but not a render bird6 -p refused', async () => {
    let calls = 0;
    const runner = new FakeRunner();
    runner.run = async (file, args, options) => {
      runner.runs.push({ file, args, options });
      calls += 1;
      if (calls === 1) throw new BirdctlError('COMMAND_FAILED', 'could not run bird6: ENOENT');
      return { stdout: '', stderr: 'bird: x:1:1 syntax error\n', exitCode: 1 };
    };
    const { applier } = config(bird(), runner);
    expect(await applier.apply(topology())).toMatchObject({ outcome: 'failed' });
    expect(await applier.resync(topology())).toMatchObject({ outcome: 'rejected' });
    expect(await applier.resync(topology())).toBeUndefined();
    expect(await applier.apply(topology())).toMatchObject({ outcome: 'rejected' });
    expect(runner.runs).toHaveLength(2);
    // A different render is tried at once.
    expect(await applier.apply(topology(1))).toMatchObject({ outcome: 'rejected' });
    expect(runner.runs).toHaveLength(3);
  });
  it('logs every rejected render as an error, not only the first (a different render is news)', async () => {
    let checks = 0;
    const runner = new FakeRunner(({ args }) => ({ exitCode: 1, stderr: `bird: ${args[2]}:${(checks += 1)}:1 syntax error\n` }));
    const { applier, logs } = config(bird(), runner);
    await applier.apply(topology());
    await applier.apply(topology(1));
    const rejections = logs.filter((l) => l.message === 'bird6 config not applied');
    expect(rejections.map((l) => [l.level, l.context.outcome])).toEqual([['error', 'rejected'], ['error', 'rejected']]);
  });
});

describe('BirdConfig.start', () => {
  it('removes the staged copies a killed predecessor left, and nothing else', async () => {
    writeFileSync(join(dir, 'etc', '.bird6.conf.deadbeef.tmp'), 'half');
    writeFileSync(join(dir, 'etc', '.bird6.conf.notes.tmp'), 'someone else');
    const { applier, logs } = config(bird());
    await applier.start();
    expect(readdirSync(join(dir, 'etc'))).toEqual(['.bird6.conf.notes.tmp']);
    expect(logs).toMatchObject([{ level: 'info', context: { files: ['.bird6.conf.deadbeef.tmp'] } }]);
  });
});
