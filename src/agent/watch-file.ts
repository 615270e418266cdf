// Watches one file for changes, including an editor's or a ConfigMap's rename-over-write (which
// replaces the inode, so watching the file itself would go deaf after the first save): the
// directory is watched and events for the file's name are debounced into one callback.
import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';

export interface FileWatch {
  close(): void;
}

export function watchFile(path: string, debounceMs: number, onChange: () => void): FileWatch {
  const name = basename(path);
  let timer: NodeJS.Timeout | undefined;
  const watcher: FSWatcher = watch(dirname(path), { persistent: false }, (_event, filename) => {
    // Some platforms omit the name; a spurious reload is harmless (unchanged content is skipped).
    if (filename !== null && filename.toString() !== name) return;
    clearTimeout(timer);
    timer = setTimeout(onChange, debounceMs);
  });
  return {
    close() {
      clearTimeout(timer);
      watcher.close();
    },
  };
}
