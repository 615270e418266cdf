// Starts an HTTP server of one of the agent's views (stream, metrics) listening, and turns a
// failure to listen (port taken, address not of this host) into a usage error naming the view.
import type { Server } from 'node:http';
import { BirdctlError } from './errors.ts';

export async function listenOrRefuse(http: Server, options: { host: string; port: number; what: string; onFailure?: () => void }): Promise<void> {
  const { host, port, what } = options;
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen({ host, port }, () => {
      http.off('error', reject);
      resolve();
    });
  }).catch((error: unknown) => {
    options.onFailure?.();
    throw new BirdctlError('USAGE', `cannot listen for ${what} on ${host} port ${port}`, {
      hint: 'choose a free port and an address of this host',
      cause: error,
    });
  });
}
