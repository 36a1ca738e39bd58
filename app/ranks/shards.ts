/**
 * How a batch is split over ranks, for every caller (the Ranks workspace's host service and
 * `normscope ranks`): shard sizes (even when none are given) and the rows each rank receives.
 */
import type { WireTensor } from './protocol.js';

/** `n` rows over `world` ranks, the first `n % world` ranks one row more. */
export function evenShards(n: number, world: number): number[] {
  return Array.from({ length: world }, (_, r) => Math.floor(n / world) + (r < n % world ? 1 : 0));
}

/** Consecutive rows of a row-major batch (`shape[0]` rows), `counts[r]` rows for rank r, as `dtype`. */
export function splitRows(
  data: Float32Array | Float64Array,
  shape: readonly number[],
  counts: readonly number[],
  dtype: 'float32' | 'float64',
): WireTensor[] {
  const per = shape.slice(1).reduce((p, d) => p * d, 1);
  let off = 0;
  return counts.map((n) => {
    const part = data.subarray(off * per, (off + n) * per);
    off += n;
    return {
      shape: [n, ...shape.slice(1)],
      dtype,
      data: dtype === 'float32' ? Float32Array.from(part) : Float64Array.from(part),
    };
  });
}
