// The lab's record of everything it made, written to `<stateDir>/state.json` as each thing is
// made (before the next step can fail), so `lab down` can undo a lab that crashed half-way up.
// The file doubles as the lab's lock: it exists exactly while a lab (or its debris) does.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BirdctlError } from '../errors.ts';

export interface LabProcess {
  /** what it is, for messages: `agent node1`, `dhclient vm-1` */
  role: string;
  pid: number;
  netns: string;
}

export interface LabState {
  version: 1;
  /** namespace name prefix; `lab down` also sweeps namespaces that carry it */
  prefix: string;
  topologyFile: string;
  startedAt: string;
  /** every namespace the lab created, in creation order */
  namespaces: string[];
  /** long-running processes the lab started itself */
  processes: LabProcess[];
  /** pid files written by processes the lab started (bird6, dnsmasq, dhclient) */
  pidFiles: string[];
  /** files and directories outside the node directories, removed on down (directories last) */
  files: string[];
  /** directories the lab owns wholesale (node and VM directories), removed recursively */
  dirs: string[];
  /** where each node and endpoint lives, for `lab exec` and `lab status` */
  nodes: Array<{ name: string; netns: string; socket: string; address: string }>;
  endpoints: LabEndpointRecord[];
  /** set once every session is Established and every route is everywhere */
  readyAt?: string;
  /**
   * The copy of the topology the agents watch (orchestrator.ts publishes the user's file to it
   * once the endpoints' namespaces exist, as an orchestrator creates a sandbox before its network).
   */
  agentTopology?: string;
  /** the orchestrator process `lab up` leaves running; it records itself here when it starts */
  orchestrator?: { pid: number; pidFile: string; log: string };
}

/** An endpoint the lab stands in for; the namespace is the lab's only when `namespaces` lists it. */
export interface LabEndpointRecord {
  name: string;
  node: string;
  kind: 'container' | 'vm';
  netns: string;
  /** a VM's tap stand-in and MAC, so a change of either is seen as a new VM */
  tap?: string;
  mac?: string;
}

export const STATE_FILE = 'state.json';

export function statePath(stateDir: string): string {
  return join(stateDir, STATE_FILE);
}

export function readState(stateDir: string): LabState | undefined {
  let text: string;
  try {
    text = readFileSync(statePath(stateDir), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  try {
    return JSON.parse(text) as LabState;
  } catch (error) {
    throw new BirdctlError('INTERNAL', `lab state ${statePath(stateDir)} is not valid JSON`, {
      hint: 'the lab crashed while writing it; remove the file and run birdctl lab down --prefix PREFIX to sweep the namespaces',
      cause: error,
    });
  }
}

/** The state of the lab that is up; LAB_NOT_RUNNING (exit 1) when there is none. */
export function requireState(stateDir: string): LabState {
  const state = readState(stateDir);
  if (state === undefined) {
    throw new BirdctlError('LAB_NOT_RUNNING', `no lab is up (no state in ${stateDir})`, { hint: 'start one with birdctl lab up' });
  }
  return state;
}

/** Owns state.json for one `lab up`: every mutation is written through at once. */
export class StateRecorder {
  readonly state: LabState;

  private constructor(private readonly stateDir: string, state: LabState) {
    this.state = state;
  }

  /**
   * Claims the state directory: refuses (LAB_RUNNING) when a state file is already there, whether
   * a lab is running or an earlier one crashed, because both need `lab down` first.
   */
  static claim(stateDir: string, initial: Pick<LabState, 'prefix' | 'topologyFile' | 'startedAt'>): StateRecorder {
    mkdirSync(stateDir, { recursive: true });
    const state: LabState = { version: 1, ...initial, namespaces: [], processes: [], pidFiles: [], files: [], dirs: [], nodes: [], endpoints: [] };
    try {
      writeFileSync(statePath(stateDir), `${JSON.stringify(state, null, 2)}\n`, { flag: 'wx' });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const other = readState(stateDir);
      throw new BirdctlError('LAB_RUNNING', `a lab is already up (or crashed) with state in ${stateDir}${other ? `: prefix ${other.prefix}, topology ${other.topologyFile}, started ${other.startedAt}` : ''}`, {
        hint: `run birdctl lab down${stateDir === DEFAULT_STATE_DIR ? '' : ` --state-dir ${stateDir}`} first`,
      });
    }
    return new StateRecorder(stateDir, state);
  }

  /**
   * Takes over the state of a lab that is up (the orchestrator, once `lab up` has returned and
   * stopped writing): from then on this recorder is the file's only writer.
   */
  static resume(stateDir: string): StateRecorder {
    return new StateRecorder(stateDir, requireState(stateDir));
  }

  update(change: (state: LabState) => void): void {
    change(this.state);
    const file = statePath(this.stateDir);
    writeFileSync(`${file}.tmp`, `${JSON.stringify(this.state, null, 2)}\n`);
    renameSync(`${file}.tmp`, file);
  }
}

export const DEFAULT_STATE_DIR = '/run/birdctl-lab';
export const DEFAULT_PREFIX = 'b6lab';
