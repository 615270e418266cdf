// `node two-batches.mjs NS ROUTES_FILE NEIGH_FILE`: a Node process that only feeds two files of
// ip batch lines to two `ip -6 -batch` processes in namespace NS at once, as birdctl writes a host
// phase with many proxy entries (src/endpoints/ip-dataplane.ts), and exits when both have. The
// endpoints-apply benchmark times it as the floor of any Node program that programs those lines:
// Node's start, two children and the kernel's work, nothing read, parsed or diffed.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';

const [ns, ...files] = process.argv.slice(2);
const batch = (file) =>
  new Promise((resolve, reject) => {
    const child = spawn('ip', ['netns', 'exec', ns, 'ip', '-6', '-batch', '-', '-force'], { stdio: ['pipe', 'ignore', 'inherit'] });
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`ip -batch exit ${code}`))));
    child.stdin.end(readFileSync(file));
  });
await Promise.all(files.map(batch));
