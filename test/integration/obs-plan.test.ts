// `birdctl plan` against real bird6 and a real kernel: node n1 of a two-node mesh runs the config
// its topology renders and has its endpoint programmed; an edit of the topology (a node added, one
// removed, an endpoint address added) is planned without changing anything, then applied with the
// agent's own BirdConfig and `endpoints apply`, after which the plan has nothing left.
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { BirdClient } from '../../src/birdc/client.ts';
import { parseShowProtocols } from '../../src/birdc/parse-protocols.ts';
import type { CommandContext } from '../../src/cli/command.ts';
import { endpointsCommand } from '../../src/cli/endpoints.ts';
import { planCommand } from '../../src/cli/plan.ts';
import { processRunner } from '../../src/exec.ts';
import { BirdConfig, configureOver } from '../../src/render/apply.ts';
import { render } from '../../src/render/render.ts';
import { loadTopology } from '../../src/topology/index.ts';
import { describeIntegration } from '../support/integration.ts';
import { NetnsTestbed, waitFor } from '../support/netns.ts';

const run = promisify(execFile);
const BIRDCTL = join(import.meta.dirname, '../../src/cli/birdctl.mjs');
const PREFIX = 'obsp';

function topology(options: { nodes: number[]; addresses: string[]; holdTime?: number }): string {
  return [
    'apiVersion: bird6-controller/v1',
    'cluster:',
    '  name: obs',
    '  asNumber: 64512',
    `  bgp: { holdTime: ${options.holdTime ?? 6}, keepaliveTime: 2, connectRetryTime: 1 }`,
    'ipPools: [{ cidr: "fd00:10::/48" }]',
    'nodes:',
    ...options.nodes.map((i) => `  - { name: n${i}, address: "fd00:ec::${i}" }`),
    'endpoints:',
    `  - { name: c1, node: n1, kind: container, addresses: [${options.addresses.map((a) => `"${a}"`).join(', ')}], interface: ${PREFIX}-c1, netns: ${PREFIX}-c1 }`,
    '',
  ].join('\n');
}

const context: CommandContext = {
  runner: processRunner,
  env: {},
  now: () => new Date(),
  write: () => {},
  signal: new AbortController().signal,
};

describeIntegration('birdctl plan against real bird6 and a real kernel', { netns: true, binaries: ['bird6', 'ip'] }, () => {
  const testbed = new NetnsTestbed(PREFIX);
  const n1 = `${PREFIX}-n1`;
  const configPath = testbed.path('bird6.conf');
  const recordPath = testbed.path('endpoints-owned.json');
  const first = testbed.path('first.yaml');
  const edited = testbed.path('edited.yaml');
  let socket = '';

  const plan = (file: string, ...extra: string[]) => planCommand.run([file, '--node', 'n1', '--config', configPath, '--socket', socket, '--netns', n1, ...extra], context);
  const kernel = () => testbed.run(n1, 'ip', ['-6', 'route', 'show', 'proto', '80']) + testbed.run(`${PREFIX}-c1`, 'ip', ['-6', 'addr', 'show']);
  const bgpProtocols = async () => {
    const client = new BirdClient({ socketPath: socket, restrict: true, reconnect: false });
    try {
      return parseShowProtocols(await client.command('show protocols'), Date.now() / 1000).filter((r) => r.proto === 'BGP').map((r) => r.name);
    } finally {
      await client.close();
    }
  };

  beforeAll(async () => {
    for (const name of ['n1', 'n2', 'c1']) testbed.addNamespace(name);
    testbed.connect([
      { netns: n1, ifname: 'eth0', cidr: 'fd00:ec::1/64' },
      { netns: `${PREFIX}-n2`, ifname: 'eth0', cidr: 'fd00:ec::2/64' },
    ]);
    writeFileSync(first, topology({ nodes: [1, 2], addresses: ['fd00:10::10'] }));
    const t1 = await loadTopology(first);
    writeFileSync(configPath, render(t1, 'n1'));
    writeFileSync(testbed.path('n2.conf'), render(t1, 'n2'));
    socket = testbed.startBird(n1, configPath, 'n1').socket;
    testbed.startBird(`${PREFIX}-n2`, testbed.path('n2.conf'), 'n2');
    const applied = await endpointsCommand.run(['apply', first, '--node', 'n1', '--netns', n1, '--record', recordPath], context);
    expect(applied.exitCode).toBe(0);
    await waitFor('bird6 of n1 answers', () => bgpProtocols().catch(() => undefined), 10_000, 100);
  });

  afterAll(async () => {
    await testbed.cleanup();
  });

  it('has nothing to change for the topology in service: exit 0', async () => {
    const result = await plan(first);
    expect(result.output).toContain(`bird6.conf: ${configPath} is already what the topology renders`);
    expect(result.output).toContain('BGP sessions: 0 added, 0 removed, 0 changed (0 restarted by bird6)');
    expect(result.output).toMatch(/endpoint objects: 0 added, 0 replaced, 0 removed, \d+ unchanged \(uplink eth0\)/);
    expect(result.output.trimEnd().endsWith('nothing to change')).toBe(true);
    expect(result.exitCode).toBe(0);
  });

  it('shows the diff, the session added and the one removed, and the endpoint objects for an edit, exit 3, changing nothing', async () => {
    writeFileSync(edited, topology({ nodes: [1, 3], addresses: ['fd00:10::10', 'fd00:10::11'] }));
    const before = { config: readFileSync(configPath, 'utf8'), record: readFileSync(recordPath, 'utf8'), kernel: kernel(), protocols: await bgpProtocols() };
    const result = await plan(edited);
    expect(result.exitCode).toBe(3);
    expect(result.output).toContain(`--- ${configPath}\n+++ ${configPath} (rendered from ${edited})\n@@ `);
    expect(result.output).toContain('\n-protocol bgp Mesh_fd00_ec__2 from cluster_node\n');
    expect(result.output).toContain('\n+protocol bgp Mesh_fd00_ec__3 from cluster_node\n');
    expect(result.output).toContain('BGP sessions: 1 added, 1 removed, 0 changed (0 restarted by bird6)\n  + Mesh_fd00_ec__3\n  - Mesh_fd00_ec__2\n');
    expect(result.output).toContain(`  + route fd00:10::11/128 dev ${PREFIX}-c1 (c1)\n`);
    expect(result.output).toContain(`  + address fd00:10::11/128 on ${PREFIX}-c1:eth0 (c1)\n`);
    expect(result.output).toContain("  + proxy fd00:10::11 dev eth0 (c1)\n");
    expect(result.output).toMatch(/endpoint objects: 3 added, 0 replaced, 0 removed/);
    expect({ config: readFileSync(configPath, 'utf8'), record: readFileSync(recordPath, 'utf8'), kernel: kernel(), protocols: await bgpProtocols() }).toEqual(before);
    // The same through the binary: the exit code a pipeline sees.
    const binary = await run('node', [BIRDCTL, 'plan', edited, '--node', 'n1', '--config', configPath, '--socket', socket, '--netns', n1]).catch((e: { code: number; stdout: string }) => e);
    expect(binary).toMatchObject({ code: 3, stdout: expect.stringContaining('  + Mesh_fd00_ec__3\n') });
  });

  it('says which sessions bird6 restarts for a timer change', async () => {
    const slower = testbed.path('slower.yaml');
    writeFileSync(slower, topology({ nodes: [1, 2], addresses: ['fd00:10::10'], holdTime: 9 }));
    const result = await plan(slower);
    expect(result.exitCode).toBe(3);
    expect(result.output).toContain('BGP sessions: 0 added, 0 removed, 1 changed (1 restarted by bird6)\n  ~ Mesh_fd00_ec__2: bird6 restarts the session\n      - hold time 6\n');
  });

  it('has nothing left to change once the edit is applied, and the apply log names the sessions', async () => {
    const logs: Array<{ message: string; context: Record<string, unknown> }> = [];
    const config = new BirdConfig({ nodeName: 'n1', configPath, runner: processRunner, command: configureOver(socket), log: (_level, message, ctx) => logs.push({ message, context: ctx }), now: Date.now });
    const applied = await config.apply(await loadTopology(edited));
    expect(applied).toMatchObject({ ok: true, outcome: 'applied' });
    expect(logs.at(-1)).toMatchObject({ message: 'bird6 config applied', context: { sessions: 'sessions: added 1 (Mesh_fd00_ec__3), removed 1 (Mesh_fd00_ec__2), restarted 0, changed in place 0' } });
    expect(await bgpProtocols()).toEqual(['Mesh_fd00_ec__3']);
    const endpoints = await endpointsCommand.run(['apply', edited, '--node', 'n1', '--netns', n1, '--record', recordPath], context);
    expect(endpoints.exitCode).toBe(0);
    const result = await plan(edited);
    expect(result.output.trimEnd().endsWith('nothing to change')).toBe(true);
    expect(result.exitCode).toBe(0);
  });
});
