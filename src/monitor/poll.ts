// One poll of BIRD: `show status` then `show protocols all` on the same connection, parsed into
// what the monitor observes. A BIRD that cannot be reached (socket gone, refused, no answer) is an
// observation, "daemon down", not an exception; a reply the parsers do not understand still throws.
import type { BirdCommands } from '../birdc/client.ts';
import { ProtocolsParser } from '../birdc/parse-protocols.ts';
import { parseShowStatus } from '../birdc/parse-status.ts';
import { ParseWarnings } from '../birdc/parse-warnings.ts';
import type { ProtocolBlocksCache } from '../birdc/protocol-blocks-cache.ts';
import { bgpPeers, type BgpPeer } from '../birdc/peers.ts';
import { BirdctlError } from '../errors.ts';
import type { DaemonState } from './types.ts';

export interface Observation {
  daemon: DaemonState;
  /** empty while the daemon is down */
  peers: BgpPeer[];
  /** the control connection was lost and made again since the previous poll: the daemon went away */
  reconnected?: boolean;
  /** values the parsers could not read (shown as null), one line per kind; absent when none */
  warnings?: string[];
}

export function downDaemon(error: string): DaemonState {
  return { up: false, version: null, routerId: null, serverTime: null, lastReboot: null, lastReconfiguration: null, gracefulRestart: false, error };
}

/**
 * One poll that throws when BIRD cannot be reached (for one-shot callers that report the error).
 * A poller of the same BIRD passes the same `blocks` every time, so unchanged protocols are not parsed again.
 */
export async function observeBird(bird: BirdCommands, nowMs: number, blocks?: ProtocolBlocksCache): Promise<Observation> {
  const warnings = new ParseWarnings();
  const status = parseShowStatus(await bird.command('show status'), Math.floor(nowMs / 1000), warnings);
  // `since` printed as a bare time is placed on BIRD's own day, not ours. Parsed block by block as
  // the reply arrives: for 1,000 peers that overlaps most of the parsing with BIRD's writing.
  const parser = new ProtocolsParser(status.serverTime ?? Math.floor(nowMs / 1000), true, warnings, blocks);
  const protocols = parser.finish(await bird.command('show protocols all', { onBlock: (block) => parser.block(block) }));
  return {
    daemon: {
      up: true,
      version: status.version,
      routerId: status.routerId,
      serverTime: status.serverTime,
      lastReboot: status.lastReboot,
      lastReconfiguration: status.lastReconfiguration,
      gracefulRestart: status.gracefulRestart,
      error: null,
    },
    peers: bgpPeers(protocols),
    ...(warnings.size === 0 ? {} : { warnings: warnings.list() }),
  };
}

/** One poll for the monitor: an unreachable BIRD is an observation, daemon down. */
export async function pollBird(bird: BirdCommands, nowMs: number, blocks?: ProtocolBlocksCache): Promise<Observation> {
  try {
    return await observeBird(bird, nowMs, blocks);
  } catch (error) {
    if (error instanceof BirdctlError && (error.code === 'BIRD_UNREACHABLE' || error.code === 'BIRD_TIMEOUT')) {
      return { daemon: downDaemon(error.message), peers: [] };
    }
    throw error;
  }
}
