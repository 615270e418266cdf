// birdctlCommand and the install directory from source: the lab's children run the tsx entry, the
// same code as their parent, and the data files are found in the repository. The compiled side
// (the bundle in dist/) is test/cli/build.test.ts (render finds the templates) and
// test/integration/lab-bundle.test.ts (a compiled lab starts compiled agents).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { birdctlCommand } from '../src/birdctl-self.ts';
import { DEFAULT_TOPOLOGY } from '../src/cli/lab.ts';
import { INSTALL_DIR } from '../src/install-dir.ts';
import { TEMPLATE_DIR } from '../src/render/environment.ts';

const ROOT = join(import.meta.dirname, '..');

describe('bld: birdctlCommand', () => {
  it('runs the tsx entry with this node when the code runs from source', () => {
    const command = birdctlCommand(['lab', 'orchestrate']);
    expect(command).toEqual({ file: process.execPath, args: [join(ROOT, 'src/cli/birdctl.mjs'), 'lab', 'orchestrate'] });
    expect(existsSync(command.args[0]!)).toBe(true);
  });
});

describe('bld: the install directory', () => {
  it('is the repository, where the templates and the lab default topology are', () => {
    expect(INSTALL_DIR).toBe(ROOT);
    expect(TEMPLATE_DIR).toBe(join(ROOT, 'bird-templates'));
    expect(existsSync(join(TEMPLATE_DIR, 'bird6.conf.njk'))).toBe(true);
    expect(DEFAULT_TOPOLOGY).toBe(join(ROOT, 'topology/example.yaml'));
    expect(existsSync(DEFAULT_TOPOLOGY)).toBe(true);
  });
});
