/**
 * Shape operators with ONNX semantics (opsets 13–17) and autograd: reshape, flatten, unsqueeze and
 * squeeze are views of the same storage; transpose, concat, slice and split copy through strided boxes
 * (strided.ts). They work on every dtype (int64 shape tensors included); gradients flow for float ones.
 * gather and pad are in indexing.ts.
 */
import { attachGrad, Tensor } from '../../tensor/tensor.js';
import { allocate, allocateUninit } from '../../tensor/dtype.js';
import { RuntimeError } from '../../errors.js';
import { normalizeAxes, normalizeAxis } from './axes.js';
import { contiguousStrides, copyBox } from './strided.js';

/**
 * ONNX Reshape: 0 copies the input's dimension at that index (unless allowzero, where 0 is a real 0),
 * −1 is inferred (at most one). PyTorch's text when the counts disagree.
 */
export function reshape(x: Tensor, shape: readonly number[], allowzero = false): Tensor {
  if (shape.filter((d) => d === -1).length > 1) throw new RuntimeError('only one dimension can be inferred');
  for (const d of shape) {
    if (!Number.isInteger(d) || d < -1) throw new RuntimeError(`invalid shape dimension ${d}`);
  }
  if (allowzero && shape.includes(0) && shape.includes(-1)) {
    throw new RuntimeError('reshape: with allowzero, a shape cannot hold both 0 and -1');
  }
  const resolved = shape.map((d, i) => {
    if (d !== 0 || allowzero) return d;
    if (i >= x.dim())
      throw new RuntimeError(`reshape: 0 at index ${i} copies a dimension the input (rank ${x.dim()}) does not have`);
    return x.shape[i]!;
  });
  return x.reshape(resolved);
}

/** [d0·…·d(axis−1), d(axis)·…] (axis in [−rank, rank]; 0 gives [1, numel]). */
export function flatten(x: Tensor, axis = 1): Tensor {
  const r = x.dim();
  if (!Number.isInteger(axis) || axis < -r || axis > r) {
    throw new RuntimeError(`flatten: axis ${axis} is out of range for a tensor of rank ${r} (expected [${-r}, ${r}])`);
  }
  const a = axis < 0 ? axis + r : axis;
  const outer = x.shape.slice(0, a).reduce((p, d) => p * d, 1);
  const inner = x.shape.slice(a).reduce((p, d) => p * d, 1);
  return x.reshape([outer, inner]);
}

/** Inserts unit dimensions at `axes` (indices in the output; negative count from its end). */
export function unsqueeze(x: Tensor, axes: readonly number[]): Tensor {
  const outRank = x.dim() + axes.length;
  const ax = new Set(normalizeAxes(axes, outRank));
  const shape: number[] = [];
  let k = 0;
  for (let i = 0; i < outRank; i++) shape.push(ax.has(i) ? 1 : x.shape[k++]!);
  return x.reshape(shape);
}

/** Removes the given unit dimensions (every unit dimension when `axes` is absent); a non-unit one is an error. */
export function squeeze(x: Tensor, axes?: readonly number[] | null): Tensor {
  const ax = axes ? new Set(normalizeAxes(axes, x.dim())) : null;
  if (ax) {
    for (const a of ax) {
      if (x.shape[a] !== 1) throw new RuntimeError(`squeeze: dimension ${a} has size ${x.shape[a]}, not 1`);
    }
  }
  return x.reshape(x.shape.filter((d, i) => (ax ? !ax.has(i) : d !== 1)));
}

/** A new tensor of `shape` with x's dtype: zeros, or (`zeroed` false) unspecified values for an output written in full. */
function blank(x: Tensor, shape: readonly number[], zeroed = true): Tensor {
  const n = shape.reduce((p, d) => p * d, 1);
  return new Tensor(zeroed ? allocate(x.dtype, n) : allocateUninit(x.dtype, n), shape, x.dtype);
}

/** Output dimension i is input dimension perm[i] (default: reversed). */
export function transpose(x: Tensor, perm?: readonly number[] | null): Tensor {
  const r = x.dim();
  const p = perm ? [...perm] : [...Array(r).keys()].reverse();
  if (p.length !== r || [...p].sort((a, b) => a - b).some((v, i) => v !== i)) {
    throw new RuntimeError(`transpose: perm [${p.join(', ')}] is not a permutation of the ${r} dimensions`);
  }
  const shape = p.map((a) => x.shape[a]!);
  const xs = contiguousStrides(x.shape);
  const out = blank(x, shape, false);
  copyBox(x.hostView(), out.data, {
    shape,
    src: { offset: 0, strides: p.map((a) => xs[a]!) },
    dst: { offset: 0, strides: contiguousStrides(shape) },
  });
  const inverse = new Array<number>(r);
  p.forEach((a, i) => (inverse[a] = i));
  return attachGrad(out, { name: 'PermuteBackward0', inputs: [x], backward: (g) => [transpose(g, inverse)] });
}

/** Joins tensors of equal shape apart from `axis` (negative counts from the end). */
export function concat(xs: readonly Tensor[], axis: number): Tensor {
  if (xs.length === 0) throw new RuntimeError('torch.cat(): expected a non-empty list of Tensors');
  const first = xs[0]!;
  const r = first.dim();
  const a = normalizeAxis(axis, Math.max(r, 1));
  xs.forEach((t, i) => {
    if (t.dtype !== first.dtype)
      throw new RuntimeError(`concat: tensor ${i} has dtype ${t.dtype}, tensor 0 ${first.dtype}`);
    if (t.dim() !== r) {
      throw new RuntimeError(`Tensors must have same number of dimensions: got ${r} and ${t.dim()}`);
    }
    for (let d = 0; d < r; d++) {
      if (d !== a && t.shape[d] !== first.shape[d]) {
        throw new RuntimeError(
          `Sizes of tensors must match except in dimension ${a}. Expected size ${first.shape[d]} but got size ${t.shape[d]} for tensor number ${i} in the list.`,
        );
      }
    }
  });
  const shape = [...first.shape];
  shape[a] = xs.reduce((s, t) => s + t.shape[a]!, 0);
  const out = blank(first, shape, false);
  const os = contiguousStrides(shape);
  const starts: number[] = [];
  let at = 0;
  for (const t of xs) {
    starts.push(at);
    copyBox(t.hostView(), out.data, {
      shape: t.shape,
      src: { offset: 0, strides: contiguousStrides(t.shape) },
      dst: { offset: at * os[a]!, strides: os },
    });
    at += t.shape[a]!;
  }
  return attachGrad(out, {
    name: 'CatBackward0',
    inputs: [...xs],
    backward: (g) => xs.map((t, i) => (t.requiresGrad ? narrow(g, a, starts[i]!, t.shape[a]!) : null)),
  });
}

/** The elements [start, start + length) along `axis` (a copy, with its gradient). */
export function narrow(x: Tensor, axis: number, start: number, length: number): Tensor {
  const starts = x.shape.map(() => 0);
  const lens = [...x.shape];
  starts[axis] = start;
  lens[axis] = length;
  return sliceBox(
    x,
    starts,
    lens,
    x.shape.map(() => 1),
  );
}

/** Copies the box (start, count, step per dimension) of x into a new tensor; gradient scatters back. */
function sliceBox(x: Tensor, starts: readonly number[], counts: readonly number[], steps: readonly number[]): Tensor {
  const xs = contiguousStrides(x.shape);
  const src = {
    offset: starts.reduce((o, s, i) => o + s * xs[i]!, 0),
    strides: xs.map((s, i) => s * steps[i]!),
  };
  const out = blank(x, counts, false);
  const box = { shape: counts, src, dst: { offset: 0, strides: contiguousStrides(counts) } };
  copyBox(x.hostView(), out.data, box);
  return attachGrad(out, {
    name: 'SliceBackward0',
    inputs: [x],
    backward: (g) => {
      const dx = blank(x, x.shape);
      copyBox(g.hostView(), dx.data, { shape: counts, src: box.dst, dst: src });
      return [dx];
    },
  });
}

/**
 * ONNX Slice: per listed axis (default 0…n−1) a start, end and step (default 1, never 0). Negative
 * starts/ends count from the end; they are then clamped to [0, d] (step > 0) or [0, d−1] / [−1, d−1]
 * (step < 0), so INT64_MAX-style ends mean "to the end".
 */
/**
 * ONNX Slice's rule for one axis of size `dim` (step ≠ 0): negative start/end count from the end, then
 * clamp to [0, dim] for a positive step or [−1, dim − 1] for a negative one. Returns the first index read
 * (0 when nothing is) and how many elements are read. The importer's shape pass uses the same rule.
 */
export function sliceRange(dim: number, start: number, end: number, step: number): { first: number; count: number } {
  let s = start < 0 ? start + dim : start;
  let e = end < 0 ? end + dim : end;
  let count: number;
  if (step > 0) {
    s = Math.min(Math.max(s, 0), dim);
    e = Math.min(Math.max(e, 0), dim);
    count = Math.max(0, Math.ceil((e - s) / step));
  } else {
    s = Math.min(Math.max(s, 0), dim - 1);
    e = Math.min(Math.max(e, -1), dim - 1);
    count = Math.max(0, Math.ceil((s - e) / -step));
  }
  return { first: count > 0 ? s : 0, count };
}

export function slice(
  x: Tensor,
  starts: readonly number[],
  ends: readonly number[],
  axes?: readonly number[] | null,
  steps?: readonly number[] | null,
): Tensor {
  const n = starts.length;
  if (ends.length !== n || (axes && axes.length !== n) || (steps && steps.length !== n)) {
    throw new RuntimeError(
      `slice: starts, ends, axes and steps must have the same length (got ${n}, ${ends.length}, ${axes?.length ?? n}, ${steps?.length ?? n})`,
    );
  }
  const ax = axes ? normalizeAxes(axes, x.dim()) : [...Array(n).keys()];
  if (!axes && n > x.dim()) throw new RuntimeError(`slice: ${n} starts for a tensor of rank ${x.dim()}`);
  const first = x.shape.map(() => 0);
  const counts = [...x.shape];
  const st = x.shape.map(() => 1);
  ax.forEach((a, i) => {
    const d = x.shape[a]!;
    const step = steps ? steps[i]! : 1;
    if (step === 0 || !Number.isFinite(step)) throw new RuntimeError('slice step cannot be zero');
    const r = sliceRange(d, starts[i]!, ends[i]!, step);
    counts[a] = r.count;
    first[a] = r.first;
    st[a] = step;
  });
  return sliceBox(x, first, counts, st);
}

/**
 * Splits along `axis` into parts of the given sizes (summing to the dimension), or into `sizes` equal
 * parts when it is a number (the dimension must divide evenly, as in opsets 13–17).
 */
export function split(x: Tensor, axis: number, sizes: readonly number[] | number): Tensor[] {
  const a = normalizeAxis(axis, x.dim());
  const d = x.shape[a]!;
  let parts: number[];
  if (typeof sizes === 'number') {
    if (!Number.isInteger(sizes) || sizes < 1 || d % sizes !== 0) {
      throw new RuntimeError(`split: dimension ${a} of size ${d} does not split into ${sizes} equal parts`);
    }
    parts = new Array<number>(sizes).fill(d / sizes);
  } else {
    parts = [...sizes];
    if (parts.some((s) => !Number.isInteger(s) || s < 0) || parts.reduce((p, s) => p + s, 0) !== d) {
      throw new RuntimeError(
        `split: sizes [${parts.join(', ')}] must be non-negative and sum to dimension ${a} (${d})`,
      );
    }
  }
  let at = 0;
  return parts.map((len) => {
    const t = narrow(x, a, at, len);
    at += len;
    return t;
  });
}
