/**
 * The growth of this process's resident memory while something runs: sampled
 * every few milliseconds (the event loop turns between output chunks), so a
 * peak that is freed again before the end is still seen.
 */
export async function peakRssGrowth<T>(run: () => Promise<T>): Promise<{ value: T; growth: number }> {
  const base = process.memoryUsage.rss();
  let peak = base;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
  }, 2);
  try {
    const value = await run();
    peak = Math.max(peak, process.memoryUsage.rss());
    return { value, growth: peak - base };
  } finally {
    clearInterval(timer);
  }
}

export const MiB = 1024 * 1024;
