/**
 * Delta debugging (Zeller and Hildebrandt, "Simplifying and Isolating Failure-Inducing Input",
 * 2002): finds a 1-minimal sublist of `items` for which `fails` still holds — removing any one
 * more item makes it pass. `fails(items)` must hold on entry. Tries the empty list first.
 */
export function ddmin<T>(items: readonly T[], fails: (subset: readonly T[]) => boolean): T[] {
  const cache = new Map<string, boolean>();
  const indices = items.map((_, i) => i);
  const test = (subset: readonly number[]): boolean => {
    const key = subset.join(",");
    let verdict = cache.get(key);
    if (verdict === undefined) {
      verdict = fails(subset.map((i) => items[i] as T));
      cache.set(key, verdict);
    }
    return verdict;
  };
  if (indices.length === 0 || test([])) return [];
  let current = indices;
  let granularity = 2;
  while (current.length >= 2) {
    const chunks = split(current, granularity);
    let reduced = false;
    for (const chunk of chunks) {
      if (test(chunk)) {
        current = chunk;
        granularity = 2;
        reduced = true;
        break;
      }
    }
    if (!reduced) {
      for (let i = 0; i < chunks.length; i++) {
        const complement = chunks.filter((_, j) => j !== i).flat();
        if (test(complement)) {
          current = complement;
          granularity = Math.max(granularity - 1, 2);
          reduced = true;
          break;
        }
      }
    }
    if (!reduced) {
      if (granularity >= current.length) break;
      granularity = Math.min(granularity * 2, current.length);
    }
  }
  return current.map((i) => items[i] as T);
}

/** `list` in `n` contiguous chunks of near-equal size. */
function split<T>(list: readonly T[], n: number): T[][] {
  const chunks: T[][] = [];
  let start = 0;
  for (let i = 0; i < n; i++) {
    const end = start + Math.floor((list.length - start) / (n - i));
    chunks.push(list.slice(start, end));
    start = end;
  }
  return chunks.filter((c) => c.length > 0);
}
