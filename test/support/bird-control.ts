// Questions tests ask a real bird6 over its control socket: a connection per call and no
// reconnecting, because the socket may not exist yet (bird6 still starting) or any more.
import { BirdClient } from '../../src/birdc/client.ts';
import { parseShowProtocols, type ProtocolRow } from '../../src/birdc/parse-protocols.ts';

/** `show protocols` of the bird6 at `socket`, parsed. */
export async function showProtocols(socket: string): Promise<ProtocolRow[]> {
  const client = new BirdClient({ socketPath: socket, reconnect: false, connectTimeoutMs: 1000 });
  try {
    return parseShowProtocols(await client.command('show protocols'), Date.now() / 1000);
  } finally {
    await client.close();
  }
}
