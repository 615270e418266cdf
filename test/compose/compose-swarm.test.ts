// The Swarm stack file of `birdctl compose FILE --swarm`: its shape is checked here against what
// `docker stack deploy` on 20.10 needs and what the rollout promises (one node at a time, a
// topology change is a new config); test/integration/compose-swarm.test.ts deploys it for real.
// Also the agent's side of the contract: it takes its node's name from BIRDCTL_NODE.
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { runCli } from '../../src/cli/main.ts';
import { recordBesideConfig } from '../../src/endpoints/ledger.ts';
import { CONTAINER_PATHS, IMAGE } from '../../src/lab/compose.ts';
import { MAX_SWARM_CONFIG_BYTES, SWARM_SERVICE, swarmStackYaml, topologyConfigName } from '../../src/lab/compose-swarm.ts';
import { NODE_NAME_ENV } from '../../src/lab/node-name-env.ts';
import { parseTopologyText } from '../../src/topology/index.ts';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const EXAMPLE = readFileSync(join(REPO, 'topology/example.yaml'), 'utf8');
const scratch = mkdtempSync(join(tmpdir(), 'compose-swarm-test-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

interface Mount { type: string; source?: string; target: string; bind?: { propagation: string } }
interface SwarmService {
  image: string;
  init: boolean;
  environment: Record<string, string>;
  cap_add: string[];
  networks: string[];
  volumes: Mount[];
  configs: Array<{ source: string; target: string }>;
  command: string[];
  healthcheck: { test: string[] };
  deploy: {
    mode: string;
    update_config: Record<string, unknown>;
    rollback_config: Record<string, unknown>;
    restart_policy: Record<string, unknown>;
  };
}
interface Stack {
  version: string;
  services: Record<string, SwarmService>;
  configs: Record<string, { file: string }>;
  networks: Record<string, { external: boolean; name: string }>;
  volumes: Record<string, unknown>;
}

function stackText(text = EXAMPLE, topologyFile = 'topology/example.yaml', composeDir = REPO): string {
  return swarmStackYaml(parseTopologyText(text, topologyFile), { topologyFile, composeDir, topologyText: text });
}
const stack = (text?: string, file?: string, dir?: string) => parse(stackText(text, file, dir)) as Stack;

function context(env: NodeJS.ProcessEnv = {}) {
  const runner = { run: () => Promise.reject(new Error('nothing may run')), start: () => { throw new Error('nothing may start'); } };
  return { runner, env, now: () => new Date(), write: () => {}, signal: new AbortController().signal };
}

describe('birdctl compose --swarm', () => {
  it('is one global service on the host network, from the loaded image, with the topology as a config named after its content', () => {
    const file = stack();
    expect(file.version).toMatch(/^3\.\d+$/);
    expect(Object.keys(file.services)).toEqual([SWARM_SERVICE]);
    const service = file.services[SWARM_SERVICE]!;
    expect(service.image).toBe(IMAGE);
    expect(service).not.toHaveProperty('build');
    expect(service.deploy.mode).toBe('global');
    // Swarm joins the host network only as an external network named "host"; Docker refuses
    // sysctls and published ports on it.
    expect(service.networks).toEqual(['hostnet']);
    expect(file.networks).toEqual({ hostnet: { external: true, name: 'host' } });
    expect(service).not.toHaveProperty('sysctls');
    expect(service).not.toHaveProperty('ports');
    const name = topologyConfigName(EXAMPLE);
    expect(name).toMatch(/^topology-[0-9a-f]{12}$/);
    expect(file.configs).toEqual({ [name]: { file: './topology/example.yaml' } });
    expect(service.configs).toEqual([{ source: name, target: `${CONTAINER_PATHS.topologyDir}/example.yaml` }]);
  });

  it('runs the agent with bird6 on the config, its node named by the Swarm node\'s hostname through the environment', () => {
    const service = stack().services[SWARM_SERVICE]!;
    expect(service.command).toEqual(['birdctl', 'agent', service.configs[0]!.target, '--config', CONTAINER_PATHS.config, '--socket', CONTAINER_PATHS.socket, '--bird', '--in-container', '--keep-routes-on-stop']);
    // Swarm expands templates in env and hostname, not in a command's arguments.
    expect(service.command.join(' ')).not.toContain('{{');
    expect(service.environment).toEqual({ [NODE_NAME_ENV]: '{{.Node.Hostname}}' });
    expect(service.init).toBe(true);
    expect(service.cap_add.sort()).toEqual(['NET_ADMIN', 'NET_RAW', 'SYS_ADMIN']);
    expect(service).not.toHaveProperty('privileged');
    expect(service.healthcheck.test).toEqual(['CMD', 'birdctl', 'status', '--ready', '--socket', CONTAINER_PATHS.socket]);
  });

  it('mounts a fresh /run, the host\'s /run/netns with rshared propagation, and a per-host volume holding bird6.conf and the ownership record', () => {
    const file = stack();
    const { volumes } = file.services[SWARM_SERVICE]!;
    expect(volumes).toContainEqual({ type: 'tmpfs', target: '/run' });
    expect(volumes).toContainEqual({ type: 'bind', source: '/run/netns', target: '/run/netns', bind: { propagation: 'rshared' } });
    const state = volumes.find((v) => v.type === 'volume')!;
    expect(file.volumes).toHaveProperty(state.source!);
    expect(state.target).toBe(dirname(CONTAINER_PATHS.config));
    expect(dirname(recordBesideConfig(CONTAINER_PATHS.config))).toBe(state.target);
  });

  it('updates one node at a time, stopping the old task first, rolling back on failure; restarts a task whatever its exit', () => {
    const { deploy } = stack().services[SWARM_SERVICE]!;
    expect(deploy.update_config).toMatchObject({ parallelism: 1, order: 'stop-first', failure_action: 'rollback', max_failure_ratio: 0 });
    expect(deploy.update_config.monitor).toMatch(/^\d+s$/);
    expect(deploy.rollback_config).toMatchObject({ parallelism: 1, order: 'stop-first' });
    expect(deploy.restart_policy).toMatchObject({ condition: 'any' });
  });

  it('a changed topology, even a comment, is a new config; the same text is the same config', () => {
    const changed = EXAMPLE.replace('holdTime: 6', 'holdTime: 9');
    const commented = `${EXAMPLE}# reviewed\n`;
    const names = [EXAMPLE, changed, commented].map((t) => Object.keys(stack(t).configs)[0]);
    expect(new Set(names).size).toBe(3);
    expect(stackText()).toBe(stackText());
    expect(stack(changed).services[SWARM_SERVICE]!.configs[0]!.source).toBe(names[1]);
  });

  it('the header says how to deploy and roll out a change, names the config version and explains every capability', () => {
    const text = stackText();
    const header = text.slice(0, text.indexOf('version:'));
    for (const words of ['NET_ADMIN', 'NET_RAW', 'SYS_ADMIN', 'docker stack deploy --resolve-image never', 'hostname', 'one node at a time', topologyConfigName(EXAMPLE), '/run/netns', 'docker stack rm']) {
      expect(header).toContain(words);
    }
    expect(header).toContain('birdctl compose ./topology/example.yaml --swarm');
  });

  it('refuses a node name that is not a host name (exit 2), naming the node', async () => {
    const file = join(scratch, 'hyphen.yaml');
    writeFileSync(file, EXAMPLE.replaceAll('node2', 'node2-'));
    await expect(runCli(['compose', file, '--swarm'], context())).rejects.toMatchObject({
      code: 'TOPOLOGY_INVALID',
      exitCode: 2,
      problems: [expect.objectContaining({ path: 'nodes[1].name', message: expect.stringContaining('"node2-" is not a valid host name') })],
    });
  });

  it('refuses a topology larger than a Swarm config can hold (exit 2)', async () => {
    const file = join(scratch, 'large.yaml');
    writeFileSync(file, `${EXAMPLE}${`# ${'x'.repeat(98)}\n`.repeat(MAX_SWARM_CONFIG_BYTES / 100 + 1)}`);
    await expect(runCli(['compose', file, '--swarm'], context())).rejects.toMatchObject({ code: 'TOPOLOGY_INVALID', exitCode: 2, message: expect.stringMatching(/at most 512000/) });
  });

  it('birdctl compose FILE --swarm prints the stack file; nodes outside one /64 are fine there (hosts may sit on routed segments)', async () => {
    const dir = join(scratch, 'cli');
    mkdirSync(dir, { recursive: true });
    const split = EXAMPLE.replace('fd00:ec::3', 'fd00:ed::3');
    writeFileSync(join(dir, 'split.yaml'), split);
    const cwd = process.cwd();
    process.chdir(dir);
    try {
      const { output, exitCode } = await runCli(['compose', 'split.yaml', '--swarm'], context());
      expect(exitCode).toBe(0);
      expect(output).toBe(stackText(split, 'split.yaml', dir));
      await expect(runCli(['compose', 'split.yaml'], context())).rejects.toMatchObject({ exitCode: 2 });
      await expect(runCli(['compose', 'split.yaml', '--swarm', '--host', 'node1'], context())).rejects.toMatchObject({ code: 'USAGE', message: expect.stringMatching(/pick one/) });
    } finally {
      process.chdir(cwd);
    }
    const { output: help } = await runCli(['compose', '--help'], context());
    expect(help).toMatch(/With --swarm it prints a stack file/);
  });

  it('a topology path full of YAML syntax reaches the file only as quoted values', () => {
    const dir = join(scratch, 'odd');
    const name = 'a: b #c\n- "d\'.yaml';
    mkdirSync(dir, { recursive: true });
    copyFileSync(join(REPO, 'topology/example.yaml'), join(dir, name));
    const file = stack(EXAMPLE, name, dir);
    expect(Object.keys(file)).toEqual(['version', 'services', 'configs', 'networks', 'volumes']);
    expect(Object.values(file.configs)).toEqual([{ file: `./${name}` }]);
    expect(file.services[SWARM_SERVICE]!.command[2]).toBe(`${CONTAINER_PATHS.topologyDir}/${name}`);
  });
});

describe('birdctl agent: the node from BIRDCTL_NODE', () => {
  const example = join(REPO, 'topology/example.yaml');

  it('takes the node from BIRDCTL_NODE when --node is absent, and --node over it', async () => {
    await expect(runCli(['agent', example], context({ BIRDCTL_NODE: 'node9' }))).rejects.toMatchObject({ code: 'NODE_UNKNOWN', exitCode: 2, message: expect.stringContaining('"node9"') });
    await expect(runCli(['agent', example, '--node', 'node8'], context({ BIRDCTL_NODE: 'node9' }))).rejects.toMatchObject({ code: 'NODE_UNKNOWN', message: expect.stringContaining('"node8"') });
    await expect(runCli(['agent', example], context())).rejects.toMatchObject({ code: 'USAGE', message: expect.stringMatching(/--node NAME is required/) });
  });

  it('refuses a BIRDCTL_NODE that is not a node name, quoting it bounded (exit 2)', async () => {
    const error = (await runCli(['agent', example], context({ BIRDCTL_NODE: `Bad\nName${'x'.repeat(500)}` })).catch((e: unknown) => e)) as Error;
    expect(error).toMatchObject({ code: 'USAGE', exitCode: 2, message: expect.stringContaining('BIRDCTL_NODE') });
    expect(error.message.length).toBeLessThan(300);
    expect(error.message).not.toContain('\n');
  });
});
