// Every command's --help text, as `birdctl NAME --help` prints it: a merge that left both sides
// of a conflict in a template string compiles, so only the text itself can show it.
import { describe, expect, it } from 'vitest';
import { COMMANDS } from '../../src/cli/commands.ts';

describe('command help texts', () => {
  it.each(COMMANDS.map((c) => [c.name, c] as const))('`birdctl %s --help` carries no merge conflict markers', async (_name, entry) => {
    const { help } = await entry.load();
    expect(help).not.toMatch(/^(<{7}|={7}|>{7})( |$)/m);
  });

  it('`birdctl agent --help` names BIRDCTL_NODE once and the default bird6.conf path', async () => {
    const { help } = await COMMANDS.find((c) => c.name === 'agent')!.load();
    expect(help.match(/--config PATH/g)).toHaveLength(1);
    expect(help).toContain('or set BIRDCTL_NODE');
    expect(help).toContain('(default /etc/bird/bird6.conf)');
  });
});
