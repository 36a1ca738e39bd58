/**
 * The TypeScript backend: the reference implementation of every BatchNorm kernel, and the fallback
 * when the native addon is unavailable.
 *
 * Statistics are one pass over the data: each (n, c) plane accumulates shifted sums Σ(x−K) and
 * Σ(x−K)² in double (K = the plane's first element, which removes the cancellation of the naive
 * formula), giving that plane's mean and M2; planes are then merged with Chan's parallel formula,
 * exactly as Welford partials are merged.
 */
import type {
  Backend,
  BackwardElemtArgs,
  BackwardReduceArgs,
  BackwardReduceResult,
  BatchStats,
  EvalBackwardArgs,
  ForwardEvalArgs,
  ForwardTrainArgs,
  ForwardTrainResult,
  GatheredStats,
  NCS,
} from './backend.js';
import type { FloatArray } from '../tensor/dtype.js';

/** Mean and M2 of one plane of `len` elements starting at `off`, shifted one-pass sums in double. */
function planeMoments(x: FloatArray, off: number, len: number, out: { mean: number; m2: number }): void {
  const k = x[off]!;
  let s = 0;
  let s2 = 0;
  for (let i = off, end = off + len; i < end; i++) {
    const d = x[i]! - k;
    s += d;
    s2 += d * d;
  }
  const m = s / len;
  out.mean = k + m;
  out.m2 = Math.max(0, s2 - s * m);
}

export function tsBatchStats(x: FloatArray, { n, c, s }: NCS): BatchStats {
  const mean = new Float64Array(c);
  const varBiased = new Float64Array(c);
  const count = n * s;
  if (count === 0) return { mean, varBiased, count };
  const pm = { mean: 0, m2: 0 };
  for (let ch = 0; ch < c; ch++) {
    // Chan's merge of the per-plane partials (count s each).
    let cnt = 0;
    let avg = 0;
    let m2 = 0;
    for (let b = 0; b < n; b++) {
      if (s === 0) continue;
      planeMoments(x, (b * c + ch) * s, s, pm);
      const tot = cnt + s;
      const delta = pm.mean - avg;
      avg += (delta * s) / tot;
      m2 += pm.m2 + (delta * delta * cnt * s) / tot;
      cnt = tot;
    }
    mean[ch] = avg;
    varBiased[ch] = m2 / count;
  }
  return { mean, varBiased, count };
}

/** y = x·α + β per channel. */
function affineTransform(
  x: FloatArray,
  y: FloatArray,
  { n, c, s }: NCS,
  alpha: Float64Array,
  beta: Float64Array,
): void {
  for (let b = 0; b < n; b++) {
    for (let ch = 0; ch < c; ch++) {
      const a = alpha[ch]!;
      const bb = beta[ch]!;
      const off = (b * c + ch) * s;
      for (let i = off, end = off + s; i < end; i++) y[i] = x[i]! * a + bb;
    }
  }
}

function foldAffine(
  c: number,
  mean: ArrayLike<number>,
  invstd: ArrayLike<number>,
  weight: FloatArray | null,
  bias: FloatArray | null,
): { alpha: Float64Array; beta: Float64Array } {
  const alpha = new Float64Array(c);
  const beta = new Float64Array(c);
  for (let ch = 0; ch < c; ch++) {
    const a = invstd[ch]! * (weight ? weight[ch]! : 1);
    alpha[ch] = a;
    beta[ch] = (bias ? bias[ch]! : 0) - mean[ch]! * a;
  }
  return { alpha, beta };
}

export function tsForwardTrain(a: ForwardTrainArgs): ForwardTrainResult {
  const { c } = a.dims;
  const st = tsBatchStats(a.x, a.dims);
  const invstd = new Float64Array(c);
  for (let ch = 0; ch < c; ch++) invstd[ch] = 1 / Math.sqrt(st.varBiased[ch]! + a.eps);
  if (st.count > 0) {
    const f = a.momentum;
    if (a.runningMean) {
      for (let ch = 0; ch < c; ch++) a.runningMean[ch] = f * st.mean[ch]! + (1 - f) * a.runningMean[ch]!;
    }
    if (a.runningVar) {
      const unbias = st.count / (st.count - 1);
      for (let ch = 0; ch < c; ch++) {
        a.runningVar[ch] = f * st.varBiased[ch]! * unbias + (1 - f) * a.runningVar[ch]!;
      }
    }
  }
  const { alpha, beta } = foldAffine(c, st.mean, invstd, a.weight, a.bias);
  affineTransform(a.x, a.y, a.dims, alpha, beta);
  return { mean: st.mean, invstd };
}

export function tsForwardEval(a: ForwardEvalArgs): void {
  const { alpha, beta } = foldAffine(a.dims.c, a.mean, a.invstd, a.weight, a.bias);
  affineTransform(a.x, a.y, a.dims, alpha, beta);
}

export function tsBackwardReduce({ dy, x, dims, mean }: BackwardReduceArgs): BackwardReduceResult {
  const { n, c, s } = dims;
  const sumDy = new Float64Array(c);
  const sumDyXmu = new Float64Array(c);
  for (let b = 0; b < n; b++) {
    for (let ch = 0; ch < c; ch++) {
      const m = mean[ch]!;
      const off = (b * c + ch) * s;
      let sd = 0;
      let sdx = 0;
      for (let i = off, end = off + s; i < end; i++) {
        const g = dy[i]!;
        sd += g;
        sdx += (x[i]! - m) * g;
      }
      sumDy[ch]! += sd;
      sumDyXmu[ch]! += sdx;
    }
  }
  return { sumDy, sumDyXmu };
}

export function tsBackwardElemt(a: BackwardElemtArgs): void {
  const { n, c, s } = a.dims;
  const cnt = a.count;
  for (let ch = 0; ch < c; ch++) {
    const inv = a.invstd[ch]!;
    const w = a.weight ? a.weight[ch]! : 1;
    const m = a.mean[ch]!;
    // dx = dy·(inv·w) − (sumDy/n)·(inv·w) − (x−m)·(sumDyXmu·inv²/n)·(inv·w)
    const scale = inv * w;
    const gradMean = a.sumDy[ch]! / cnt;
    const projScale = (a.sumDyXmu[ch]! / cnt) * inv * inv;
    for (let b = 0; b < n; b++) {
      const off = (b * c + ch) * s;
      for (let i = off, end = off + s; i < end; i++) {
        a.dx[i] = (a.dy[i]! - gradMean - (a.x[i]! - m) * projScale) * scale;
      }
    }
  }
}

export function tsBackwardEvalElemt(a: EvalBackwardArgs): void {
  const { n, c, s } = a.dims;
  for (let b = 0; b < n; b++) {
    for (let ch = 0; ch < c; ch++) {
      const k = a.invstd[ch]! * (a.weight ? a.weight[ch]! : 1);
      const off = (b * c + ch) * s;
      for (let i = off, end = off + s; i < end; i++) a.dx[i] = a.dy[i]! * k;
    }
  }
}

export function tsGatherStatsWithCounts(
  gathered: Float64Array,
  worldSize: number,
  c: number,
  eps: number,
): GatheredStats {
  const mean = new Float64Array(c);
  const invstd = new Float64Array(c);
  const varBiased = new Float64Array(c);
  const row = 2 * c + 1;
  let total = 0;
  for (let r = 0; r < worldSize; r++) {
    const cnt = gathered[r * row + 2 * c]!;
    if (cnt >= 1) total += cnt;
  }
  for (let ch = 0; ch < c; ch++) {
    let nAcc = 0;
    let avg = 0;
    let m2 = 0;
    for (let r = 0; r < worldSize; r++) {
      const base = r * row;
      const cnt = gathered[base + 2 * c]!;
      if (cnt < 1) continue; // empty ranks joined the collective with zeros; mask them out
      const mj = gathered[base + ch]!;
      const inv = gathered[base + c + ch]!;
      const varJ = (1 / (inv * inv) - eps) * cnt;
      const delta = avg - mj;
      m2 += varJ + (delta * delta * nAcc * cnt) / (nAcc + cnt);
      avg = (nAcc * avg + cnt * mj) / (nAcc + cnt);
      nAcc += cnt;
    }
    mean[ch] = avg;
    varBiased[ch] = nAcc > 0 ? m2 / nAcc : 0;
    invstd[ch] = 1 / Math.sqrt(varBiased[ch]! + eps);
  }
  return { mean, invstd, varBiased, count: total };
}

export const tsBackend: Backend = {
  name: 'ts',
  batchStats: tsBatchStats,
  forwardTrain: tsForwardTrain,
  forwardEval: tsForwardEval,
  backwardReduce: tsBackwardReduce,
  backwardElemt: tsBackwardElemt,
  backwardEvalElemt: tsBackwardEvalElemt,
  gatherStatsWithCounts: tsGatherStatsWithCounts,
};
