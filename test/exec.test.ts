import { describe, expect, it } from 'vitest';
import { processRunner } from '../src/exec.ts';

describe('processRunner', () => {
  it('returns stdout, stderr and a non-zero exit code as a result', async () => {
    const ok = await processRunner.run('printf', ['%s\\n', 'a b', 'c']);
    expect(ok).toEqual({ stdout: 'a b\nc\n', stderr: '', exitCode: 0 });
    const failed = await processRunner.run('ls', ['/definitely/not/here']);
    expect(failed.exitCode).not.toBe(0);
    expect(failed.stderr).toMatch(/not/);
  });

  it('passes arguments verbatim: no shell interprets them', async () => {
    const result = await processRunner.run('printf', ['%s', '$(echo injected); `id` | cat > /tmp/x']);
    expect(result.stdout).toBe('$(echo injected); `id` | cat > /tmp/x');
  });

  it('feeds input on stdin', async () => {
    expect((await processRunner.run('cat', [], { input: 'route add x\n' })).stdout).toBe('route add x\n');
  });

  it('throws COMMAND_FAILED for a missing binary and for a timeout', async () => {
    await expect(processRunner.run('no-such-binary-birdctl', [])).rejects.toMatchObject({ code: 'COMMAND_FAILED' });
    await expect(processRunner.run('sleep', ['5'], { timeoutMs: 100 })).rejects.toMatchObject({ code: 'COMMAND_FAILED', hint: expect.stringMatching(/in time/) });
  });

  it('starts a long-running child, streams its lines and kills it by PID', async () => {
    const lines: string[] = [];
    const child = processRunner.start(process.execPath, ['-e', "console.log('one'); console.log('two'); setTimeout(() => {}, 30000)"], {
      onLine: (l) => lines.push(l),
    });
    expect(child.pid).toBeGreaterThan(0);
    for (let i = 0; i < 50 && lines.length < 2; i += 1) await new Promise((r) => setTimeout(r, 20));
    expect(lines).toEqual(['one', 'two']);
    child.kill('SIGTERM');
    expect(await child.exited).toBeNull();
  });
});

describe('processRunner.run on node:child_process', () => {
  const node = (script: string) => [process.execPath, ['-e', script]] as const;

  it('adds env to this process environment instead of replacing it', async () => {
    const [file, args] = node("process.stdout.write(`${process.env.EXEC_TEST_ADDED} ${process.env.PATH === undefined ? 'no PATH' : 'PATH'}`)");
    expect((await processRunner.run(file, args, { env: { EXEC_TEST_ADDED: 'yes' } })).stdout).toBe('yes PATH');
  });

  it('gives a child without input an empty stdin (it sees end of file at once)', async () => {
    expect(await processRunner.run('cat', [])).toEqual({ stdout: '', stderr: '', exitCode: 0 });
  });

  it('feeds input larger than a pipe holds, and survives a child that reads none of it', async () => {
    const input = 'x'.repeat(1_000_000);
    expect((await processRunner.run('cat', [], { input })).stdout).toBe(input);
    expect(await processRunner.run('true', [], { input })).toEqual({ stdout: '', stderr: '', exitCode: 0 });
  });

  it('keeps characters whole that span two chunks of output', async () => {
    const [file, args] = node("process.stdout.write('é'.repeat(200000)); process.stderr.write('ü'.repeat(100000))");
    const result = await processRunner.run(file, args);
    expect(result.stdout).toBe('é'.repeat(200000));
    expect(result.stderr).toBe('ü'.repeat(100000));
  });

  it('throws COMMAND_FAILED and kills the child when its output exceeds the bound', async () => {
    const [file, args] = node("process.stdout.write('y'.repeat(50000)); setTimeout(() => {}, 30000)");
    await expect(processRunner.run(file, args, { maxOutputBytes: 10000 })).rejects.toMatchObject({ code: 'COMMAND_FAILED', message: expect.stringMatching(/stdout exceeded 10000 bytes/) });
  });

  it('throws COMMAND_FAILED for a child killed by a signal (no exit code to report)', async () => {
    const [file, args] = node("process.kill(process.pid, 'SIGKILL')");
    await expect(processRunner.run(file, args)).rejects.toMatchObject({ code: 'COMMAND_FAILED', message: expect.stringMatching(/killed by SIGKILL/) });
  });
});

describe('processRunner.start', () => {
  it('throws COMMAND_FAILED for a missing binary', () => {
    expect(() => processRunner.start('no-such-binary-birdctl', [])).toThrow(expect.objectContaining({ code: 'COMMAND_FAILED' }));
  });

  it('sends SIGKILL to a child that ignores the SIGTERM of kill()', async () => {
    const lines: string[] = [];
    const child = processRunner.start(process.execPath, ['-e', "process.on('SIGTERM', () => {}); console.log('ready'); setInterval(() => {}, 1000)"], { onLine: (l) => lines.push(l) });
    for (let i = 0; i < 100 && lines.length === 0; i += 1) await new Promise((r) => setTimeout(r, 20));
    child.kill();
    expect(await child.exited).toBeNull();
  }, 15_000);
});

describe('processRunner children without detached', () => {
  it('are killed when their parent exits; detached ones are not', async () => {
    const { mkdtempSync, writeFileSync, rmSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const { execFileSync } = await import('node:child_process');
    const dir = mkdtempSync(join(tmpdir(), 'exec-attached-'));
    const alive = (pid: number) => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    };
    let pids: { attached: number; detached: number } | undefined;
    try {
      const parent = join(dir, 'parent.mts');
      writeFileSync(parent, [
        `import { processRunner } from ${JSON.stringify(new URL('../src/exec.ts', import.meta.url).pathname)};`,
        "const attached = processRunner.start('sleep', ['30']);",
        "const detached = processRunner.start('sleep', ['30'], { detached: true });",
        'console.log(JSON.stringify({ attached: attached.pid, detached: detached.pid }));',
        'process.exit(0);',
      ].join('\n'));
      pids = JSON.parse(execFileSync(process.execPath, ['--import', 'tsx', parent], { cwd: new URL('..', import.meta.url).pathname, encoding: 'utf8' })) as { attached: number; detached: number };
      // The attached sleep is this test's grandchild: once killed, init reaps it.
      for (let i = 0; i < 100 && alive(pids.attached); i += 1) await new Promise((r) => setTimeout(r, 20));
      expect(alive(pids.attached)).toBe(false);
      expect(alive(pids.detached)).toBe(true);
    } finally {
      if (pids !== undefined && alive(pids.detached)) process.kill(pids.detached, 'SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('processRunner.start with a log file, detached', () => {
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
        `import { processRunner } from ${JSON.stringify(new URL('../src/exec.ts', import.meta.url).pathname)};`,
        `const p = processRunner.start(process.execPath, ['-e', ${JSON.stringify(child)}], { detached: true, logFile: ${JSON.stringify(log)} });`,
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

describe('processRunner.run with stdoutToFile', () => {
  const node = (script: string) => [process.execPath, ['-e', script]] as const;

  it('returns what the child printed, whole characters included, and leaves no file behind', async () => {
    const { readdirSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const ours = () => readdirSync(tmpdir()).filter((name) => name.startsWith('birdctl-stdout-')).length;
    const before = ours();
    const [file, args] = node("for (let i = 0; i < 2000; i += 1) process.stdout.write('é' + i + '\\n'); process.stderr.write('warn')");
    const result = await processRunner.run(file, args, { stdoutToFile: true });
    expect(result).toEqual({ stdout: Array.from({ length: 2000 }, (_, i) => `é${i}\n`).join(''), stderr: 'warn', exitCode: 0 });
    expect(ours()).toBe(before);
  });

  // The point of the file: a child printing much in small writes (ip -json flushes each entry)
  // is not held up by a full pipe while this process is busy with something else.
  it('lets the child print everything and exit while this process is too busy to read', async () => {
    const { existsSync, mkdtempSync, rmSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const dir = mkdtempSync(join(tmpdir(), 'exec-busy-'));
    try {
      const done = join(dir, 'done');
      const [file, args] = node(`const fs = require('node:fs'); for (let i = 0; i < 20000; i += 1) fs.writeSync(1, 'x'.repeat(99) + '\\n'); fs.writeFileSync(${JSON.stringify(done)}, '')`);
      const running = processRunner.run(file, args, { stdoutToFile: true });
      // Busy without reading, as a topology load is: through a pipe (64 KiB) the child would stop
      // at its first 64 KiB until this loop gave up.
      const deadline = Date.now() + 10_000;
      while (!existsSync(done) && Date.now() < deadline);
      expect(existsSync(done)).toBe(true);
      expect((await running).stdout.length).toBe(2_000_000);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);

  it('bounds the output as through the pipe: more than maxOutputBytes kills the child and throws', async () => {
    const [file, args] = node("process.stdout.write('y'.repeat(50000)); setTimeout(() => {}, 30000)");
    await expect(processRunner.run(file, args, { stdoutToFile: true, maxOutputBytes: 10000 })).rejects.toMatchObject({ code: 'COMMAND_FAILED', message: expect.stringMatching(/stdout exceeded 10000 bytes/) });
  });
});
