// birdctlCommand from source: the lab's children run the tsx entry, the same code as their parent
// (build.test.ts shows the compiled module picks the compiled bin).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { birdctlCommand } from '../src/birdctl-self.ts';

describe('bld: birdctlCommand', () => {
  it('runs the tsx entry with this node when the code runs from source', () => {
    const command = birdctlCommand(['lab', 'orchestrate']);
    expect(command).toEqual({ file: process.execPath, args: [join(import.meta.dirname, '../src/cli/birdctl.mjs'), 'lab', 'orchestrate'] });
    expect(existsSync(command.args[0]!)).toBe(true);
  });
});
