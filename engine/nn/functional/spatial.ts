/**
 * Geometry shared by convolution and pooling: ONNX's auto_pad, per-axis attribute defaults and the
 * output size of a sliding window (floor or ceil mode).
 *
 * ONNX orders pads as all begins then all ends ([x1_begin, x2_begin, …, x1_end, x2_end, …]).
 */
import { RuntimeError } from '../../errors.js';

export type AutoPad = 'NOTSET' | 'SAME_UPPER' | 'SAME_LOWER' | 'VALID';

/**
 * The explicit pads an auto_pad value stands for (ONNX Conv/MaxPool/AveragePool, opsets 13–17).
 * SAME_*: output = ceil(in / stride), total pad = max(0, (out − 1)·stride + (k − 1)·dilation + 1 − in),
 * split evenly; an odd extra goes at the end for SAME_UPPER and at the beginning for SAME_LOWER.
 * VALID: no padding. NOTSET: `pads` as given (zeros when absent).
 */
export function resolveAutoPad(
  autoPad: AutoPad,
  inSpatial: readonly number[],
  kernel: readonly number[],
  strides?: readonly number[],
  dilations?: readonly number[],
  pads?: readonly number[],
): number[] {
  const n = inSpatial.length;
  if (kernel.length !== n) {
    throw new RuntimeError(`auto_pad: kernel has ${kernel.length} spatial dimensions, the input has ${n}`);
  }
  const s = axisList('strides', strides, n, 1);
  const d = axisList('dilations', dilations, n, 1);
  switch (autoPad) {
    case 'NOTSET':
      return padList(pads, n);
    case 'VALID':
      return new Array<number>(2 * n).fill(0);
    case 'SAME_UPPER':
    case 'SAME_LOWER': {
      const out = new Array<number>(2 * n);
      for (let i = 0; i < n; i++) {
        const o = Math.ceil(inSpatial[i]! / s[i]!);
        const total = Math.max(0, (o - 1) * s[i]! + (kernel[i]! - 1) * d[i]! + 1 - inSpatial[i]!);
        const small = Math.floor(total / 2);
        out[i] = autoPad === 'SAME_UPPER' ? small : total - small;
        out[n + i] = total - out[i]!;
      }
      return out;
    }
    default:
      throw new RuntimeError(
        `auto_pad: unknown value '${String(autoPad)}' (expected NOTSET, SAME_UPPER, SAME_LOWER or VALID)`,
      );
  }
}

/** A per-axis attribute (strides, dilations, kernel) of length n, or `dflt` on every axis when absent. */
export function axisList(name: string, v: readonly number[] | undefined, n: number, dflt: number, min = 1): number[] {
  if (v === undefined) return new Array<number>(n).fill(dflt);
  if (v.length !== n) throw new RuntimeError(`${name} must have ${n} values (one per spatial axis), got ${v.length}`);
  for (const x of v) {
    if (!Number.isInteger(x) || x < min)
      throw new RuntimeError(`${name} must be integers >= ${min}, got [${v.join(', ')}]`);
  }
  return [...v];
}

/** ONNX pads (begins then ends) for n spatial axes: zeros when absent; negative pads are refused. */
export function padList(v: readonly number[] | undefined, n: number): number[] {
  if (v === undefined) return new Array<number>(2 * n).fill(0);
  if (v.length !== 2 * n) {
    throw new RuntimeError(`pads must have ${2 * n} values (begin and end per spatial axis), got ${v.length}`);
  }
  for (const x of v)
    if (!Number.isInteger(x) || x < 0) throw new RuntimeError(`pads must be integers >= 0, got [${v.join(', ')}]`);
  return [...v];
}

/**
 * Output length of a window of `k` taps (dilated extent (k−1)·d+1) sliding with `stride` over `len`
 * padded values. Ceil mode counts a last partial window but, as in ONNX and PyTorch, never one that
 * starts in the end padding.
 */
export function windowCount(
  len: number,
  padBegin: number,
  padEnd: number,
  k: number,
  stride: number,
  dil: number,
  ceil: boolean,
): number {
  const span = len + padBegin + padEnd - ((k - 1) * dil + 1);
  if (span < 0) return 0;
  if (!ceil) return Math.floor(span / stride) + 1;
  let o = Math.ceil(span / stride) + 1;
  if ((o - 1) * stride >= len + padBegin) o--;
  return o;
}
