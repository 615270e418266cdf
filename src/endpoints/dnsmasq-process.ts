// Runs the node's dnsmasq: start, reload, stop, always by the PID of the process it started
// (never by name, so another dnsmasq on the host is never touched). The main configuration only
// takes effect on a restart; reservations are in a hosts file dnsmasq re-reads on SIGHUP.
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../atomic-write.ts';
import { BirdctlError } from '../errors.ts';
import type { Runner, RunningProcess } from '../exec.ts';
import type { Topology } from '../topology/index.ts';
import { renderDnsmasq, type DnsmasqFiles } from './dnsmasq.ts';

export interface DnsmasqServiceOptions {
  runner: Runner;
  /** Directory for dnsmasq.conf, dnsmasq.hosts, dnsmasq.leases and dnsmasq.log. */
  dir: string;
  /** Network namespace of the host (lab and tests); default: the caller's. */
  netns?: string;
  binary?: string;
}

/** What `update` did. */
export type DnsmasqAction = 'started' | 'restarted' | 'reloaded' | 'unchanged' | 'stopped' | 'not needed';

async function readOrEmpty(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch {
    return '';
  }
}

export class DnsmasqService {
  private readonly options: DnsmasqServiceOptions;
  private process: RunningProcess | undefined;
  readonly configFile: string;
  readonly hostsFile: string;
  readonly leaseFile: string;
  readonly logFile: string;
  readonly pidFile: string;

  constructor(options: DnsmasqServiceOptions) {
    this.options = options;
    this.configFile = join(options.dir, 'dnsmasq.conf');
    this.hostsFile = join(options.dir, 'dnsmasq.hosts');
    this.leaseFile = join(options.dir, 'dnsmasq.leases');
    this.logFile = join(options.dir, 'dnsmasq.log');
    this.pidFile = join(options.dir, 'dnsmasq.pid');
  }

  get pid(): number | undefined {
    return this.process?.pid;
  }

  render(topology: Topology, nodeName: string): DnsmasqFiles | undefined {
    return renderDnsmasq(topology, nodeName, { leaseFile: this.leaseFile, hostsFile: this.hostsFile });
  }

  /**
   * Brings dnsmasq in line with the topology: starts it for the first VM, restarts it when the
   * main configuration changed, sends SIGHUP when only reservations changed, stops it when the
   * node has no VMs left.
   */
  async update(topology: Topology, nodeName: string): Promise<DnsmasqAction> {
    const files = this.render(topology, nodeName);
    if (files === undefined) {
      if (this.process === undefined) return 'not needed';
      await this.stop();
      return 'stopped';
    }
    await mkdir(this.options.dir, { recursive: true });
    // dnsmasq drops to user nobody and re-reads the hosts file as nobody on SIGHUP: its own
    // directory must be searchable by others (its parents are the operator's to keep so).
    await chmod(this.options.dir, 0o755);
    const configChanged = (await readOrEmpty(this.configFile)) !== files.config;
    const hostsChanged = (await readOrEmpty(this.hostsFile)) !== files.hosts;
    if (configChanged) await this.check(files.config);
    await writeFileAtomic(this.hostsFile, files.hosts);
    if (this.process === undefined) {
      await writeFileAtomic(this.configFile, files.config);
      this.launch();
      return 'started';
    }
    if (configChanged) {
      await this.stop();
      await writeFileAtomic(this.configFile, files.config);
      this.launch();
      return 'restarted';
    }
    if (hostsChanged) {
      this.process.kill('SIGHUP');
      return 'reloaded';
    }
    return 'unchanged';
  }

  /** `dnsmasq --test` on a staged copy, so a bad configuration never replaces a working one. */
  private async check(config: string): Promise<void> {
    const staged = `${this.configFile}.check`;
    await writeFile(staged, config);
    const result = await this.options.runner.run(this.options.binary ?? 'dnsmasq', ['--test', '-C', staged], { timeoutMs: 10_000 });
    if (result.exitCode !== 0) {
      throw new BirdctlError('COMMAND_FAILED', `dnsmasq rejected the rendered configuration: ${result.stderr.trim()}`, {
        hint: `the staged file is ${staged}; this is a bug in birdctl's dnsmasq renderer`,
      });
    }
  }

  private launch(): void {
    // -k: stay in the foreground so the PID is the one we hold; --log-facility=- : log to stderr;
    // the pid file lets an operator (or `lab down` after a crash) stop exactly this dnsmasq.
    this.process = this.options.runner.start(this.options.binary ?? 'dnsmasq', ['-k', '-C', this.configFile, '--log-facility=-', `--pid-file=${this.pidFile}`], {
      logFile: this.logFile,
      ...(this.options.netns === undefined ? {} : { netns: this.options.netns }),
    });
  }

  async reload(): Promise<void> {
    this.process?.kill('SIGHUP');
  }

  async stop(): Promise<void> {
    const running = this.process;
    if (running === undefined) return;
    this.process = undefined;
    running.kill('SIGTERM');
    const timer = setTimeout(() => running.kill('SIGKILL'), 2000);
    await running.exited;
    clearTimeout(timer);
  }
}
