import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readState, StateRecorder, statePath } from '../../src/lab/state.ts';

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'lab-state-'));
  dirs.push(dir);
  return dir;
}
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

const initial = { prefix: 'blt', topologyFile: '/t.yaml', startedAt: '2025-01-01T00:00:00.000Z' };

describe('lab state', () => {
  it('is written through on every update, so a crash leaves what was made on disk', () => {
    const dir = join(tempDir(), 'nested');
    const recorder = StateRecorder.claim(dir, initial);
    expect(readState(dir)).toMatchObject({ ...initial, namespaces: [] });
    recorder.update((s) => s.namespaces.push('blt-node1'));
    recorder.update((s) => s.processes.push({ role: 'agent node1', pid: 1234, netns: 'blt-node1' }));
    expect(JSON.parse(readFileSync(statePath(dir), 'utf8'))).toMatchObject({ namespaces: ['blt-node1'], processes: [{ pid: 1234 }] });
    expect(existsSync(`${statePath(dir)}.tmp`)).toBe(false);
  });

  it('refuses a second claim while a state file exists, saying which lab and how to remove it', () => {
    const dir = tempDir();
    StateRecorder.claim(dir, initial);
    expect(() => StateRecorder.claim(dir, { ...initial, prefix: 'other' })).toThrow(
      expect.objectContaining({ code: 'LAB_RUNNING', exitCode: 1, message: expect.stringContaining('prefix blt, topology /t.yaml'), hint: expect.stringContaining(`lab down --state-dir ${dir}`) }),
    );
    expect(readState(dir)?.prefix).toBe('blt');
  });

  it('reads no state as undefined and a torn file as an error with a way out', () => {
    const dir = tempDir();
    expect(readState(dir)).toBeUndefined();
    writeFileSync(statePath(dir), '{"version": 1, "pre');
    expect(() => readState(dir)).toThrow(expect.objectContaining({ hint: expect.stringContaining('lab down') }));
  });
});
