// A lab of one test file's own, run as `birdctl lab up` runs it (real agents through
// birdctlAgentLauncher, real bird6): a temporary work dir holding the topology copy and the state
// dir, `lab down` for the file's prefix, and removal of it all for afterAll.
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { processRunner } from '../../src/exec.ts';
import { labDown, type DownReport } from '../../src/lab/down.ts';
import { birdctlAgentLauncher, labUp, type AgentLauncher, type UpReport } from '../../src/lab/up.ts';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export class LabBed {
  readonly work: string;
  readonly stateDir: string;
  /** the topology file the lab runs */
  readonly file: string;

  /** `copy` writes the topology into the work dir under the prefix (test/lab/topology-copy.ts) and returns its path. */
  constructor(readonly prefix: string, copy: (work: string, prefix: string) => string) {
    this.work = mkdtempSync(join(tmpdir(), `${prefix}-`));
    // dnsmasq drops to nobody and must still read its hosts file below the state dir.
    chmodSync(this.work, 0o755);
    this.stateDir = join(this.work, 'state');
    this.file = copy(this.work, prefix);
  }

  down(): Promise<DownReport> {
    return labDown({ stateDir: this.stateDir, prefix: this.prefix }, { runner: processRunner, sleep });
  }

  /** `lab down` (what an earlier run that crashed left behind), then `lab up`. */
  async up(timeoutMs: number, launcher: AgentLauncher = birdctlAgentLauncher(processRunner)): Promise<UpReport> {
    await this.down();
    return labUp(
      { topologyFile: this.file, prefix: this.prefix, stateDir: this.stateDir, timeoutMs },
      { runner: processRunner, launcher, now: () => new Date(), sleep },
    );
  }

  /** `lab down`, then the work dir goes. */
  async remove(): Promise<void> {
    await this.down();
    rmSync(this.work, { recursive: true, force: true });
  }
}
