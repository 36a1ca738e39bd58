/**
 * Multidirectional (numpy) broadcasting, as ONNX's Add/Sub/Mul/Div and PyTorch's binary ops define it:
 * shapes align at their last dimension; each pair of sizes must be equal or one of them 1.
 *
 * The host kernels walk the output once with a stride per input (0 along a broadcast dimension).
 * Before walking, dimensions that are contiguous in the output and in both inputs are merged, so an
 * NCHW tensor plus a [1, C, 1, 1] bias becomes three dimensions with an inner loop of H·W.
 */
import { RuntimeError } from '../errors.js';
import { allocateUninit, type FloatArray } from './dtype.js';
import { Tensor } from './tensor.js';

/** The broadcast shape of `a` and `b`; PyTorch's error text when they do not broadcast. */
export function broadcastShapes(a: readonly number[], b: readonly number[]): number[] {
  const n = Math.max(a.length, b.length);
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const da = a[a.length - n + i] ?? 1;
    const db = b[b.length - n + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw new RuntimeError(
        `The size of tensor a (${da}) must match the size of tensor b (${db}) at non-singleton dimension ${i}`,
      );
    }
    out[i] = da === 1 ? db : da;
  }
  return out;
}

/** The walk over an output: sizes (outermost first) and, per input, its element stride per dimension. */
export interface BroadcastPlan {
  sizes: number[];
  strides: number[][];
}

/** Contiguous strides of `shape` placed right-aligned under `out`, 0 where the input broadcasts. */
function alignedStrides(shape: readonly number[], out: readonly number[]): number[] {
  const st = new Array<number>(out.length).fill(0);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    const oi = out.length - shape.length + i;
    st[oi] = shape[i] === 1 && out[oi] !== 1 ? 0 : s;
    s *= shape[i]!;
  }
  return st;
}

/** The merged walk of `out` for inputs of the given shapes (each must broadcast to `out`). */
export function broadcastPlan(out: readonly number[], inputs: readonly (readonly number[])[]): BroadcastPlan {
  const all = inputs.map((s) => alignedStrides(s, out));
  const sizes: number[] = [];
  const strides: number[][] = inputs.map(() => []);
  for (let d = 0; d < out.length; d++) {
    const size = out[d]!;
    if (size === 1) continue; // a unit dimension moves no input
    const last = sizes.length - 1;
    // Merge with the previous kept dimension when every input steps through both as one.
    if (last >= 0 && all.every((st, k) => strides[k]![last] === st[d]! * size)) {
      sizes[last] = sizes[last]! * size;
      all.forEach((st, k) => (strides[k]![last] = st[d]!));
      continue;
    }
    sizes.push(size);
    all.forEach((st, k) => strides[k]!.push(st[d]!));
  }
  if (sizes.length === 0) {
    sizes.push(1);
    strides.forEach((s) => s.push(0));
  }
  return { sizes, strides };
}

export type BinaryOp = 'add' | 'sub' | 'mul' | 'div';

/** One inner row: n outputs from a (step sa) and b (step sb). */
function row(
  op: BinaryOp,
  a: FloatArray,
  ai: number,
  sa: number,
  b: FloatArray,
  bi: number,
  sb: number,
  o: FloatArray,
  oi: number,
  n: number,
): void {
  switch (op) {
    case 'add':
      for (let j = 0; j < n; j++, ai += sa, bi += sb) o[oi + j] = a[ai]! + b[bi]!;
      break;
    case 'sub':
      for (let j = 0; j < n; j++, ai += sa, bi += sb) o[oi + j] = a[ai]! - b[bi]!;
      break;
    case 'mul':
      for (let j = 0; j < n; j++, ai += sa, bi += sb) o[oi + j] = a[ai]! * b[bi]!;
      break;
    case 'div':
      for (let j = 0; j < n; j++, ai += sa, bi += sb) o[oi + j] = a[ai]! / b[bi]!;
      break;
  }
}

/**
 * Calls `visit(outOffset, offsets)` for each inner row of the plan (the last dimension), with the
 * inputs' element offsets at that row's start. Allocation-free apart from the counters.
 */
function forEachRow(plan: BroadcastPlan, visit: (oi: number, offs: number[]) => void): void {
  const { sizes, strides } = plan;
  const nd = sizes.length;
  const inner = sizes[nd - 1]!;
  let rows = 1;
  for (let d = 0; d < nd - 1; d++) rows *= sizes[d]!;
  if (rows === 0 || inner === 0) return;
  const idx = new Array<number>(nd).fill(0);
  const offs = strides.map(() => 0);
  for (let r = 0; r < rows; r++) {
    visit(r * inner, offs);
    // Advance the outer counter (innermost outer dimension first).
    for (let d = nd - 2; d >= 0; d--) {
      idx[d]!++;
      for (let k = 0; k < offs.length; k++) offs[k]! += strides[k]![d]!;
      if (idx[d]! < sizes[d]!) break;
      for (let k = 0; k < offs.length; k++) offs[k]! -= strides[k]![d]! * sizes[d]!;
      idx[d] = 0;
    }
  }
}

/** `a op b` with broadcasting on the host, into a new tensor of the broadcast shape. */
export function broadcastBinary(op: BinaryOp, a: Tensor, b: Tensor, outShape: readonly number[]): Tensor {
  let n = 1;
  for (const d of outShape) n *= d;
  const out = new Tensor(allocateUninit(a.dtype, n), outShape, a.dtype);
  const ad = a.floatData();
  const bd = b.floatData();
  const od = out.data as FloatArray;
  const plan = broadcastPlan(outShape, [a.shape, b.shape]);
  const inner = plan.sizes[plan.sizes.length - 1]!;
  const sa = plan.strides[0]![plan.sizes.length - 1]!;
  const sb = plan.strides[1]![plan.sizes.length - 1]!;
  forEachRow(plan, (oi, offs) => row(op, ad, offs[0]!, sa, bd, offs[1]!, sb, od, oi, inner));
  return out;
}

/**
 * Sums `g` down to `shape` (the gradient of an input that was broadcast to g's shape): every dimension
 * where the input had size 1 (or was missing) is summed, in double, then stored in g's dtype.
 */
export function sumToShape(g: Tensor, shape: readonly number[]): Tensor {
  if (g.shape.length === shape.length && g.shape.every((d, i) => d === shape[i])) return g;
  let n = 1;
  for (const d of shape) n *= d;
  const acc = new Float64Array(n);
  const gd = g.floatData();
  const plan = broadcastPlan(g.shape, [shape]);
  const last = plan.sizes.length - 1;
  const inner = plan.sizes[last]!;
  const st = plan.strides[0]![last]!;
  forEachRow(plan, (gi, offs) => {
    let t = offs[0]!;
    if (st === 0) {
      let s = 0;
      for (let j = 0; j < inner; j++) s += gd[gi + j]!;
      acc[t]! += s;
    } else {
      for (let j = 0; j < inner; j++, t += st) acc[t]! += gd[gi + j]!;
    }
  });
  const out = new Tensor(allocateUninit(g.dtype, n), shape, g.dtype);
  (out.data as FloatArray).set(acc);
  return out;
}

/** Copies `x` broadcast to `shape` (any dtype: the values are only moved). */
export function expandTo(x: Tensor, shape: readonly number[]): Tensor {
  let n = 1;
  for (const d of shape) n *= d;
  const src = x.hostView();
  const dst = allocateUninit(x.dtype, n);
  const plan = broadcastPlan(shape, [x.shape]);
  const last = plan.sizes.length - 1;
  const inner = plan.sizes[last]!;
  const st = plan.strides[0]![last]!;
  forEachRow(plan, (oi, offs) => {
    for (let j = 0, t = offs[0]!; j < inner; j++, t += st) dst[oi + j] = src[t]!;
  });
  return new Tensor(dst, shape, x.dtype);
}
