// Tells its caller when one file may have changed, whichever way the change comes. No single
// mechanism sees them all, so three are combined:
// - a watch on the directory: a rename over the file (an editor's save) replaces its inode, and a
//   Kubernetes ConfigMap update only renames a `..data` symlink beside it, never the file's name;
// - a watch on the file itself (inotify follows a symlink to its target): an in-place write to a
//   file bind-mounted alone into a container reaches its inode but no directory the container sees;
// - a periodic stat of the file and the directory: a deleted and re-created directory, or a watch
//   that could not be armed (inotify limits), fires nothing at all.
// Each event and each poll compares the file's identity and re-arms a watch whose directory or file
// is no longer the one watched. Only stat is used, never open: opening a FIFO put in the file's
// place would block.
import { watch, type FSWatcher } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename, dirname } from 'node:path';

export interface FileWatch {
  /** Resolves once the watches are armed and the file's present state is recorded: later changes are seen. */
  readonly ready: Promise<void>;
  close(): void;
}

export interface FileWatchOptions {
  /** In-place writes arrive as several events while the writer is busy; they make one callback this long after the last. */
  debounceMs: number;
  /** Period of the safety-net stat, the longest a change no event reports goes unnoticed. */
  pollMs: number;
}

/** What identifies one state of a path: its inode (following symlinks) and that inode's size and times. */
interface Fingerprint {
  /** dev:ino, or the error code when the path does not resolve */
  inode: string;
  /** inode plus type, size, mtime and ctime (nanoseconds) */
  key: string;
}

async function fingerprint(path: string): Promise<Fingerprint> {
  try {
    const s = await stat(path, { bigint: true });
    const inode = `${s.dev}:${s.ino}`;
    return { inode, key: `${inode}:${s.mode}:${s.size}:${s.mtimeNs}:${s.ctimeNs}` };
  } catch (error) {
    const missing = `missing:${(error as NodeJS.ErrnoException).code ?? 'unknown'}`;
    return { inode: missing, key: missing };
  }
}

const exists = (f: Fingerprint) => !f.inode.startsWith('missing:');

interface ArmedWatch {
  watcher: FSWatcher;
  /** the inode the watch was armed on */
  inode: string;
  /**
   * The watched inode itself was renamed or deleted. A file or directory created in its place often
   * gets the same inode number back, so comparing numbers alone would keep a dead watch.
   */
  stale: boolean;
}

class FileWatcher implements FileWatch {
  private readonly dir: string;
  private readonly name: string;
  private dirWatch: ArmedWatch | undefined;
  private fileWatch: ArmedWatch | undefined;
  private last: Fingerprint | undefined;
  private readonly poll: NodeJS.Timeout;
  private debounce: NodeJS.Timeout | undefined;
  private checking = false;
  private checkAgain = false;
  private closed = false;
  readonly ready: Promise<void>;
  private readyResolve: () => void = () => undefined;

  constructor(
    private readonly path: string,
    private readonly options: FileWatchOptions,
    private readonly onChange: () => void,
  ) {
    this.dir = dirname(path);
    this.name = basename(path);
    this.poll = setInterval(() => void this.check(false), options.pollMs);
    // Like the watches (persistent: false), the poll alone does not keep the process running.
    this.poll.unref();
    this.ready = new Promise((resolve) => {
      this.readyResolve = resolve;
    });
    void this.check(false);
  }

  /**
   * Stats the directory and the file, re-arms stale watches and calls back when the file changed:
   * at once for a new inode (a rename over it is complete the moment it happens), after the
   * debounce for a write into the same inode or a file gone missing (it may be mid-write or about
   * to be re-created). `force` calls back even when nothing changed: a write within one timestamp
   * tick with the same size looks unchanged to stat.
   */
  private async check(force: boolean): Promise<void> {
    if (this.checking) {
      this.checkAgain = true;
      if (force) this.scheduleDebounced();
      return;
    }
    this.checking = true;
    try {
      do {
        this.checkAgain = false;
        const [dir, file] = await Promise.all([fingerprint(this.dir), fingerprint(this.path)]);
        if (this.closed) return;
        this.dirWatch = this.rearm(this.dirWatch, this.dir, dir, (armed, event, filename) => this.onDirEvent(armed, event, filename));
        this.fileWatch = this.rearm(this.fileWatch, this.path, file, (armed, event) => this.onFileEvent(armed, event));
        const before = this.last;
        this.last = file;
        if (before === undefined) continue; // the first check only records the state
        if (force) {
          force = false;
          this.fire();
        } else if (before.key !== file.key) {
          if (exists(file) && before.inode !== file.inode) this.fire();
          else this.scheduleDebounced();
        }
      } while (this.checkAgain && !this.closed);
    } finally {
      this.checking = false;
      this.readyResolve();
    }
  }

  private onDirEvent(armed: ArmedWatch, event: string, filename: string | Buffer | null): void {
    const name = filename?.toString();
    // A write into the file is debounced; anything else in the directory (the file renamed, a
    // ConfigMap's `..data` swapped, a name we cannot see) is checked at once.
    if (event === 'change' && name === this.name) {
      this.scheduleDebounced();
      return;
    }
    // Events about the watched directory itself carry its own name (libuv's inotify backend).
    if (event === 'rename' && name === basename(this.dir)) armed.stale = true;
    void this.check(false);
  }

  private onFileEvent(armed: ArmedWatch, event: string): void {
    if (event === 'change') {
      this.scheduleDebounced();
      return;
    }
    armed.stale = true; // the inode was renamed or deleted: re-arm on what the path names now
    void this.check(false);
  }

  private scheduleDebounced(): void {
    if (this.closed) return;
    clearTimeout(this.debounce);
    this.debounce = setTimeout(() => void this.check(true), this.options.debounceMs);
  }

  private fire(): void {
    clearTimeout(this.debounce);
    if (!this.closed) this.onChange();
  }

  /** The watch on `path` for its current inode: kept, replaced, or dropped while the path is missing. */
  private rearm(
    current: ArmedWatch | undefined,
    path: string,
    now: Fingerprint,
    listener: (armed: ArmedWatch, event: string, filename: string | Buffer | null) => void,
  ): ArmedWatch | undefined {
    if (current !== undefined && !current.stale && current.inode === now.inode) return current;
    current?.watcher.close();
    if (!exists(now)) return undefined;
    try {
      const watcher = watch(path, { persistent: false }, (event, filename) => listener(armed, event, filename));
      const armed: ArmedWatch = { watcher, inode: now.inode, stale: false };
      // An error (the inode went away, the watch limit) leaves the poll in charge until it re-arms.
      watcher.on('error', () => {
        watcher.close();
        if (this.dirWatch?.watcher === watcher) this.dirWatch = undefined;
        if (this.fileWatch?.watcher === watcher) this.fileWatch = undefined;
        void this.check(false);
      });
      return armed;
    } catch {
      // The path vanished between stat and watch, or inotify refused: the next check tries again.
      return undefined;
    }
  }

  close(): void {
    this.closed = true;
    clearInterval(this.poll);
    clearTimeout(this.debounce);
    this.dirWatch?.watcher.close();
    this.fileWatch?.watcher.close();
    this.dirWatch = undefined;
    this.fileWatch = undefined;
  }
}

export function watchFile(path: string, options: FileWatchOptions, onChange: () => void): FileWatch {
  return new FileWatcher(path, options, onChange);
}
