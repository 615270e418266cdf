// The directory birdctl is installed in: the repository in development, /opt/bird6-controller in
// the image (Dockerfile). birdctl finds its data files (bird-templates/, topology/) and its
// compiled bin from there. It is the nearest directory above this module that holds a
// package.json, the package scope Node itself reads "type": "module" from, so it is the same
// whether this code runs as src/install-dir.ts through tsx or from the bundle in dist/cli/
// (scripts/build.mjs): a path relative to import.meta.url would not be.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function packageDirAbove(file: string): string {
  for (let dir = dirname(file); ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) throw new Error(`birdctl: no package.json above ${file}, so no install directory`);
  }
}

export const INSTALL_DIR = packageDirAbove(fileURLToPath(import.meta.url));

/** A path inside the install directory, from a relative one such as `bird-templates`. */
export function installPath(relative: string): string {
  return join(INSTALL_DIR, relative);
}
