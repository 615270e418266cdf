import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/main.ts';
import type { CommandContext } from '../../src/cli/command.ts';
import { BirdctlError } from '../../src/errors.ts';
import { render } from '../../src/render/render.ts';
import { loadTopology } from '../../src/topology/index.ts';
import { EXAMPLE_TOPOLOGIES } from '../support/examples.ts';
import { FakeRunner } from '../support/fake-runner.ts';

const EXAMPLE = EXAMPLE_TOPOLOGIES.find((f) => f.endsWith('/example.yaml'))!;
const context: CommandContext = { runner: new FakeRunner(), env: {}, now: () => new Date(), write: () => {}, signal: new AbortController().signal };

let dir: string;
beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'render-cli-'))));
afterEach(() => rmSync(dir, { recursive: true, force: true }));

async function fails(argv: string[]): Promise<BirdctlError> {
  try {
    await runCli(argv, context);
  } catch (error) {
    return error as BirdctlError;
  }
  throw new Error(`expected ${argv.join(' ')} to fail`);
}

describe('birdctl render', () => {
  it('--node prints exactly that node\'s config', async () => {
    const result = await runCli(['render', EXAMPLE, '--node', 'node2'], context);
    expect(result.exitCode).toBe(0);
    expect(result.output).toBe(render(await loadTopology(EXAMPLE), 'node2'));
  });

  it('--route-protocol N makes the kernel protocol import routes of that number, and refuses the kernel\'s own', async () => {
    const result = await runCli(['render', EXAMPLE, '--node', 'node1', '--route-protocol', '81'], context);
    expect(result.output).toContain('if krt_source = 81 && net.len = 128');
    expect(result.output).not.toContain('krt_source = 80');
    for (const bad of ['4', '256', '0x50', '']) {
      expect((await fails(['render', EXAMPLE, '--node', 'node1', '--route-protocol', bad])).code).toBe('USAGE');
    }
  });

  it('--out writes every node\'s bird6.conf, and dnsmasq.conf only where the node has VMs', async () => {
    const out = join(dir, 'out');
    const result = await runCli(['render', EXAMPLE, '--out', out], context);
    expect(result.exitCode).toBe(0);
    expect(readdirSync(out).sort()).toEqual(['node1', 'node2', 'node3']);
    expect(readdirSync(join(out, 'node1'))).toEqual(['bird6.conf']);
    expect(readdirSync(join(out, 'node3')).sort()).toEqual(['bird6.conf', 'dnsmasq.conf']);
    expect(readFileSync(join(out, 'node3', 'dnsmasq.conf'), 'utf8')).toContain('dhcp-host=02:00:00:00:00:30,[fd00:10::30]');
    expect(result.output).toContain(`wrote ${join(out, 'node3', 'dnsmasq.conf')}`);
  });

  it('replaces existing files without leaving temporary files behind', async () => {
    const out = join(dir, 'out');
    mkdirSync(join(out, 'node1'), { recursive: true });
    writeFileSync(join(out, 'node1', 'bird6.conf'), 'stale');
    await runCli(['render', EXAMPLE, '--out', out], context);
    expect(readFileSync(join(out, 'node1', 'bird6.conf'), 'utf8')).toContain('router id');
    expect(readdirSync(join(out, 'node1'))).toEqual(['bird6.conf']);
  });

  it('writes nothing at all for an invalid topology (exit 2)', async () => {
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, readFileSync(EXAMPLE, 'utf8').replace('address: fd00:ec::3', 'address: fd00:ec::1'));
    const out = join(dir, 'out');
    const error = await fails(['render', bad, '--out', out]);
    expect(error.exitCode).toBe(2);
    expect(error.problems[0]!.path).toBe('nodes[2].address');
    expect(existsSync(out)).toBe(false);
  });

  it('refuses an unknown node and bad usage with exit 2', async () => {
    expect((await fails(['render', EXAMPLE, '--node', 'nodeX'])).code).toBe('NODE_UNKNOWN');
    expect((await fails(['render', EXAMPLE])).code).toBe('USAGE');
    expect((await fails(['render', EXAMPLE, '--node', 'node1', '--out', dir])).code).toBe('USAGE');
    expect((await fails(['render', EXAMPLE, '--nod', 'node1'])).exitCode).toBe(2);
  });
});
