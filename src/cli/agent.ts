import { Agent } from '../agent/agent.ts';
import { createJsonLogger, type LogLevel } from '../agent/logger.ts';
import { resolveSocketPath } from '../birdc/socket-path.ts';
import { EXIT } from '../errors.ts';
import { parseCommandArgs, usageError, type Command } from './command.ts';

const LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error'];

export const agentCommand: Command = {
  name: 'agent',
  summary: 'the long-running controller: keeps bird6 and the endpoints true to the topology',
  help: `Usage: birdctl agent FILE --node NAME [options]

Runs beside bird6 on one host. Renders NAME's bird6.conf from FILE, checks it with bird6 -p,
writes it atomically and reloads bird6 over its control socket (rolling back if bird6 refuses
it); watches FILE and does the same on every change. An edit that makes FILE invalid is logged
with the text of 'birdctl validate' and the last good topology stays in service.

  --node NAME         this host's node in the topology (required)
  --config PATH       where bird6.conf lives (default /etc/bird/bird6.conf)
  --socket PATH       bird6's control socket (default /run/bird/bird6.ctl or /var/run/bird6.ctl)
  --bird              start bird6 and restart it with backoff when it dies; a bird6 already
                      answering on the socket is adopted instead
  --bird-log FILE     where a supervised bird6's output goes (default: discarded)
  --templates DIR     a site copy of bird-templates/ to render from
  --poll-interval MS  how often bird6's sessions are polled (default 500)
  --log-level LEVEL   debug, info (default), warn or error

Logs are JSON lines on stderr. SIGTERM or SIGINT stops the agent with exit 0 and leaves bird6 and
the kernel routes in place, so restarting the controller flaps no route.

Exit codes: 0 stopped by a signal, 2 bad usage, invalid topology or unknown node at start.`,
  async run(argv, context) {
    const { positionals, values } = parseCommandArgs('agent', argv, {
      node: { type: 'string' },
      config: { type: 'string', default: '/etc/bird/bird6.conf' },
      socket: { type: 'string' },
      bird: { type: 'boolean', default: false },
      'bird-log': { type: 'string' },
      templates: { type: 'string' },
      'log-level': { type: 'string', default: 'info' },
      'poll-interval': { type: 'string', default: '500' },
    });
    const pollIntervalMs = Number(values['poll-interval']);
    if (!Number.isInteger(pollIntervalMs) || pollIntervalMs < 50 || pollIntervalMs > 600_000) {
      throw usageError('agent', '--poll-interval must be a whole number of milliseconds between 50 and 600000');
    }
    if (positionals.length !== 1) throw usageError('agent', 'expected exactly one topology FILE');
    if (values.node === undefined) throw usageError('agent', '--node NAME is required');
    const level = values['log-level'] as LogLevel;
    if (!LEVELS.includes(level)) throw usageError('agent', `--log-level must be one of ${LEVELS.join(', ')}`);

    const logger = createJsonLogger({ write: (line) => process.stderr.write(line), now: context.now, level, context: { node: values.node } });
    const agent = new Agent(
      {
        topologyFile: positionals[0]!,
        nodeName: values.node,
        configPath: values.config,
        socketPath: resolveSocketPath(values.socket),
        templateDir: values.templates,
        superviseBird: values.bird,
        birdLogFile: values['bird-log'],
        debounceMs: 100,
        pollIntervalMs,
      },
      { runner: context.runner, logger, now: context.now, signal: context.signal },
    );
    await agent.run();
    return { output: '', exitCode: EXIT.ok };
  },
};
