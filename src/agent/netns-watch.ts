// Watches the directory of named network namespaces (`ip netns` and container runtimes name them
// in /run/netns). On a host whose runtime makes a container's namespace after the topology names
// the endpoint, the agent learns of it here at once instead of at the next resync. Only names a
// topology could give (NETNS_RE) are reported; the caller decides whether one matters. A
// directory that is not there yet (nothing named a namespace since boot) is looked for again
// every retryMs; the agent's periodic resync remains the net under all of it.
import { watch, type FSWatcher } from 'node:fs';
import { NETNS_RE } from '../topology/index.ts';

export interface NamespaceDirWatchOptions {
  onName: (name: string) => void;
  /** how often a missing directory is looked for again */
  retryMs: number;
  /** a watch that could not be (re)made, once per kind of failure */
  onError?: (error: NodeJS.ErrnoException) => void;
}

export interface NamespaceDirWatch {
  close(): void;
}

export function watchNamespaceDir(dir: string, options: NamespaceDirWatchOptions): NamespaceDirWatch {
  let watcher: FSWatcher | undefined;
  let retry: NodeJS.Timeout | undefined;
  let closed = false;
  let lastErrorCode: string | undefined;

  const later = () => {
    if (closed) return;
    retry = setTimeout(open, options.retryMs);
    // The agent's own timers and servers keep it alive, not a watch that waits for a directory.
    retry.unref();
  };

  function open(): void {
    try {
      watcher = watch(dir, { persistent: false }, (_event, filename) => {
        if (typeof filename === 'string' && NETNS_RE.test(filename)) options.onName(filename);
      });
      lastErrorCode = undefined;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== lastErrorCode) options.onError?.(error as NodeJS.ErrnoException);
      lastErrorCode = code;
      later();
      return;
    }
    watcher.on('error', () => {
      watcher?.close();
      watcher = undefined;
      later();
    });
  }

  open();
  return {
    close() {
      closed = true;
      clearTimeout(retry);
      watcher?.close();
    },
  };
}
