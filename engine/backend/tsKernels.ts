/**
 * The TypeScript backend: the reference implementation of every BatchNorm kernel, and the fallback
 * when the native addon is unavailable.
 *
 * Statistics are one pass over the data: each (n, c) plane accumulates shifted sums Σ(x−K) and
 * Σ(x−K)² in double (K = the plane's first element, which removes the cancellation of the naive
 * formula), giving that plane's mean and M2; planes are then merged with Chan's parallel formula,
 * exactly as Welford partials are merged. Planes smaller than ROW_S elements (BatchNorm1d on (N, C),
 * tiny spatial maps) are walked row by row instead, one accumulator per column with the channel's
 * first element as the shift (all columns of a channel share it, so their sums simply add).
 *
 * Loops run in memory order (n outer, /** Below this many elements per plane, kernels walk whole rows with per-column state. */
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

/** Below this many elements per plane, kernels walk whole rows with per-column state. */
const ROW_S = 16;

/** Sums of x[off..off+len) − k and their squares (four accumulators); writes them to out[0], out[1]. */
function shiftedSums(x: FloatArray, off: number, len: number, k: number, out: Float64Array): void {
  let a0 = 0;
  let a1 = 0;
  let a2 = 0;
  let a3 = 0;
  let q0 = 0;
  let q1 = 0;
  let q2 = 0;
  let q3 = 0;
  let i = off;
  const end = off + len;
  for (const end4 = end - 3; i < end4; i += 4) {
    const d0 = x[i]! - k;
    const d1 = x[i + 1]! - k;
    const d2 = x[i + 2]! - k;
    const d3 = x[i + 3]! - k;
    a0 += d0;
    a1 += d1;
    a2 += d2;
    a3 += d3;
    q0 += d0 * d0;
    q1 += d1 * d1;
    q2 += d2 * d2;
    q3 += d3 * d3;
  }
  for (; i < end; i++) {
    const d = x[i]! - k;
    a0 += d;
    q0 += d * d;
  }
  out[0] = a0 + a1 + (a2 + a3);
  out[1] = q0 + q1 + (q2 + q3);
}

/** Per-channel value expanded to one per column of a row (length c·s). */
function expand(c: number, s: number, v: ArrayLike<number>): Float64Array {
  const e = new Float64Array(c * s);
  for (let ch = 0; ch < c; ch++) e.fill(v[ch]!, ch * s, ch * s + s);
  return e;
}

export function tsBatchStats(x: FloatArray, { n, c, s }: NCS): BatchStats {
  const mean = new Float64Array(c);
  const varBiased = new Float64Array(c);
  const count = n * s;
  if (count === 0 || c === 0) return { mean, varBiased, count };
  if (s < ROW_S) {
    const cs = c * s;
    const k = new Float64Array(c);
    for (let ch = 0; ch < c; ch++) k[ch] = x[ch * s]!;
    const ke = expand(c, s, k);
    const s1 = new Float64Array(cs);
    const s2 = new Float64Array(cs);
    for (let b = 0, off = 0; b < n; b++, off += cs) {
      for (let j = 0; j < cs; j++) {
        const d = x[off + j]! - ke[j]!;
        s1[j]! += d;
        s2[j]! += d * d;
      }
    }
    for (let ch = 0; ch < c; ch++) {
      let t1 = 0;
      let t2 = 0;
      for (let j = ch * s; j < ch * s + s; j++) {
        t1 += s1[j]!;
        t2 += s2[j]!;
      }
      const m = t1 / count;
      mean[ch] = k[ch]! + m;
      varBiased[ch] = Math.max(0, t2 - t1 * m) / count;
    }
    return { mean, varBiased, count };
  }
  // Chan's merge of the per-plane partials (count s each), planes visited in memory order.
  const cnt = new Float64Array(c);
  const m2 = new Float64Array(c);
  const sums = new Float64Array(2);
  for (let b = 0; b < n; b++) {
    for (let ch = 0; ch < c; ch++) {
      const off = (b * c + ch) * s;
      const k = x[off]!;
      shiftedSums(x, off, s, k, sums);
      const m = sums[0]! / s;
      const pMean = k + m;
      const pM2 = Math.max(0, sums[1]! - sums[0]! * m);
      const prev = cnt[ch]!;
      const tot = prev + s;
      const delta = pMean - mean[ch]!;
      mean[ch]! += (delta * s) / tot;
      m2[ch]! += pM2 + (delta * delta * prev * s) / tot;
      cnt[ch] = tot;
    }
  }
  for (let ch = 0; ch < c; ch++) varBiased[ch] = m2[ch]! / count;
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
  if (s < ROW_S) {
    const cs = c * s;
    const ae = expand(c, s, alpha);
    const be = expand(c, s, beta);
    for (let b = 0, off = 0; b < n; b++, off += cs) {
      for (let j = 0; j < cs; j++) y[off + j] = x[off + j]! * ae[j]! + be[j]!;
    }
    return;
  }
  for (let b = 0; b < n; b++) {
    for (let ch = 0; ch < c; ch++) {
      const a = alpha[ch]!;
      const bb = beta[ch]!;
      const off = (b * c + ch) * s;
      const end = off + s;
      let i = off;
      for (const end4 = end - 3; i < end4; i += 4) {
        y[i] = x[i]! * a + bb;
        y[i + 1] = x[i + 1]! * a + bb;
        y[i + 2] = x[i + 2]! * a + bb;
        y[i + 3] = x[i + 3]! * a + bb;
      }
      for (; i < end; i++) y[i] = x[i]! * a + bb;
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
  if (s < ROW_S) {
    const cs = c * s;
    const me = expand(c, s, mean);
    const a1 = new Float64Array(cs);
    const a2 = new Float64Array(cs);
    for (let b = 0, off = 0; b < n; b++, off += cs) {
      for (let j = 0; j < cs; j++) {
        const g = dy[off + j]!;
        a1[j]! += g;
        a2[j]! += (x[off + j]! - me[j]!) * g;
      }
    }
    for (let ch = 0; ch < c; ch++) {
      for (let j = ch * s; j < ch * s + s; j++) {
        sumDy[ch]! += a1[j]!;
        sumDyXmu[ch]! += a2[j]!;
      }
    }
    return { sumDy, sumDyXmu };
  }
  for (let b = 0; b < n; b++) {
    for (let ch = 0; ch < c; ch++) {
      const m = mean[ch]!;
      const off = (b * c + ch) * s;
      let g0 = 0;
      let g1 = 0;
      let p0 = 0;
      let p1 = 0;
      let i = off;
      const end = off + s;
      for (const end2 = end - 1; i < end2; i += 2) {
        const d0 = dy[i]!;
        const d1 = dy[i + 1]!;
        g0 += d0;
        g1 += d1;
        p0 += (x[i]! - m) * d0;
        p1 += (x[i + 1]! - m) * d1;
      }
      for (; i < end; i++) {
        const d = dy[i]!;
        g0 += d;
        p0 += (x[i]! - m) * d;
      }
      sumDy[ch]! += g0 + g1;
      sumDyXmu[ch]! += p0 + p1;
    }
  }
  return { sumDy, sumDyXmu };
}

export function tsBackwardElemt(a: BackwardElemtArgs): void {
  const { n, c, s } = a.dims;
  const cnt = a.count;
  // dx = (dy − sumDy/n − (x−m)·sumDyXmu·inv²/n)·inv·w, coefficients per channel
  const scale = new Float64Array(c);
  const gradMean = new Float64Array(c);
  const projScale = new Float64Array(c);
  const m = new Float64Array(c);
  for (let ch = 0; ch < c; ch++) {
    const inv = a.invstd[ch]!;
    scale[ch] = inv * (a.weight ? a.weight[ch]! : 1);
    gradMean[ch] = a.sumDy[ch]! / cnt;
    projScale[ch] = (a.sumDyXmu[ch]! / cnt) * inv * inv;
    m[ch] = a.mean[ch]!;
  }
  const { dy, x, dx } = a;
  if (s < ROW_S) {
    const cs = c * s;
    const se = expand(c, s, scale);
    const ge = expand(c, s, gradMean);
    const pe = expand(c, s, projScale);
    const me = expand(c, s, m);
    for (let b = 0, off = 0; b < n; b++, off += cs) {
      for (let j = 0; j < cs; j++) dx[off + j] = (dy[off + j]! - ge[j]! - (x[off + j]! - me[j]!) * pe[j]!) * se[j]!;
    }
    return;
  }
  for (let b = 0; b < n; b++) {
    for (let ch = 0; ch < c; ch++) {
      const sc = scale[ch]!;
      const gm = gradMean[ch]!;
      const ps = projScale[ch]!;
      const mm = m[ch]!;
      const off = (b * c + ch) * s;
      const end = off + s;
      let i = off;
      for (const end2 = end - 1; i < end2; i += 2) {
        dx[i] = (dy[i]! - gm - (x[i]! - mm) * ps) * sc;
        dx[i + 1] = (dy[i + 1]! - gm - (x[i + 1]! - mm) * ps) * sc;
      }
      for (; i < end; i++) dx[i] = (dy[i]! - gm - (x[i]! - mm) * ps) * sc;
    }
  }
}

export function tsBackwardEvalElemt(a: EvalBackwardArgs): void {
  const { n, c, s } = a.dims;
  const k = new Float64Array(c);
  for (let ch = 0; ch < c; ch++) k[ch] = a.invstd[ch]! * (a.weight ? a.weight[ch]! : 1);
  if (s < ROW_S) {
    const cs = c * s;
    const ke = expand(c, s, k);
    for (let b = 0, off = 0; b < n; b++, off += cs) {
      for (let j = 0; j < cs; j++) a.dx[off + j] = a.dy[off + j]! * ke[j]!;
    }
    return;
  }
  for (let b = 0; b < n; b++) {
    for (let ch = 0; ch < c; ch++) {
      const kk = k[ch]!;
      const off = (b * c + ch) * s;
      for (let i = off, end = off + s; i < end; i++) a.dx[i] = a.dy[i]! * kk;
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
