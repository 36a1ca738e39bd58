/**
 * Numbers the window shows, computed on the host in float64 from engine tensors: summaries,
 * histograms, per-channel batch statistics, and downsampling so that what crosses the contract stays
 * small whatever the tensor size.
 */
import type { Histogram, TensorSummary } from '../shared/contract.js';

/** What the host needs of a tensor (the engine's Tensor satisfies it). */
export interface TensorLike {
  readonly shape: readonly number[];
  readonly dtype: string;
  numel(): number;
  getFlat(i: number): number;
}

export function summarize(t: TensorLike): TensorSummary {
  const n = t.numel();
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  let sumSq = 0;
  let finite = 0;
  let nan = 0;
  let inf = 0;
  for (let i = 0; i < n; i++) {
    const v = t.getFlat(i);
    if (Number.isNaN(v)) nan++;
    else if (!Number.isFinite(v)) inf++;
    else {
      if (v < min) min = v;
      if (v > max) max = v;
      sum += v;
      sumSq += v * v;
      finite++;
    }
  }
  const mean = finite ? sum / finite : NaN;
  const variance = finite > 1 ? Math.max(0, (sumSq - finite * mean * mean) / (finite - 1)) : finite === 1 ? 0 : NaN;
  return {
    shape: [...t.shape],
    dtype: t.dtype,
    numel: n,
    min: finite ? min : NaN,
    max: finite ? max : NaN,
    mean,
    std: Math.sqrt(variance),
    nan,
    inf,
  };
}

export function histogram(t: TensorLike, bins = 40): Histogram {
  const s = summarize(t);
  const lo = Number.isFinite(s.min) ? s.min : 0;
  const hi = Number.isFinite(s.max) && s.max > lo ? s.max : lo + 1;
  const edges = new Float64Array(bins + 1);
  for (let i = 0; i <= bins; i++) edges[i] = lo + ((hi - lo) * i) / bins;
  const counts = new Uint32Array(bins);
  const n = t.numel();
  for (let i = 0; i < n; i++) {
    const v = t.getFlat(i);
    if (!Number.isFinite(v)) continue;
    const b = Math.min(bins - 1, Math.floor(((v - lo) / (hi - lo)) * bins));
    counts[b]!++;
  }
  return { edges, counts };
}

export interface ChannelStats {
  mean: Float32Array;
  varBiased: Float32Array;
  varUnbiased: Float32Array;
  count: number;
}

/** Per-channel statistics over N and the spatial dims (dim 1 is the channel), two-pass in float64. */
export function channelStats(t: TensorLike): ChannelStats | null {
  if (t.shape.length < 2) return null;
  const N = t.shape[0]!;
  const C = t.shape[1]!;
  const S = t.shape.slice(2).reduce((a, b) => a * b, 1);
  const count = N * S;
  const mean = new Float32Array(C);
  const vb = new Float32Array(C);
  const vu = new Float32Array(C);
  for (let c = 0; c < C; c++) {
    let sum = 0;
    for (let n = 0; n < N; n++) for (let s = 0; s < S; s++) sum += t.getFlat((n * C + c) * S + s);
    const m = sum / count;
    let m2 = 0;
    for (let n = 0; n < N; n++) {
      for (let s = 0; s < S; s++) {
        const d = t.getFlat((n * C + c) * S + s) - m;
        m2 += d * d;
      }
    }
    mean[c] = m;
    vb[c] = m2 / count;
    vu[c] = count > 1 ? m2 / (count - 1) : NaN;
  }
  return { mean, varBiased: vb, varUnbiased: vu, count };
}

/** At most `max` values: the tensor itself when small, else evenly spaced samples (for display). */
export function displayValues(t: TensorLike | null, max = 1024): Float32Array | null {
  if (!t) return null;
  const n = t.numel();
  const k = Math.min(n, max);
  const out = new Float32Array(k);
  for (let i = 0; i < k; i++) out[i] = t.getFlat(k === n ? i : Math.floor((i * n) / k));
  return out;
}

export function l2(t: TensorLike | null): number | null {
  if (!t) return null;
  let s = 0;
  for (let i = 0; i < t.numel(); i++) s += t.getFlat(i) ** 2;
  return Math.sqrt(s);
}
