/**
 * Strided copies for the shape ops (transpose, slice, pad, concat, split): walk an n-d box of `shape`
 * with per-dimension element strides on each side (negative strides walk backwards, as a negative Slice
 * step does). Works for every dtype: values are moved, never converted.
 */
import type { TypedArray } from '../../tensor/dtype.js';

/** A box walk: `shape`, and for source and destination the start offset and per-dimension strides. */
export interface StridedBox {
  shape: readonly number[];
  src: { offset: number; strides: readonly number[] };
  dst: { offset: number; strides: readonly number[] };
}

/** The row-major strides of a contiguous shape. */
export function contiguousStrides(shape: readonly number[]): number[] {
  const st = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    st[i] = s;
    s *= shape[i]!;
  }
  return st;
}

/**
 * dst[box] = src[box] (or += when `accumulate`, for gradients). Inner loop over the last dimension;
 * the outer dimensions advance as a counter.
 */
export function copyBox(src: TypedArray, dst: TypedArray, box: StridedBox, accumulate = false): void {
  const { shape } = box;
  const nd = shape.length;
  let total = 1;
  for (const d of shape) total *= d;
  if (total === 0) return;
  // Same-kind arrays: typed as Float64Array so the assignment type-checks for BigInt64Array too.
  const s = src as unknown as Float64Array;
  const d = dst as unknown as Float64Array;
  if (nd === 0) {
    if (accumulate) d[box.dst.offset]! += s[box.src.offset]!;
    else d[box.dst.offset] = s[box.src.offset]!;
    return;
  }
  const inner = shape[nd - 1]!;
  const ss = box.src.strides[nd - 1]!;
  const ds = box.dst.strides[nd - 1]!;
  const rows = total / inner;
  const idx = new Array<number>(nd).fill(0);
  let so = box.src.offset;
  let dof = box.dst.offset;
  for (let r = 0; r < rows; r++) {
    if (accumulate) for (let j = 0, a = so, b = dof; j < inner; j++, a += ss, b += ds) d[b]! += s[a]!;
    else if (ss === 1 && ds === 1) d.set(s.subarray(so, so + inner), dof);
    else for (let j = 0, a = so, b = dof; j < inner; j++, a += ss, b += ds) d[b] = s[a]!;
    for (let k = nd - 2; k >= 0; k--) {
      idx[k]!++;
      so += box.src.strides[k]!;
      dof += box.dst.strides[k]!;
      if (idx[k]! < shape[k]!) break;
      so -= box.src.strides[k]! * shape[k]!;
      dof -= box.dst.strides[k]! * shape[k]!;
      idx[k] = 0;
    }
  }
}
