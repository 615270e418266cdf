// Runs an async function over items with at most `limit` calls in flight at a time, keeping the
// results in the items' order. The endpoint programmer reads container namespaces this way: one
// process each, side by side, but not hundreds at once on a small host (see ip-dataplane.ts).
export async function mapBounded<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next;
      next += 1;
      results[index] = await fn(items[index]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
