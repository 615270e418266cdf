// The per-host file (`birdctl compose FILE --host NODE`): one service on host networking that
// wires endpoints in the agent's normal mode, with what an operator's host must keep; checked
// against docker-compose's own validator where it is installed.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { composeCommand } from '../../src/cli/compose.ts';
import { runCli } from '../../src/cli/main.ts';
import { processRunner } from '../../src/exec.ts';
import { HOST_NETNS_DIR, hostComposeYaml, STATE_VOLUME } from '../../src/lab/compose-host.ts';
import { CONTAINER_PATHS, IMAGE } from '../../src/lab/compose.ts';
import { loadTopology } from '../../src/topology/index.ts';
import { describeIntegration } from '../support/integration.ts';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), 'compose-host-test-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

interface HostService {
  image: string;
  network_mode: string;
  init: boolean;
  restart: string;
  cap_add: string[];
  tmpfs: string[];
  volumes: Array<Record<string, unknown>>;
  command: string[];
  healthcheck: { test: string[] };
  build?: unknown;
  networks?: unknown;
  sysctls?: unknown;
  privileged?: boolean;
}
interface HostFile {
  version: string;
  services: Record<string, HostService>;
  volumes: Record<string, unknown>;
}

async function generate(node: string, uplink?: string): Promise<string> {
  return hostComposeYaml(await loadTopology(join(REPO, 'topology/example.yaml')), { topologyFile: 'topology/example.yaml', composeDir: REPO, node, uplink });
}

function context() {
  return { runner: processRunner, env: {}, now: () => new Date(), write: () => {}, signal: new AbortController().signal };
}

describe('birdctl compose FILE --host NODE', () => {
  it('prints one service, named after the node, on host networking, running the agent in its normal mode with bird6 and the container preparation', async () => {
    const file = parse(await generate('node2')) as HostFile;
    expect(Object.keys(file.services)).toEqual(['node2']);
    const service = file.services.node2!;
    expect(service).toMatchObject({ image: IMAGE, network_mode: 'host', init: true, restart: 'unless-stopped', tmpfs: ['/run'] });
    // Host networking: no Docker network, and no net.* sysctls (Docker refuses them there).
    expect(service).not.toHaveProperty('networks');
    expect(service).not.toHaveProperty('sysctls');
    expect(service).not.toHaveProperty('build');
    expect(service).not.toHaveProperty('privileged');
    expect(service.cap_add.sort()).toEqual(['NET_ADMIN', 'NET_RAW', 'SYS_ADMIN']);
    expect(service.command).toEqual([
      'birdctl', 'agent', `${CONTAINER_PATHS.topologyDir}/example.yaml`, '--node', 'node2',
      '--config', CONTAINER_PATHS.config, '--socket', CONTAINER_PATHS.socket, '--bird', '--in-container',
    ]);
    // The agent's normal mode: endpoints whose netns the host's runtime names in /run/netns.
    expect(service.command).not.toContain('--compose-endpoints');
    expect(service.healthcheck.test).toEqual(['CMD', 'birdctl', 'status', '--ready', '--socket', CONTAINER_PATHS.socket]);
  });

  it('mounts the topology directory read-only, /run/netns from the host with rshared propagation, and a state volume on bird6.conf\'s directory', async () => {
    const file = parse(await generate('node1')) as HostFile;
    expect(file.services.node1!.volumes).toEqual([
      { type: 'bind', source: './topology', target: CONTAINER_PATHS.topologyDir, read_only: true },
      { type: 'bind', source: HOST_NETNS_DIR, target: HOST_NETNS_DIR, bind: { propagation: 'rshared' } },
      { type: 'volume', source: STATE_VOLUME, target: CONTAINER_PATHS.configDir },
    ]);
    expect(file.volumes).toEqual({ [STATE_VOLUME]: {} });
    // The ownership record is kept beside bird6.conf: it must be inside the volume.
    expect(CONTAINER_PATHS.config.startsWith(`${CONTAINER_PATHS.configDir}/`)).toBe(true);
  });

  it('passes --uplink on to the agent, and refuses one that is not an interface name or comes without --host (exit 2)', async () => {
    expect((parse(await generate('node3', 'bond0')) as HostFile).services.node3!.command).toEqual(expect.arrayContaining(['--uplink', 'bond0']));
    const file = join(REPO, 'topology/example.yaml');
    await expect(runCli(['compose', file, '--host', 'node1', '--uplink', 'eth0;rm'], context())).rejects.toMatchObject({ code: 'USAGE', exitCode: 2 });
    await expect(runCli(['compose', file, '--uplink', 'eth1'], context())).rejects.toMatchObject({ code: 'USAGE', exitCode: 2 });
  });

  it('an unknown NODE exits 2 and lists the topology\'s nodes', async () => {
    await expect(runCli(['compose', join(REPO, 'topology/example.yaml'), '--host', 'node9'], context())).rejects.toMatchObject({
      code: 'NODE_UNKNOWN',
      exitCode: 2,
      hint: expect.stringContaining('node1, node2, node3'),
    });
  });

  it('the header says where to run it, every capability with its reason, and what the host provides and keeps', async () => {
    const text = await generate('node1');
    const header = text.slice(0, text.indexOf('version:'));
    expect(header).toContain('# Generated by: birdctl compose ./topology/example.yaml --host node1\n');
    for (const word of ['host node1', 'NET_ADMIN:', 'NET_RAW:', 'SYS_ADMIN:', '/proc/sys', 'forwarding', HOST_NETNS_DIR, 'rshared', STATE_VOLUME, 'ownership record']) expect(header).toContain(word);
  });

  it('--help describes the per-host mode and its mounts', () => {
    for (const words of ['--host NODE', 'host networking', '--in-container', 'rshared', 'bird6-state', '--uplink IF', 'lists the nodes']) expect(composeCommand.help).toContain(words);
  });
});

describeIntegration('docker-compose validates the per-host files', { binaries: ['docker-compose'] }, () => {
  it('accepts the file of every node of the example', async () => {
    for (const node of ['node1', 'node2', 'node3']) {
      const out = join(scratch, `${node}.yaml`);
      writeFileSync(out, await generate(node));
      const result = await processRunner.run('docker-compose', ['--project-directory', REPO, '-f', out, 'config', '-q']);
      expect(result, node).toMatchObject({ exitCode: 0, stderr: '' });
    }
  });
});
