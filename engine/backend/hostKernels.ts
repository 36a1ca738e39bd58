/**
 * The host device's kernels that no Backend provides: elementwise ops, sums, the losses, SGD and the
 * tensor summary, as TypeScript loops over host arrays (the reference the CUDA kernels are tested
 * against). Arguments follow engine/tensor/device.ts's Device methods, buffers given as the arrays the
 * host device hands out (hostDevice.ts): tensors' own arrays, float64 arrays for per-channel statistics,
 * probabilities and summaries, int64 (BigInt64Array views) for class targets and histogram counts.
 * Sums accumulate in double.
 */
import type { FloatArray } from '../tensor/dtype.js';

export function relu(x: FloatArray, y: FloatArray, n: number): void {
  for (let i = 0; i < n; i++) y[i] = x[i]! > 0 ? x[i]! : 0;
}

/** dx = dy where the forward's output y is positive, else 0. */
export function reluBackward(y: FloatArray, dy: FloatArray, dx: FloatArray, n: number): void {
  for (let i = 0; i < n; i++) dx[i] = y[i]! > 0 ? dy[i]! : 0;
}

export function add(a: FloatArray, b: FloatArray, out: FloatArray, n: number): void {
  for (let i = 0; i < n; i++) out[i] = a[i]! + b[i]!;
}

export function sub(a: FloatArray, b: FloatArray, out: FloatArray, n: number): void {
  for (let i = 0; i < n; i++) out[i] = a[i]! - b[i]!;
}

export function mul(a: FloatArray, b: FloatArray, out: FloatArray, n: number): void {
  for (let i = 0; i < n; i++) out[i] = a[i]! * b[i]!;
}

export function scale(a: FloatArray, s: number, out: FloatArray, n: number): void {
  for (let i = 0; i < n; i++) out[i] = a[i]! * s;
}

/** out[i] = scalar[0]·s for all i (a sum's gradient). */
export function fillFrom(scalar: FloatArray, s: number, out: FloatArray, n: number): void {
  out.fill(scalar[0]! * s, 0, n);
}

export function sum(a: FloatArray, out: FloatArray, n: number): void {
  let s = 0;
  for (let i = 0; i < n; i++) s += a[i]!;
  out[0] = s;
}

/** out[0] = Σ(x − t)² / n. */
export function mseForward(x: FloatArray, t: FloatArray, out: FloatArray, n: number): void {
  let s = 0;
  for (let i = 0; i < n; i++) {
    const d = x[i]! - t[i]!;
    s += d * d;
  }
  out[0] = s / n;
}

/** gx = 2·g·(x − t)/n, gt = −gx (either may be null). */
export function mseBackward(
  x: FloatArray,
  t: FloatArray,
  g: FloatArray,
  gx: FloatArray | null,
  gt: FloatArray | null,
  n: number,
): void {
  const k = (2 * g[0]!) / n;
  for (let i = 0; i < n; i++) {
    const v = k * (x[i]! - t[i]!);
    if (gx) gx[i] = v;
    if (gt) gt[i] = -v;
  }
}

/** Mean cross entropy of (rows, classes) logits; probs (float64) keeps softmax for the backward. */
export function crossEntropyForward(
  z: FloatArray,
  target: BigInt64Array,
  probs: Float64Array,
  out: FloatArray,
  rows: number,
  classes: number,
): void {
  const C = classes;
  let loss = 0;
  for (let r = 0; r < rows; r++) {
    const cls = Number(target[r]);
    let m = -Infinity;
    for (let c = 0; c < C; c++) m = Math.max(m, z[r * C + c]!);
    let se = 0;
    for (let c = 0; c < C; c++) se += Math.exp(z[r * C + c]! - m);
    const lse = m + Math.log(se);
    for (let c = 0; c < C; c++) probs[r * C + c] = Math.exp(z[r * C + c]! - lse);
    loss += lse - z[r * C + cls]!;
  }
  out[0] = rows > 0 ? loss / rows : NaN;
}

/** gz = g/rows·(softmax − onehot(target)). */
export function crossEntropyBackward(
  probs: Float64Array,
  target: BigInt64Array,
  g: FloatArray,
  gz: FloatArray,
  rows: number,
  classes: number,
): void {
  const C = classes;
  const k = g[0]! / rows;
  for (let r = 0; r < rows; r++) {
    const cls = Number(target[r]);
    for (let c = 0; c < C; c++) gz[r * C + c] = k * (probs[r * C + c]! - (c === cls ? 1 : 0));
  }
}

/** torch.optim.SGD's update of one parameter (engine/optim/sgd.ts); buf is float64 momentum or null. */
export function sgdStep(
  w: FloatArray,
  g: FloatArray,
  buf: Float64Array | null,
  n: number,
  lr: number,
  momentum: number,
  dampening: number,
  weightDecay: number,
  nesterov: boolean,
  first: boolean,
): void {
  for (let i = 0; i < n; i++) {
    let d = g[i]! + weightDecay * w[i]!;
    if (buf && momentum !== 0) {
      const b = first ? d : momentum * buf[i]! + (1 - dampening) * d;
      buf[i] = b;
      d = nesterov ? d + momentum * b : b;
    }
    w[i] = w[i]! - lr * d;
  }
}

/**
 * out = [finite count, NaN count, ±inf count, min, max, mean, m2] over the finite values, without
 * per-element closures. Two passes: sum then centred squares, both in float64, with the corrected
 * two-pass algorithm (Chan, Golub & LeVeque) that removes the rounding error of the mean.
 */
export function summary(d: FloatArray, n: number, out: Float64Array): void {
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  let count = 0;
  let nan = 0;
  let inf = 0;
  for (let i = 0; i < n; i++) {
    const v = d[i]!;
    if (v - v !== 0) {
      if (v !== v) nan++;
      else inf++;
      continue;
    }
    if (v < min) min = v;
    if (v > max) max = v;
    sum += v;
    count++;
  }
  const mean = count ? sum / count : 0;
  let m2 = 0;
  let comp = 0;
  if (nan + inf === 0) {
    for (let i = 0; i < n; i++) {
      const c = d[i]! - mean;
      m2 += c * c;
      comp += c;
    }
  } else {
    for (let i = 0; i < n; i++) {
      const v = d[i]!;
      if (v - v !== 0) continue;
      const c = v - mean;
      m2 += c * c;
      comp += c;
    }
  }
  if (count) m2 -= (comp * comp) / count;
  out[0] = count;
  out[1] = nan;
  out[2] = inf;
  out[3] = min;
  out[4] = max;
  out[5] = mean;
  out[6] = m2;
}

/** Equal-width histogram of the finite values in [lo, hi] into `bins` int64 counts. */
export function histogram(
  x: FloatArray,
  n: number,
  lo: number,
  hi: number,
  width: number,
  bins: number,
  counts: BigInt64Array,
): void {
  const c = new Float64Array(bins);
  for (let i = 0; i < n; i++) {
    const v = x[i]!;
    if (!Number.isFinite(v) || v < lo || v > hi) continue;
    c[Math.min(bins - 1, Math.floor((v - lo) / width))]!++;
  }
  for (let b = 0; b < bins; b++) counts[b] = BigInt(c[b]!);
}
