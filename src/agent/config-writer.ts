// Keeps bird6's configuration true to the topology: renders this node's bird6.conf and puts it in
// service through render/apply (bird6 -p, atomic rename, `configure` over the control socket,
// roll back on refusal). One apply at a time; the result is kept for the stream and the logs.
import { BirdctlError, formatError } from '../errors.ts';
import type { Runner } from '../exec.ts';
import { applyConfig, type ApplyResult } from '../render/apply.ts';
import { render } from '../render/render.ts';
import type { Topology } from '../topology/index.ts';
import type { Logger } from './logger.ts';

export interface ConfigCommander {
  command(command: string): Promise<{ code: number; text: string }>;
}

export interface LastApply {
  /** epoch milliseconds */
  at: number;
  ok: boolean;
  outcome: ApplyResult['outcome'] | 'failed';
  /** one line for people: "applied (0003 Reconfigured)", or the error */
  summary: string;
  error?: string;
}

export interface ConfigWriterOptions {
  nodeName: string;
  configPath: string;
  templateDir?: string;
  runner: Runner;
  control: ConfigCommander;
  logger: Logger;
  now: () => Date;
  birdBinary?: string;
}

export class ConfigWriter {
  last: LastApply | null = null;

  constructor(private readonly options: ConfigWriterOptions) {
    if (/["\n\\]/.test(options.configPath)) {
      throw new BirdctlError('USAGE', `config path ${JSON.stringify(options.configPath)} cannot be passed to BIRD's configure command`, {
        hint: 'use a path without quotes, backslashes or newlines',
      });
    }
  }

  async apply(topology: Topology): Promise<LastApply> {
    const { nodeName, configPath, runner, control, logger, now } = this.options;
    const at = now().getTime();
    const started = performance.now();
    try {
      const content = render(topology, nodeName, { templateDir: this.options.templateDir });
      const result = await applyConfig(content, {
        runner,
        configPath,
        birdBinary: this.options.birdBinary,
        // The explicit path: an adopted bird6 may have been started with another -c.
        configure: () => control.command(`configure "${configPath}"`),
      });
      this.last = { at, ok: true, outcome: result.outcome, summary: describe(result) };
      const log = result.outcome === 'unchanged' ? logger.debug : logger.info;
      log('bird6 config ' + result.outcome, { config: configPath, detail: this.last.summary, durationMs: Math.round(performance.now() - started) });
    } catch (error) {
      const report = formatError(error).trim();
      this.last = { at, ok: false, outcome: 'failed', summary: 'config not applied; the previous one stays in service', error: report };
      logger.error('bird6 config not applied', { config: configPath, error });
    }
    return this.last;
  }
}

function describe(result: ApplyResult): string {
  switch (result.outcome) {
    case 'unchanged':
      return 'unchanged';
    case 'applied':
      return `applied (${String(result.reply.code).padStart(4, '0')} ${result.reply.text})`;
    case 'written':
      return `written; bird6 not reachable, it reads the file when it starts (${result.reason})`;
  }
}
