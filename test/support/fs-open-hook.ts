// For a `vi.mock('node:fs/promises', ...)` factory: the real module, but every file handle open()
// returns is first passed to `hook`, which may replace its methods (a write that fails as on a full
// disk, a sync that is recorded). Takes the real module rather than importing it, since this file is
// loaded from inside the factory, where node:fs/promises is the mock being built.
import type * as FsPromises from 'node:fs/promises';

export function withOpenHook(real: typeof FsPromises, hook: (handle: FsPromises.FileHandle, path: string) => void): typeof FsPromises {
  return {
    ...real,
    open: async (...args: Parameters<typeof real.open>) => {
      const handle = await real.open(...args);
      hook(handle, String(args[0]));
      return handle;
    },
  };
}
