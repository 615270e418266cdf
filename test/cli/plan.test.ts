import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CommandContext } from '../../src/cli/command.ts';
import { planCommand } from '../../src/cli/plan.ts';
import { BirdctlError } from '../../src/errors.ts';
import { TOPOLOGY_DIR } from '../support/examples.ts';

// Every case here fails before the kernel or bird6 is looked at: a runner that would be called
// throws, so a test that reached the dataplane would fail.
const context: CommandContext = {
  runner: { run: () => Promise.reject(new Error('the kernel must not be asked')), start: () => { throw new Error('no processes'); } },
  env: {},
  now: () => new Date(),
  write: () => {},
  signal: new AbortController().signal,
};

const refusal = (argv: string[]) => planCommand.run(argv, context).catch((e: unknown) => e);

describe('birdctl plan: bad input is exit 2', () => {
  const example = join(TOPOLOGY_DIR, 'example.yaml');

  it.each([
    [[example], /--node NAME is required/],
    [['--node', 'node1'], /expected exactly one topology FILE/],
    [[example, '--node', 'node1', '--netns', 'bad name'], /not a valid network namespace name/],
    [[example, '--node', 'node1', '--config', 'a\nb'], /--config must be a path without control characters/],
    [[example, '--node', 'node1', '--route-protocol', '300'], /--route-protocol "300" is not a number from 5 to 255/],
  ])('refuses %j', async (argv, message) => {
    expect(await refusal(argv)).toMatchObject({ code: 'USAGE', exitCode: 2, message: expect.stringMatching(message) });
  });

  it('refuses an invalid topology and an unknown node', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'obs-plan-'));
    writeFileSync(join(dir, 'bad.yaml'), 'apiVersion: bird6-controller/v1\ncluster: { name: x }\n');
    const invalid = await refusal([join(dir, 'bad.yaml'), '--node', 'node1']);
    expect(invalid).toBeInstanceOf(BirdctlError);
    expect((invalid as BirdctlError).exitCode).toBe(2);
    const unknown = await refusal([example, '--node', 'node9']);
    expect(unknown).toMatchObject({ exitCode: 2, message: expect.stringMatching(/node9/) });
  });

  it('refuses a --config that is not a regular file, naming it as bird6\'s config, not as a topology', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'obs-plan-'));
    mkdirSync(join(dir, 'bird6.conf'));
    const refused = await refusal([example, '--node', 'node1', '--config', join(dir, 'bird6.conf')]);
    expect(refused).toMatchObject({ exitCode: 2, message: `cannot read bird6 config ${join(dir, 'bird6.conf')}: it is a directory, not a regular file` });
  });
});
