import { describe, expect, it } from 'vitest';
import { execaRunner } from '../src/exec.ts';

describe('execaRunner', () => {
  it('returns stdout, stderr and a non-zero exit code as a result', async () => {
    const ok = await execaRunner.run('printf', ['%s\\n', 'a b', 'c']);
    expect(ok).toEqual({ stdout: 'a b\nc\n', stderr: '', exitCode: 0 });
    const failed = await execaRunner.run('ls', ['/definitely/not/here']);
    expect(failed.exitCode).not.toBe(0);
    expect(failed.stderr).toMatch(/not/);
  });

  it('passes arguments verbatim: no shell interprets them', async () => {
    const result = await execaRunner.run('printf', ['%s', '$(echo injected); `id` | cat > /tmp/x']);
    expect(result.stdout).toBe('$(echo injected); `id` | cat > /tmp/x');
  });

  it('feeds input on stdin', async () => {
    expect((await execaRunner.run('cat', [], { input: 'route add x\n' })).stdout).toBe('route add x\n');
  });

  it('throws COMMAND_FAILED for a missing binary and for a timeout', async () => {
    await expect(execaRunner.run('no-such-binary-birdctl', [])).rejects.toMatchObject({ code: 'COMMAND_FAILED' });
    await expect(execaRunner.run('sleep', ['5'], { timeoutMs: 100 })).rejects.toMatchObject({ code: 'COMMAND_FAILED', hint: expect.stringMatching(/in time/) });
  });

  it('starts a long-running child, streams its lines and kills it by PID', async () => {
    const lines: string[] = [];
    const child = execaRunner.start(process.execPath, ['-e', "console.log('one'); console.log('two'); setTimeout(() => {}, 30000)"], {
      onLine: (l) => lines.push(l),
    });
    expect(child.pid).toBeGreaterThan(0);
    for (let i = 0; i < 50 && lines.length < 2; i += 1) await new Promise((r) => setTimeout(r, 20));
    expect(lines).toEqual(['one', 'two']);
    child.kill('SIGTERM');
    expect(await child.exited).toBeNull();
  });
});

describe('execaRunner.start with a log file, detached', () => {
  it('keeps the child logging after its parent has exited (no pipe through the parent)', async () => {
    const { mkdtempSync, readFileSync, writeFileSync, rmSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const { execFileSync } = await import('node:child_process');
    const dir = mkdtempSync(join(tmpdir(), 'exec-detached-'));
    try {
      const log = join(dir, 'child.log');
      const child = "let i = 0; const t = setInterval(() => { console.error('line ' + i); if (++i === 8) clearInterval(t); }, 100);";
      const parent = join(dir, 'parent.mts');
      writeFileSync(parent, [
        `import { execaRunner } from ${JSON.stringify(new URL('../src/exec.ts', import.meta.url).pathname)};`,
        `const p = execaRunner.start(process.execPath, ['-e', ${JSON.stringify(child)}], { detached: true, logFile: ${JSON.stringify(log)} });`,
        'console.log(p.pid);',
        'process.exit(0);',
      ].join('\n'));
      execFileSync(process.execPath, ['--import', 'tsx', parent], { cwd: new URL('..', import.meta.url).pathname });
      await new Promise((r) => setTimeout(r, 1500));
      expect(readFileSync(log, 'utf8').trim().split('\n')).toEqual(Array.from({ length: 8 }, (_, i) => `line ${i}`));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
