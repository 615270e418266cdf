// The agent keeps bird6 on the configuration the topology renders, through its resync timer: an
// apply lost to a transient failure (a write or check that failed, a `configure` nobody answered)
// heals by itself without another topology edit. Runs the real Agent against a fake BIRD control
// socket, a fake runner and the in-memory dataplane.
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { Agent } from '../../src/agent/agent.ts';
import { createJsonLogger } from '../../src/agent/logger.ts';
import { FakeDataplane } from '../../src/endpoints/fake-dataplane.ts';
import { BirdctlError } from '../../src/errors.ts';
import { fixtureBytes } from '../birdc/fixture.ts';
import { FakeRunner, type RecordedRun } from '../support/fake-runner.ts';
import { waitFor } from '../support/netns.ts';
import { agentOptions, topology, useAgentScratch } from './agent-harness.ts';

const scratch = useAgentScratch('agent-config-', topology('cfg'));
let logs: string[];

beforeEach(() => {
  logs = [];
});

const configPath = () => join(scratch.dir, 'etc', 'bird6.conf');
const configures = () => scratch.bird.commands.filter((c) => c.startsWith('configure'));

function startAgent(runner: FakeRunner, pollIntervalMs = 60_000): Agent {
  const dataplane = new FakeDataplane();
  dataplane.addLink('eth0', { addresses: ['fd00:ec::1/64'] });
  const agent = new Agent(
    { ...agentOptions(scratch), pollIntervalMs, resyncIntervalMs: 30 },
    { runner, logger: createJsonLogger({ write: (line) => logs.push(line), now: () => new Date(), level: 'debug' }), now: () => new Date(), signal: scratch.stop.signal, dataplane },
  );
  scratch.running = agent.run();
  return agent;
}

/** bird6 -p answers through `check`; everything else the agent runs succeeds. */
const runnerWith = (check: (call: RecordedRun) => { exitCode?: number; stderr?: string }) =>
  new FakeRunner((call) => (call.file === 'bird6' ? check(call) : {}));

describe('the agent keeps bird6 on the rendered config', () => {
  it('checks and writes again at the next resync when the first check could not run', async () => {
    let checks = 0;
    const runner = new FakeRunner();
    runner.run = async (file, args, options) => {
      runner.runs.push({ file, args, options });
      // bird6 missing for a moment (a package upgrade): a runtime failure, not a verdict on the file.
      if (file === 'bird6' && (checks += 1) === 1) throw new BirdctlError('COMMAND_FAILED', 'could not run bird6: ENOENT');
      return { stdout: '', stderr: '', exitCode: 0 };
    };
    startAgent(runner);
    await waitFor('the config written and loaded', () => (configures().length > 0 ? true : undefined), 5000, 10);
    expect(readFileSync(configPath(), 'utf8')).toContain('# bird6.conf for node n1 of cluster cfg.');
  });

  it('sends configure again at the next resync when bird6 dropped the first one', async () => {
    let dropped = false;
    scratch.bird.handler = (command, socket) => {
      if (command.startsWith('configure') && !dropped) {
        dropped = true;
        socket.destroy(); // bird6 restarting, or a `configure` lost with its connection
      } else if (command.startsWith('configure')) socket.write(fixtureBytes('configure-reconfigured.txt'));
      else socket.write('9001 Parse error\n');
    };
    startAgent(runnerWith(() => ({})));
    await waitFor('a second configure', () => (configures().length >= 2 ? true : undefined), 5000, 10);
  });

  it('tells bird6 to load a file that already holds the render but was never confirmed loaded', async () => {
    // What a kill between the rename and `configure` leaves: the new file on disk, bird6 on the old one.
    const first = startAgent(runnerWith(() => ({})));
    await waitFor('first apply', () => (configures().length > 0 ? true : undefined), 5000, 10);
    scratch.stop.abort();
    await scratch.running;
    expect(first.state.state().lastApply?.ok).toBe(true);
    scratch.bird.commands.length = 0;
    scratch.stop = new AbortController();
    startAgent(runnerWith(() => ({})));
    await waitFor('configure after the restart', () => (configures().length > 0 ? true : undefined), 5000, 10);
  });

  it('removes the staged files a crashed agent left beside the config, and nothing else', async () => {
    const etc = join(scratch.dir, 'etc');
    writeFileSync(join(etc, '.bird6.conf.0badcafe.tmp'), 'half a config');
    writeFileSync(join(etc, '.bird6.conf.operator-notes.tmp'), 'not ours');
    startAgent(runnerWith(() => ({})));
    await waitFor('first apply', () => (configures().length > 0 ? true : undefined), 5000, 10);
    // Only bird6.conf's own names: the endpoint programmer keeps its ownership record in the same directory.
    expect(readdirSync(etc).filter((f) => f.includes('bird6.conf')).sort()).toEqual(['.bird6.conf.operator-notes.tmp', 'bird6.conf']);
  });

  it('does not check a render bird6 -p rejected again at every resync', async () => {
    const runner = runnerWith(() => ({ exitCode: 1, stderr: 'bird: /x:3:1 syntax error\n' }));
    startAgent(runner);
    await waitFor('rejection logged', () => (logs.some((l) => l.includes('bird6 config not applied')) ? true : undefined), 5000, 10);
    // Many resync intervals later (30 ms each): still one check of that same text.
    await waitFor('resyncs', () => (logs.filter((l) => l.includes('endpoint')).length > 10 ? true : undefined), 5000, 10);
    expect(runner.runs.filter((r) => r.file === 'bird6')).toHaveLength(1);
    expect(readdirSync(join(scratch.dir, 'etc')).filter((f) => f.includes('bird6.conf'))).toEqual([]);
  });
});

describe('the agent outlives a first poll it cannot parse', () => {
  it('keeps running, logs the failed poll and polls again', async () => {
    // A BIRD whose `show protocols all` this version cannot read yet (a state word it does not know,
    // as `wait` was under bird6 -R): the monitor's baseline poll throws BIRD_REPLY.
    const garbled = fixtureBytes('r1-show-protocols-all.txt').toString().replace(/ up {5}/, ' zzzz   ');
    scratch.bird.handler = (command, socket) => {
      if (command.startsWith('configure')) socket.write(fixtureBytes('configure-reconfigured.txt'));
      else if (command === 'show status') socket.write(fixtureBytes('r1-show-status.txt'));
      else if (command === 'restrict') socket.write('0016 Access restricted\n');
      else if (command === 'show protocols all') socket.write(garbled);
      else socket.write('9001 Parse error\n');
    };
    let outcome = 'running';
    const agent = startAgent(runnerWith(() => ({})), 50);
    void scratch.running!.then(() => (outcome = 'returned'), (error: Error) => (outcome = `threw ${error.message}`));
    await waitFor('the failed poll logged', () => (logs.some((l) => l.includes('poll failed')) ? true : undefined), 5000, 10);
    await waitFor('a second poll', () => (scratch.bird.commands.filter((c) => c === 'show protocols all').length >= 2 ? true : undefined), 5000, 10);
    expect(outcome).toBe('running');
    expect(agent.state.state().lastApply?.ok).toBe(true);
  });
});
