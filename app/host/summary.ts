/**
 * Numbers the window shows, computed on the host in float64 from engine tensors: summaries,
 * histograms, per-channel batch statistics, and downsampling so that what crosses the contract stays
 * small whatever the tensor size.
 */
import type { Histogram, TensorSummary } from '../shared/contract.js';
import type { Tensor } from '../../engine/index.js';
import { histogram as engineHistogram, summarize as engineSummary } from '../../engine/index.js';

/** What the host needs of a tensor (the engine's Tensor satisfies it). */
export interface TensorLike {
  readonly shape: readonly number[];
  readonly dtype: string;
  numel(): number;
  getFlat(i: number): number;
}

/**
 * The engine's summary (engine/inspect/summary.ts: corrected two-pass variance; on the device when the
 * values are only there), with the tensor's shape and dtype: the contract's TensorSummary is that type.
 */
export function summarize(t: Tensor): TensorSummary {
  return { ...engineSummary(t), shape: [...t.shape], dtype: t.dtype };
}

/** `bins` equal bins from the finite minimum to the maximum (a one-wide range when they coincide). */
export function histogram(t: Tensor, bins = 40): Histogram {
  const s = engineSummary(t);
  const lo = s.min ?? 0;
  const hi = s.max !== null && s.max > lo ? s.max : lo + 1;
  const h = engineHistogram(t, bins, [lo, hi]);
  return { edges: Float64Array.from(h.edges), counts: Uint32Array.from(h.counts) };
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
