/**
 * Pooling over 1-D (NCL) and 2-D (NCHW) input: ONNX MaxPool / AveragePool / GlobalAveragePool (opsets
 * 13–17) with PyTorch's numbers.
 *
 * - Pads follow ONNX (all begins, then all ends). Ceil mode adds a last partial window unless it would
 *   start in the end padding (spatial.ts windowCount).
 * - MaxPool: padding never wins (taps outside the input are skipped); NaN propagates; ties keep the
 *   first tap in row-major window order, which is where the gradient goes (PyTorch's argmax rule).
 * - AveragePool: a window is clipped to the padded input (a ceil-mode overhang past the end padding is
 *   not counted); count_include_pad divides by that clipped window, otherwise by the taps inside the
 *   input. This is PyTorch's avg_pool2d divisor, generalised to asymmetric pads.
 */
import { attachGrad, Tensor } from '../../tensor/tensor.js';
import { allocateUninit, type FloatArray } from '../../tensor/dtype.js';
import { RuntimeError } from '../../errors.js';
import { axisList, padList, windowCount } from './spatial.js';

export interface MaxPoolOptions {
  kernelShape: readonly number[];
  strides?: readonly number[];
  pads?: readonly number[];
  dilations?: readonly number[];
  ceilMode?: boolean;
}

export interface AvgPoolOptions {
  kernelShape: readonly number[];
  strides?: readonly number[];
  pads?: readonly number[];
  ceilMode?: boolean;
  countIncludePad?: boolean;
}

/** Every size of a 2-D pooling window walk (1-D runs with H = KH = 1). */
interface PoolGeometry {
  NC: number;
  H: number;
  W: number;
  KH: number;
  KW: number;
  sh: number;
  sw: number;
  dh: number;
  dw: number;
  pt: number;
  pl: number;
  pb: number;
  pr: number;
  OH: number;
  OW: number;
}

function poolGeometry(
  op: string,
  x: Tensor,
  kernelShape: readonly number[],
  strides: readonly number[] | undefined,
  pads: readonly number[] | undefined,
  dilations: readonly number[] | undefined,
  ceil: boolean,
): PoolGeometry {
  if (x.dim() !== 3 && x.dim() !== 4) {
    throw new RuntimeError(
      `${op}: expected a 3-D (N, C, L) or 4-D (N, C, H, W) input, got input of size [${x.shape.join(', ')}]`,
    );
  }
  if (x.dtype !== 'float32' && x.dtype !== 'float64')
    throw new RuntimeError(`${op}: expected a float32 or float64 input, got ${x.dtype}`);
  const n = x.dim() - 2;
  const k = axisList('kernel_shape', kernelShape, n, 1);
  const s = axisList('strides', strides, n, 1);
  const d = axisList('dilations', dilations, n, 1);
  const p = padList(pads, n);
  // 1-D: a height of 1 with no padding, so one code path serves both ranks.
  const [KH, KW, sh, sw, dh, dw] =
    n === 1 ? [1, k[0]!, 1, s[0]!, 1, d[0]!] : [k[0]!, k[1]!, s[0]!, s[1]!, d[0]!, d[1]!];
  const [pt, pl, pb, pr] = n === 1 ? [0, p[0]!, 0, p[1]!] : [p[0]!, p[1]!, p[2]!, p[3]!];
  const H = n === 1 ? 1 : x.shape[2]!;
  const W = x.shape[x.dim() - 1]!;
  for (let i = 0; i < n; i++) {
    const ext = (k[i]! - 1) * d[i]! + 1;
    if (p[i]! >= ext || p[n + i]! >= ext) {
      throw new RuntimeError(
        `${op}: pads [${p.join(', ')}] must be smaller than the dilated kernel (${ext} on axis ${i})`,
      );
    }
  }
  const OH = windowCount(H, pt, pb, KH, sh, dh, ceil);
  const OW = windowCount(W, pl, pr, KW, sw, dw, ceil);
  if (OH <= 0 || OW <= 0) {
    throw new RuntimeError(
      `${op}: input of size [${x.shape.join(', ')}] is too small for kernel [${k.join(', ')}] with pads [${p.join(', ')}] and dilations [${d.join(', ')}] (output size ${OH}x${OW})`,
    );
  }
  return { NC: x.shape[0]! * x.shape[1]!, H, W, KH, KW, sh, sw, dh, dw, pt, pl, pb, pr, OH, OW };
}

function outShape(x: Tensor, g: PoolGeometry): number[] {
  return x.dim() === 3 ? [x.shape[0]!, x.shape[1]!, g.OW] : [x.shape[0]!, x.shape[1]!, g.OH, g.OW];
}

export function maxPool(x: Tensor, opts: MaxPoolOptions): Tensor {
  const g = poolGeometry(
    'maxPool',
    x,
    opts.kernelShape,
    opts.strides,
    opts.pads,
    opts.dilations,
    opts.ceilMode ?? false,
  );
  const { NC, H, W, KH, KW, sh, sw, dh, dw, pt, pl, OH, OW } = g;
  const xd = x.floatData();
  const out = new Tensor(allocateUninit(x.dtype, NC * OH * OW), outShape(x, g), x.dtype);
  const yd = out.data as FloatArray;
  // The flat input index each output took its value from (-1: a window with no tap inside the input).
  const arg = new Int32Array(NC * OH * OW);
  let o = 0;
  for (let p = 0; p < NC; p++) {
    const base = p * H * W;
    for (let oh = 0; oh < OH; oh++) {
      const h0 = oh * sh - pt;
      for (let ow = 0; ow < OW; ow++, o++) {
        const w0 = ow * sw - pl;
        let m = -Infinity;
        let mi = -1;
        for (let kh = 0; kh < KH; kh++) {
          const ih = h0 + kh * dh;
          if (ih < 0 || ih >= H) continue;
          const row = base + ih * W;
          for (let kw = 0; kw < KW; kw++) {
            const iw = w0 + kw * dw;
            if (iw < 0 || iw >= W) continue;
            const v = xd[row + iw]!;
            if (v > m || mi < 0 || v !== v) {
              if (m !== m) continue; // a NaN already won: it stays
              m = v;
              mi = row + iw;
            }
          }
        }
        yd[o] = m;
        arg[o] = mi;
      }
    }
  }
  return attachGrad(out, {
    name: 'MaxPool2DWithIndicesBackward0',
    inputs: [x],
    backward: (gy) => {
      const gd = gy.floatData();
      const acc = new Float64Array(x.numel());
      for (let i = 0; i < arg.length; i++) if (arg[i]! >= 0) acc[arg[i]!]! += gd[i]!;
      const dx = new Tensor(allocateUninit(x.dtype, x.numel()), x.shape, x.dtype);
      (dx.data as FloatArray).set(acc);
      return [dx];
    },
  });
}

export function avgPool(x: Tensor, opts: AvgPoolOptions): Tensor {
  const g = poolGeometry('avgPool', x, opts.kernelShape, opts.strides, opts.pads, undefined, opts.ceilMode ?? false);
  const { NC, H, W, KH, KW, sh, sw, pt, pl, pb, pr, OH, OW } = g;
  const include = opts.countIncludePad ?? false;
  // Per output position: the clipped window [h0, h1) × [w0, w1) inside the input and its divisor.
  const P = OH * OW;
  const win = new Int32Array(P * 4);
  const inv = new Float64Array(P);
  for (let oh = 0, q = 0; oh < OH; oh++) {
    for (let ow = 0; ow < OW; ow++, q++) {
      let h0 = oh * sh - pt;
      let w0 = ow * sw - pl;
      let h1 = Math.min(h0 + KH, H + pb);
      let w1 = Math.min(w0 + KW, W + pr);
      const padded = (h1 - h0) * (w1 - w0);
      h0 = Math.max(h0, 0);
      w0 = Math.max(w0, 0);
      h1 = Math.min(h1, H);
      w1 = Math.min(w1, W);
      win.set([h0, h1, w0, w1], q * 4);
      const inside = Math.max(0, h1 - h0) * Math.max(0, w1 - w0);
      inv[q] = 1 / (include ? padded : inside);
    }
  }
  const xd = x.floatData();
  const out = new Tensor(allocateUninit(x.dtype, NC * P), outShape(x, g), x.dtype);
  const yd = out.data as FloatArray;
  for (let p = 0; p < NC; p++) {
    const base = p * H * W;
    for (let q = 0; q < P; q++) {
      const [h0, h1, w0, w1] = [win[q * 4]!, win[q * 4 + 1]!, win[q * 4 + 2]!, win[q * 4 + 3]!];
      let s = 0;
      for (let ih = h0; ih < h1; ih++) for (let iw = w0, r = base + ih * W; iw < w1; iw++) s += xd[r + iw]!;
      yd[p * P + q] = s * inv[q]!;
    }
  }
  return attachGrad(out, {
    name: 'AvgPool2DBackward0',
    inputs: [x],
    backward: (gy) => {
      const gd = gy.floatData();
      const acc = new Float64Array(x.numel());
      for (let p = 0; p < NC; p++) {
        const base = p * H * W;
        for (let q = 0; q < P; q++) {
          const v = gd[p * P + q]! * inv[q]!;
          const [h0, h1, w0, w1] = [win[q * 4]!, win[q * 4 + 1]!, win[q * 4 + 2]!, win[q * 4 + 3]!];
          for (let ih = h0; ih < h1; ih++) for (let iw = w0, r = base + ih * W; iw < w1; iw++) acc[r + iw]! += v;
        }
      }
      const dx = new Tensor(allocateUninit(x.dtype, x.numel()), x.shape, x.dtype);
      (dx.data as FloatArray).set(acc);
      return [dx];
    },
  });
}

/** Mean over every spatial position: [N, C, …] → [N, C, 1, …] (sums in double). */
export function globalAvgPool(x: Tensor): Tensor {
  if (x.dim() < 3)
    throw new RuntimeError(
      `globalAvgPool: expected an input of rank >= 3 (N, C, spatial…), got size [${x.shape.join(', ')}]`,
    );
  if (x.dtype !== 'float32' && x.dtype !== 'float64')
    throw new RuntimeError(`globalAvgPool: expected a float32 or float64 input, got ${x.dtype}`);
  const NC = x.shape[0]! * x.shape[1]!;
  const S = NC === 0 ? 0 : x.numel() / NC;
  const xd = x.floatData();
  const shape = [x.shape[0]!, x.shape[1]!, ...x.shape.slice(2).map(() => 1)];
  const out = new Tensor(allocateUninit(x.dtype, NC), shape, x.dtype);
  const yd = out.data as FloatArray;
  for (let p = 0; p < NC; p++) {
    let s = 0;
    for (let k = p * S, e = k + S; k < e; k++) s += xd[k]!;
    yd[p] = s / S;
  }
  return attachGrad(out, {
    name: 'MeanBackward1',
    inputs: [x],
    backward: (gy) => {
      const gd = gy.floatData();
      const dx = new Tensor(allocateUninit(x.dtype, x.numel()), x.shape, x.dtype);
      const dd = dx.data as FloatArray;
      for (let p = 0; p < NC; p++) dd.fill(gd[p]! / S, p * S, (p + 1) * S);
      return [dx];
    },
  });
}
