// How compose mode finds endpoint containers among the processes a node container sees: by the
// endpoint name in their environment, grouped by network namespace, never its own namespace.
// A scratch directory stands in for /proc; hard links give two "processes" one namespace inode.
import { linkSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { endpointOfEnviron, findEndpointProcesses } from '../../src/compose-node/endpoint-processes.ts';

const proc = mkdtempSync(join(tmpdir(), 'dkc-proc-'));
afterAll(() => rmSync(proc, { recursive: true, force: true }));

function processEntry(name: string, environ: string | undefined, netnsFrom?: string): number {
  mkdirSync(join(proc, name, 'ns'), { recursive: true });
  if (environ !== undefined) writeFileSync(join(proc, name, 'environ'), environ);
  const net = join(proc, name, 'ns', 'net');
  if (netnsFrom === undefined) writeFileSync(net, '');
  else linkSync(join(proc, netnsFrom, 'ns', 'net'), net);
  return statSync(net).ino;
}

describe('endpoint processes', () => {
  it('reads the endpoint name from a NUL-separated environment, whole variable names only', () => {
    expect(endpointOfEnviron('PATH=/bin\0BIRD6_ENDPOINT=web-1\0HOME=/')).toBe('web-1');
    expect(endpointOfEnviron('XBIRD6_ENDPOINT=web-1\0')).toBeUndefined();
    expect(endpointOfEnviron('')).toBeUndefined();
  });

  it('groups the processes of wanted endpoints by namespace, skipping its own namespace, other names and unreadable entries', () => {
    processEntry('self', 'BIRD6_ENDPOINT=web-1\0');
    const web = processEntry('10', 'BIRD6_ENDPOINT=web-1\0');
    processEntry('11', 'A=1\0BIRD6_ENDPOINT=web-1\0', '10'); // `docker exec` into the same container
    processEntry('12', 'BIRD6_ENDPOINT=db-1\0', 'self'); // claims an endpoint from the node's own namespace
    processEntry('13', 'BIRD6_ENDPOINT=other\0'); // not an endpoint of this node
    processEntry('14', undefined); // gone, or not readable
    const vm = processEntry('15', 'BIRD6_ENDPOINT=vm-1\0');
    mkdirSync(join(proc, 'sys'));

    const found = findEndpointProcesses(new Set(['web-1', 'db-1', 'vm-1']), proc);
    expect(Object.fromEntries(found)).toEqual({
      'web-1': [
        { pid: 10, netnsInode: web },
        { pid: 11, netnsInode: web },
      ],
      'vm-1': [{ pid: 15, netnsInode: vm }],
    });
  });
});
