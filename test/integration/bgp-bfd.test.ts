// BFD with real bird6: two nodes (a mesh session, BFD multihop as node sessions are) under a ToR
// bird6 (a directly connected eBGP session, single-hop BFD), with a 9 s hold time. A peer whose
// bird6 is frozen (SIGSTOP: the TCP session stays open, keepalives just stop) must be noticed by
// BFD within 1 s, long before the hold time.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeIntegration } from '../support/integration.ts';
import { NetnsTestbed, waitFor } from '../support/netns.ts';
import { allEstablished, birdCommand, protocols, startBirdWith, startNodeBird, topologyOf, type BirdHost } from './bgp-bed.ts';

const TOR = 'fd00:ec::f1';
const BIRDCTL = fileURLToPath(new URL('../../src/cli/birdctl.mjs', import.meta.url));

/** `birdctl status --json` for a socket; exit 3 (a peer not Established) is an answer, not a failure. */
function statusJson(socket: string): { peers: Array<{ name: string; info: string; lastError: string | null }> } {
  try {
    return JSON.parse(execFileSync(process.execPath, [BIRDCTL, 'status', '--socket', socket, '--json'], { encoding: 'utf8' }));
  } catch (error) {
    const { stdout, stderr } = error as { stdout: string; stderr: string };
    if (stdout === "") throw new Error(`birdctl status failed: ${stderr}`);
    return JSON.parse(stdout);
  }
}
const topology = topologyOf({
  apiVersion: 'bird6-controller/v1',
  cluster: { name: 'bfd', asNumber: 64512, bgp: { holdTime: 9, keepaliveTime: 3, bfd: true } },
  ipPools: [{ cidr: 'fd00:70::/48' }],
  nodes: [
    { name: 'n1', address: 'fd00:ec::1' },
    { name: 'n2', address: 'fd00:ec::2' },
  ],
  peers: [{ name: 'tor', address: TOR, asNumber: 65001, node: 'n1' }],
});

const TOR_CONFIG = `router id 10.0.0.9;
log stderr all;
protocol device { scan time 10; }
protocol bfd { interface "*" { interval 100 ms; multiplier 5; }; }
protocol bgp n1 {
  local as 65001;
  neighbor fd00:ec::1 as 64512;
  direct;
  bfd on;
  hold time 9; keepalive time 3; connect retry time 1; connect delay time 1; error wait time 1, 5;
  import all;
  export none;
}
`;

describeIntegration('BFD on BGP sessions', { root: true, netns: true, binaries: ['bird6', 'ip'] }, () => {
  const bed = new NetnsTestbed('bgpb');
  const hosts: BirdHost[] = [];
  let tor: BirdHost;
  const [n1, n2] = [() => hosts[0]!, () => hosts[1]!];

  /**
   * Freezes `peer`'s bird6 and measures how long n1 keeps `protocol` Established; `whileDown` runs
   * before the peer is thawed.
   */
  async function detectionMs(peer: BirdHost, protocol: string, whileDown: () => Promise<void> = async () => {}): Promise<number> {
    process.kill(peer.pid, 'SIGSTOP');
    const stopped = Date.now();
    try {
      await waitFor(`${protocol} down`, async () => ((await protocols(n1())).find((p) => p.name === protocol)?.info.startsWith('Established') ? undefined : true), 8000, 10);
      const ms = Date.now() - stopped;
      await whileDown();
      return ms;
    } finally {
      process.kill(peer.pid, 'SIGCONT');
    }
  }

  beforeAll(async () => {
    const ns = ['n1', 'n2', 'tor'].map((name) => bed.addNamespace(name));
    bed.connect([
      { netns: ns[0]!, ifname: 'eth0', cidr: 'fd00:ec::1/64' },
      { netns: ns[1]!, ifname: 'eth0', cidr: 'fd00:ec::2/64' },
      { netns: ns[2]!, ifname: 'eth0', cidr: `${TOR}/64` },
    ]);
    tor = startBirdWith(bed, ns[2]!, 'tor', TOR_CONFIG);
    hosts.push(startNodeBird(bed, ns[0]!, topology, 'n1'), startNodeBird(bed, ns[1]!, topology, 'n2'));
    await waitFor('n1 sessions', () => allEstablished(n1(), 2), 20_000, 200);
    await waitFor('BFD sessions up', async () => ((await birdCommand(n1(), 'show bfd sessions')).match(/\bUp\b/g)?.length === 2 ? true : undefined), 10_000, 100);
  }, 40_000);

  afterAll(async () => {
    await bed.cleanup();
  });

  it('runs a BFD session with the ToR and with the other node', async () => {
    const sessions = await birdCommand(n1(), 'show bfd sessions');
    expect(sessions).toMatch(new RegExp(`${TOR}\\s+eth0\\s+Up`));
    expect(sessions).toMatch(/fd00:ec::2\s+---\s+Up/);
  });

  it('notices a frozen ToR within 1 s (hold time 9 s)', async () => {
    const ms = await detectionMs(tor, 'Node_fd00_ec__f1', async () => {
      expect(await birdCommand(n1(), 'show protocols all Node_fd00_ec__f1')).toMatch(/Last error:\s+Error: BFD session down/);
      // BIRD reports BFD on a BGP session only as the reason it went down; `birdctl status` shows it.
      expect(statusJson(n1().socket).peers.find((p) => p.name === 'Node_fd00_ec__f1')).toMatchObject({ lastError: 'Error: BFD session down' });
    });
    console.log(`BFD detection, single-hop (ToR): ${ms} ms`);
    expect(ms).toBeLessThan(1000);
    await waitFor('ToR session back', () => allEstablished(n1(), 2), 20_000, 200);
  }, 30_000);

  it('notices a frozen node within 1 s over multihop BFD', async () => {
    await waitFor('BFD sessions up again', async () => ((await birdCommand(n1(), 'show bfd sessions')).match(/\bUp\b/g)?.length === 2 ? true : undefined), 10_000, 100);
    const ms = await detectionMs(n2(), 'Mesh_fd00_ec__2');
    console.log(`BFD detection, multihop (node): ${ms} ms`);
    expect(ms).toBeLessThan(1000);
  }, 30_000);
});
