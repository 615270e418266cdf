// The compose deployment: the committed compose.yaml is exactly what `birdctl compose` prints for
// the example, Debian's docker-compose accepts what we generate, and what its validator does not
// check (network references, the agent's arguments, the address plan) is checked here.
import { mkdtempSync, readFileSync, rmSync, writeFileSync, copyFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { processRunner } from '../../src/exec.ts';
import { runCli } from '../../src/cli/main.ts';
import { ENDPOINT_ENV } from '../../src/compose-node/endpoint-processes.ts';
import { composeYaml, CONTAINER_PATHS } from '../../src/lab/compose.ts';
import { freeGatewayAddress, nodeSubnet } from '../../src/lab/subnet.ts';
import { loadTopology, parseTopology } from '../../src/topology/index.ts';
import { describeIntegration } from '../support/integration.ts';
import { EXAMPLE_TOPOLOGIES } from '../support/examples.ts';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
/** Compose puts every node on one network; a routed fabric's racks sit on subnets of their own. */
const ROUTED_FABRIC = EXAMPLE_TOPOLOGIES.find((f) => f.endsWith('/routed-fabric.yaml'))!;
const ONE_SEGMENT_EXAMPLES = EXAMPLE_TOPOLOGIES.filter((f) => f !== ROUTED_FABRIC);
const scratch = mkdtempSync(join(tmpdir(), 'compose-test-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

interface Service {
  networks: Record<string, { ipv6_address: string }>;
  cap_add: string[];
  cap_drop?: string[];
  sysctls: Record<string, number>;
  volumes: Array<{ source: string; target: string; read_only: boolean }>;
  tmpfs: string[];
  command: string[];
  healthcheck: { test: string[] };
  build: { context: string; dockerfile: string };
  network_mode?: string;
  pid?: string;
  depends_on?: string[];
  environment?: Record<string, string>;
  security_opt?: string[];
}
interface ComposeFile {
  services: Record<string, Service>;
  networks: Record<string, { enable_ipv6: boolean; ipam: { config: Array<{ subnet: string; gateway: string }> } }>;
}

async function generate(file: string, composeDir = REPO): Promise<string> {
  return composeYaml(await loadTopology(resolve(composeDir, file)), { topologyFile: file, composeDir });
}

function context() {
  return { runner: processRunner, env: {}, now: () => new Date(), write: () => {}, signal: new AbortController().signal };
}

describe('birdctl compose', () => {
  it('committed compose.yaml is exactly what birdctl compose topology/example.yaml prints', async () => {
    expect(readFileSync(join(REPO, 'compose.yaml'), 'utf8')).toBe(await generate('topology/example.yaml'));
  });

  it('refuses the routed-fabric example, whose nodes are not on one segment, naming the problem', async () => {
    await expect(generate(ROUTED_FABRIC)).rejects.toThrow(/the nodes' addresses are not in one \/64/);
  });

  it('every network a service names is defined, IPv6-enabled, and its subnet holds the node addresses', async () => {
    for (const file of ONE_SEGMENT_EXAMPLES) {
      const compose = parse(await generate(file)) as ComposeFile;
      const topology = await loadTopology(file);
      const nodes = topology.nodes.map((n) => n.name);
      const endpoints = topology.endpoints.filter((e) => e.kind === 'vm' || e.netns !== undefined).map((e) => e.name);
      expect(Object.keys(compose.services).sort()).toEqual([...nodes, ...endpoints].sort());
      for (const [name, service] of Object.entries(compose.services).filter(([n]) => nodes.includes(n))) {
        for (const network of Object.keys(service.networks)) {
          expect(compose.networks, `${file}: ${name} names network ${network}`).toHaveProperty(network);
          expect(compose.networks[network]!.enable_ipv6).toBe(true);
        }
        const node = topology.nodes.find((n) => n.name === name)!;
        expect(Object.values(service.networks).map((n) => n.ipv6_address)).toEqual([node.address]);
      }
      const [ipam] = Object.values(compose.networks).flatMap((n) => n.ipam.config);
      expect(ipam!.subnet).toBe('fd00:ec::/64');
      const taken = [...topology.nodes, ...topology.peers].map((x) => x.address);
      expect(taken).not.toContain(ipam!.gateway);
    }
  });

  it('each node service runs the agent in compose mode with bird6, the topology directory read-only, the capabilities, sysctls, a tmpfs /run and a readiness healthcheck', async () => {
    const compose = parse(await generate('topology/example.yaml')) as ComposeFile;
    for (const name of ['node1', 'node2', 'node3']) {
      const service = compose.services[name]!;
      expect(service.build).toEqual({ context: '.', dockerfile: 'Dockerfile' });
      expect(service.cap_add.sort()).toEqual(['NET_ADMIN', 'NET_RAW', 'SYS_ADMIN']);
      expect(service).not.toHaveProperty('privileged');
      expect(service.sysctls).toEqual({
        'net.ipv6.conf.all.forwarding': 1,
        'net.ipv6.conf.all.accept_dad': 0,
        'net.ipv6.conf.default.accept_dad': 0,
        'net.ipv6.conf.all.disable_ipv6': 0,
        'net.ipv6.conf.default.disable_ipv6': 0,
        'net.ipv6.conf.eth0.proxy_ndp': 1,
      });
      expect(service.tmpfs).toEqual(['/run']);
      expect(service.volumes).toEqual([{ type: 'bind', source: './topology', target: CONTAINER_PATHS.topologyDir, read_only: true }]);
      expect(service.command).toEqual([
        'birdctl', 'agent', `${CONTAINER_PATHS.topologyDir}/example.yaml`, '--node', name,
        '--config', CONTAINER_PATHS.config, '--socket', CONTAINER_PATHS.socket, '--uplink', 'eth0', '--bird', '--compose-endpoints',
      ]);
      expect(service.healthcheck.test).toEqual(['CMD', 'birdctl', 'status', '--ready', '--socket', CONTAINER_PATHS.socket]);
    }
  });

  it('each endpoint is a service of its own: no Docker network, its node\'s PID namespace, its name in the environment, IPv6 on', async () => {
    const compose = parse(await generate('topology/example.yaml')) as ComposeFile;
    for (const [name, node] of [['web-1', 'node1'], ['db-1', 'node2'], ['vm-1', 'node3']] as const) {
      const service = compose.services[name]!;
      expect(service).toMatchObject({
        network_mode: 'none',
        pid: `service:${node}`,
        depends_on: [node],
        environment: { [ENDPOINT_ENV]: name },
        cap_drop: ['ALL'],
        cap_add: ['NET_RAW'],
        security_opt: ['no-new-privileges:true'],
      });
      expect(service).not.toHaveProperty('networks');
      expect(service).not.toHaveProperty('build');
      expect(service.sysctls).toMatchObject({ 'net.ipv6.conf.default.disable_ipv6': 0, 'net.ipv6.conf.default.accept_dad': 0 });
    }
  });

  it('the header explains every capability and names the endpoints it cannot deploy', async () => {
    const text = await generate('topology/example.yaml');
    const header = text.slice(0, text.indexOf('version:'));
    for (const word of ['NET_ADMIN', 'NET_RAW', 'SYS_ADMIN', 'PID namespace', '/proc/sys', 'tmpfs']) expect(header).toContain(word);
    const dir = join(scratch, 'no-netns');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 't.yaml'), readFileSync(join(REPO, 'topology/example.yaml'), 'utf8').replace('    netns: db-1\n', ''));
    const without = await generate('t.yaml', dir);
    expect(without).toMatch(/# Not deployed \(container endpoints without a netns are wired by someone else\): db-1\n/);
    expect(Object.keys((parse(without) as ComposeFile).services)).not.toContain('db-1');
    expect((parse(without) as ComposeFile).services.node1!.volumes[0]!.source).toBe('.');
  });

  it('refuses an endpoint named like a node: one compose service cannot be both (exit 2)', async () => {
    const file = join(scratch, 'clash.yaml');
    writeFileSync(file, readFileSync(join(REPO, 'topology/example.yaml'), 'utf8').replace('  - name: db-1\n', '  - name: node1\n'));
    await expect(runCli(['compose', file], context())).rejects.toMatchObject({
      code: 'TOPOLOGY_INVALID',
      exitCode: 2,
      problems: [expect.objectContaining({ path: 'endpoints[1].name', message: expect.stringContaining("also a node's name") })],
    });
  });

  it('a topology path full of YAML syntax reaches the file only as a quoted value', async () => {
    const dir = join(scratch, 'odd');
    const name = 'a: b #c\n- "d\'.yaml';
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir);
    copyFileSync(join(REPO, 'topology/example.yaml'), join(dir, name));
    const compose = parse(await generate(name, dir)) as ComposeFile;
    expect(Object.keys(compose)).toEqual(['version', 'services', 'networks']);
    expect(compose.services.node1!.volumes[0]!.source).toBe('.');
    expect(compose.services.node1!.command[2]).toBe(`${CONTAINER_PATHS.topologyDir}/${name}`);
  });

  it('refuses nodes outside one /64, naming each and the subnet (exit 2)', async () => {
    const file = join(scratch, 'split.yaml');
    writeFileSync(file, readFileSync(join(REPO, 'topology/example.yaml'), 'utf8').replace('fd00:ec::3', 'fd00:ed::3'));
    await expect(runCli(['compose', file], context())).rejects.toMatchObject({
      code: 'TOPOLOGY_INVALID',
      exitCode: 2,
      problems: [expect.objectContaining({ path: 'nodes[2].address', message: expect.stringContaining('outside fd00:ec::/64') })],
    });
  });

  it('the gateway avoids every node and peer address, even at the top of the /64', () => {
    const topology = parseTopology({
      apiVersion: 'bird6-controller/v1',
      cluster: { name: 't', asNumber: 64512 },
      ipPools: [{ cidr: 'fd00:10::/48' }],
      nodes: [
        { name: 'a', address: 'fd00:ec::ffff:ffff:ffff:fffe' },
        { name: 'b', address: 'fd00:ec::ffff:ffff:ffff:fffd' },
      ],
      peers: [{ name: 'tor', address: 'fd00:ec::ffff:ffff:ffff:fffc', asNumber: 65001 }],
    });
    expect(freeGatewayAddress(topology, nodeSubnet(topology))).toBe('fd00:ec::ffff:ffff:ffff:fffb');
  });
});

describeIntegration('docker-compose validates the generated files', { binaries: ['docker-compose'] }, () => {
  it('accepts the committed compose.yaml and the file of every example topology', async () => {
    const files = [join(REPO, 'compose.yaml')];
    for (const topology of ONE_SEGMENT_EXAMPLES) {
      const out = join(scratch, `${topology.split('/').pop()}.compose.yaml`);
      writeFileSync(out, await generate(topology));
      files.push(out);
    }
    for (const file of files) {
      const result = await processRunner.run('docker-compose', ['-f', file, 'config', '-q']);
      expect(result, file).toMatchObject({ exitCode: 0, stderr: '' });
    }
    // One docker-compose (a Python program) per example: seconds each on a loaded 2-core machine.
  }, 180_000);

  it('is a real check: it refuses a service with an unknown key', async () => {
    const broken = join(scratch, 'broken.yaml');
    writeFileSync(broken, readFileSync(join(REPO, 'compose.yaml'), 'utf8').replace('    hostname: node1\n', '    hostname: node1\n    capabilities: [NET_ADMIN]\n'));
    const result = await processRunner.run('docker-compose', ['-f', broken, 'config', '-q']);
    expect(result.exitCode).not.toBe(0);
    expect(result.stderr).toMatch(/capabilities/);
  });
});
