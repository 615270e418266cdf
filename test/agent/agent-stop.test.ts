// What `birdctl agent` does to bird6 when it is stopped (SIGTERM/SIGINT abort its signal): with
// --bird it shuts bird6 down (`down` on the control socket) so the peers withdraw the node's routes
// at once, unless told to keep them for a restart; without --bird it never touches bird6, which
// it did not start. The node's endpoint routes stay in its kernel either way. Runs the real Agent
// against a fake BIRD control socket, a fake runner and the in-memory dataplane.
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { Agent } from '../../src/agent/agent.ts';
import { createJsonLogger } from '../../src/agent/logger.ts';
import { runCli } from '../../src/cli/main.ts';
import { FakeDataplane } from '../../src/endpoints/fake-dataplane.ts';
import { fixtureBytes } from '../birdc/fixture.ts';
import { FakeRunner } from '../support/fake-runner.ts';
import { waitFor } from '../support/netns.ts';
import { agentOptions, topology, useAgentScratch } from './agent-harness.ts';

const scratch = useAgentScratch('agent-stop-', topology('stp', [{ name: 'ct1', node: 'n1', kind: 'container', addresses: ['fd00:10::10'], interface: 'cali-ct1', netns: 'stp-ct1' }]));
/** false once the fake bird6 has taken `down` and gone away */
let birdUp: boolean;
let logs: string[];

beforeEach(() => {
  birdUp = true;
  scratch.bird.handler = (command, socket) => {
    if (command.startsWith('configure')) socket.write(fixtureBytes('configure-reconfigured.txt'));
    else if (command === 'show status') socket.write(fixtureBytes('r1-show-status.txt'));
    else if (command === 'down') {
      // BIRD 1.6: confirms, sends its peers a Cease, exits (the socket goes with it).
      socket.write('0007 Shutdown requested\n');
      birdUp = false;
      void scratch.bird.stop();
    } else socket.write('9001 Parse error\n');
  };
  logs = [];
});

/** Starts the agent, waits until it programmed the endpoint, stops it; returns what it left behind. */
async function runAndStop(options: { superviseBird: boolean; keepRoutesOnStop?: boolean }) {
  const stop = new AbortController();
  const dataplane = new FakeDataplane();
  dataplane.addLink('eth0', { addresses: ['fd00:ec::1/64'] });
  dataplane.addNamespace('stp-ct1');
  const runner = new FakeRunner();
  const agent = new Agent(
    { ...agentOptions(scratch), ...options },
    { runner, logger: createJsonLogger({ write: (line) => logs.push(line), now: () => new Date(), level: 'debug' }), now: () => new Date(), signal: stop.signal, dataplane },
  );
  const running = agent.run();
  await waitFor('the endpoint route', () => (dataplane.routes.some((r) => r.dst === 'fd00:10::10') ? true : undefined), 5000, 10);
  stop.abort();
  await running;
  return { runner, routes: dataplane.routes.map((r) => r.dst) };
}

const messages = () => logs.map((l) => (JSON.parse(l) as { msg: string }).msg);

describe('stop: the agent on SIGTERM', () => {
  it('with --bird shuts the bird6 it supervises down with `down` (its peers get a Cease), and starts no other', async () => {
    const { runner, routes } = await runAndStop({ superviseBird: true });
    expect(scratch.bird.commands).toContain('down');
    expect(birdUp).toBe(false);
    expect(messages()).toContain('bird6 shut down');
    expect(runner.starts.filter((s) => s.file === 'bird6')).toEqual([]);
    // The endpoint still lives on this node: its /128 is the controller's and stays.
    expect(routes).toContain('fd00:10::10');
  });

  it('with --bird and keepRoutesOnStop leaves bird6 running and answering, for a restart of the agent alone', async () => {
    const { routes } = await runAndStop({ superviseBird: true, keepRoutesOnStop: true });
    expect(scratch.bird.commands).not.toContain('down');
    expect(birdUp).toBe(true);
    expect(messages().some((m) => /bird6 stays running/.test(m))).toBe(true);
    expect(routes).toContain('fd00:10::10');
  });

  it('without --bird never sends bird6 `down`: it did not start it', async () => {
    const { routes } = await runAndStop({ superviseBird: false });
    expect(scratch.bird.commands).not.toContain('down');
    expect(birdUp).toBe(true);
    expect(routes).toContain('fd00:10::10');
  });
});

describe('stop: birdctl agent --keep-routes-on-stop', () => {
  const context = () => ({ runner: new FakeRunner(), env: {}, now: () => new Date(), write: () => {}, signal: new AbortController().signal });

  it('is refused with exit 2 without --bird (the agent never stops a bird6 it does not supervise)', async () => {
    await expect(runCli(['agent', join(scratch.dir, 'cluster.yaml'), '--node', 'n1', '--keep-routes-on-stop'], context())).rejects.toMatchObject({ exitCode: 2, message: expect.stringMatching(/needs --bird/) });
  });

  it('is explained in --help beside what a stop does by default', async () => {
    const { output } = await runCli(['agent', '--help'], context());
    expect(output).toMatch(/--keep-routes-on-stop\n\s+with --bird: leave bird6 running/);
    expect(output).toMatch(/every BGP peer gets a Cease/);
  });
});
