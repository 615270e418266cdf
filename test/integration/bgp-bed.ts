// Shared plumbing of the bgp-*.test.ts suites: real bird6 with rendered configs on hosts in
// network namespaces, container-like endpoints wired as the endpoint programmer wires them (a veth
// per endpoint, a /128 route with the endpoint route protocol), hand-written bird6 routers, and
// the questions the suites ask the kernel and BIRD.
import { writeFileSync } from 'node:fs';
import { BirdClient } from '../../src/birdc/client.ts';
import type { ProtocolRow } from '../../src/birdc/parse-protocols.ts';
import { render } from '../../src/render/render.ts';
import { ENDPOINT_ROUTE_PROTOCOL, parseTopology, type Topology } from '../../src/topology/index.ts';
import { showProtocols } from '../support/bird-control.ts';
import type { NetnsTestbed } from '../support/netns.ts';

export interface BirdHost {
  name: string;
  netns: string;
  socket: string;
  config: string;
  pid: number;
}

/** Writes `text` as `<name>.conf` in the testbed and starts bird6 on it in `netns`. */
export function startBirdWith(bed: NetnsTestbed, netns: string, name: string, text: string): BirdHost {
  const config = bed.path(`${name}.conf`);
  writeFileSync(config, text);
  const { child, socket } = bed.startBird(netns, config, name);
  return { name, netns, socket, config, pid: child.pid! };
}

/** bird6 with the config the renderer makes for `node` of `topology`. */
export function startNodeBird(bed: NetnsTestbed, netns: string, topology: Topology, node: string): BirdHost {
  return startBirdWith(bed, netns, node, render(topology, node));
}

/** Re-renders a node's config from `topology` and has its bird6 load it. */
export async function reconfigure(host: BirdHost, topology: Topology): Promise<void> {
  writeFileSync(host.config, render(topology, host.name));
  await birdCommand(host, 'configure');
}

export function topologyOf(doc: unknown): Topology {
  return parseTopology(doc, '<bgp test>');
}

export async function birdCommand(host: Pick<BirdHost, 'socket'>, command: string): Promise<string> {
  const client = new BirdClient({ socketPath: host.socket, reconnect: false, connectTimeoutMs: 1000 });
  try {
    const reply = await client.command(command);
    // The final line carries the answer of some commands (`show route count`).
    return [...reply.blocks.flatMap((b) => b.lines), reply.text].join('\n');
  } finally {
    await client.close();
  }
}

export function protocols(host: Pick<BirdHost, 'socket'>): Promise<ProtocolRow[]> {
  return showProtocols(host.socket);
}

/** True when every BGP protocol of `host` is Established (and it has at least `atLeast`). */
export async function allEstablished(host: Pick<BirdHost, 'socket'>, atLeast = 1): Promise<true | undefined> {
  const bgp = (await protocols(host)).filter((p) => p.proto === 'BGP');
  return bgp.length >= atLeast && bgp.every((p) => p.info.startsWith('Established')) ? true : undefined;
}

/**
 * A container endpoint on a host: its own namespace, a veth whose host side is `ifname` with
 * fe80::1 as the endpoint's gateway, and the /128 route the endpoint programmer would install.
 */
export function addEndpoint(bed: NetnsTestbed, host: string, name: string, address: string, ifname: string): string {
  const netns = bed.addNamespace(name);
  bed.run(host, 'ip', ['link', 'add', ifname, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', netns]);
  bed.run(host, 'ip', ['-6', 'addr', 'add', 'fe80::1/64', 'dev', ifname, 'nodad']);
  bed.run(host, 'ip', ['link', 'set', ifname, 'up']);
  bed.run(netns, 'ip', ['-6', 'addr', 'add', `${address}/128`, 'dev', 'eth0', 'nodad']);
  bed.run(netns, 'ip', ['link', 'set', 'eth0', 'up']);
  bed.run(netns, 'ip', ['-6', 'route', 'add', 'default', 'via', 'fe80::1', 'dev', 'eth0']);
  bed.run(host, 'ip', ['-6', 'route', 'add', `${address}/128`, 'dev', ifname, 'proto', String(ENDPOINT_ROUTE_PROTOCOL)]);
  return netns;
}

/** One echo request with a 2 s wait; the output says who answered (or who reported an error). */
export function ping(bed: NetnsTestbed, netns: string, address: string): { ok: boolean; output: string } {
  try {
    return { ok: true, output: bed.run(netns, 'ping', ['-6', '-n', '-c', '1', '-W', '2', address]) };
  } catch (error) {
    return { ok: false, output: String((error as { stdout?: string }).stdout ?? error) };
  }
}

/** `ip -6 route show <selector...>` in a namespace, trimmed. */
export function kernelRoutes(bed: NetnsTestbed, netns: string, ...selector: string[]): string {
  return bed.run(netns, 'ip', ['-6', 'route', 'show', ...selector]).trim();
}
