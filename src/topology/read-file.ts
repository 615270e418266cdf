// How the topology file is read: a regular file of at most 16 MiB, never blocking on a FIFO or a
// device (src/read-regular-file.ts), with errors that say "topology".
import { openRegularFile, readRegularFile, type FileRole } from '../read-regular-file.ts';

/** The largest topology file read: far above a cluster of thousands of nodes and endpoints. */
export const MAX_TOPOLOGY_BYTES = 16 * 1024 * 1024;

const TOPOLOGY: FileRole = {
  noun: 'topology',
  code: 'TOPOLOGY_READ',
  example: 'for example topology/example.yaml',
  tooLargeHint: 'split the cluster into several topologies, or check that this is the topology file',
  maxBytes: MAX_TOPOLOGY_BYTES,
};

/** The topology file's text, or a TOPOLOGY_READ error that says why it cannot be read. */
export async function readTopologyFile(file: string, maxBytes = MAX_TOPOLOGY_BYTES): Promise<string> {
  return readRegularFile({ ...TOPOLOGY, maxBytes }, file);
}

/** Opens the topology file, refusing anything but a regular file on the open descriptor. */
export const openTopologyFile = (file: string) => openRegularFile(TOPOLOGY, file);
