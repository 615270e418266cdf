import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BirdctlError } from '../../src/errors.ts';
import { applyConfig, type ConfigureReply } from '../../src/render/apply.ts';
import { FakeRunner } from '../support/fake-runner.ts';

let dir: string;
let configPath: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'apply-'));
  configPath = join(dir, 'bird6.conf');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** configure() answers from a list, one entry per call; records how often it was called. */
function configurer(...answers: Array<ConfigureReply | BirdctlError>) {
  const calls: string[] = [];
  return {
    calls,
    configure: async () => {
      calls.push(readFileSync(configPath, 'utf8'));
      const answer = answers.shift() ?? { code: 3, text: 'Reconfigured' };
      if (answer instanceof BirdctlError) throw answer;
      return answer;
    },
  };
}

const leftovers = () => readdirSync(dir).filter((f) => f.endsWith('.tmp'));

describe('applyConfig', () => {
  it('does nothing at all when the content is unchanged', async () => {
    writeFileSync(configPath, 'same');
    const runner = new FakeRunner();
    const bird = configurer();
    expect(await applyConfig('same', { runner, configPath, configure: bird.configure })).toEqual({ outcome: 'unchanged' });
    expect(runner.runs).toHaveLength(0);
    expect(bird.calls).toHaveLength(0);
  });

  it('checks the staged file with bird6 -p, renames it into place and configures', async () => {
    writeFileSync(configPath, 'old');
    const runner = new FakeRunner();
    const bird = configurer({ code: 3, text: 'Reconfigured' });
    const result = await applyConfig('new', { runner, configPath, configure: bird.configure });
    expect(result).toEqual({ outcome: 'applied', reply: { code: 3, text: 'Reconfigured' } });
    expect(runner.runs[0]!.file).toBe('bird6');
    expect(runner.runs[0]!.args.slice(0, 2)).toEqual(['-p', '-c']);
    expect(runner.runs[0]!.args[2]).not.toBe(configPath); // the staged copy, not the live file
    expect(bird.calls).toEqual(['new']);
    expect(readFileSync(configPath, 'utf8')).toBe('new');
    expect(leftovers()).toEqual([]);
  });

  it('leaves the live file untouched and does not configure when bird6 -p rejects', async () => {
    writeFileSync(configPath, 'old');
    const runner = new FakeRunner(() => ({ exitCode: 1, stderr: 'bird: /x/.bird6.conf.tmp:4:8 syntax error\n' }));
    const bird = configurer();
    await expect(applyConfig('broken', { runner, configPath, configure: bird.configure })).rejects.toMatchObject({
      code: 'BIRD_CONFIG_REJECTED',
      message: expect.stringContaining('4:8 syntax error'),
    });
    expect(readFileSync(configPath, 'utf8')).toBe('old');
    expect(bird.calls).toHaveLength(0);
    expect(leftovers()).toEqual([]);
  });

  it('restores the previous file and reconfigures when bird6 refuses the new one', async () => {
    writeFileSync(configPath, 'old');
    const bird = configurer(new BirdctlError('BIRD_CONFIG_REJECTED', 'bird failed "configure": 8002 Protocol Mesh_x: cannot start'), { code: 3, text: 'Reconfigured' });
    await expect(applyConfig('new', { runner: new FakeRunner(), configPath, configure: bird.configure })).rejects.toMatchObject({ code: 'BIRD_CONFIG_REJECTED' });
    expect(readFileSync(configPath, 'utf8')).toBe('old');
    expect(bird.calls).toEqual(['new', 'old']);
  });

  it('treats an unexpected success code as a refusal and rolls back', async () => {
    writeFileSync(configPath, 'old');
    const bird = configurer({ code: 6, text: 'Reconfiguration ignored, shutting down' });
    await expect(applyConfig('new', { runner: new FakeRunner(), configPath, configure: bird.configure })).rejects.toThrow(/0006 Reconfiguration ignored/);
    expect(readFileSync(configPath, 'utf8')).toBe('old');
  });

  it('keeps the new file when bird6 is not running: it reads it when it starts', async () => {
    const bird = configurer(new BirdctlError('BIRD_UNREACHABLE', 'cannot connect to /run/bird/bird6.ctl'));
    const result = await applyConfig('first', { runner: new FakeRunner(), configPath, configure: bird.configure });
    expect(result).toMatchObject({ outcome: 'written' });
    expect(readFileSync(configPath, 'utf8')).toBe('first');
  });

  it('removes a first file that bird6 refused, so no rejected config stays on disk', async () => {
    const bird = configurer(new BirdctlError('BIRD_CONFIG_REJECTED', 'refused'));
    await expect(applyConfig('first', { runner: new FakeRunner(), configPath, configure: bird.configure })).rejects.toThrow('refused');
    expect(existsSync(configPath)).toBe(false);
  });
});
