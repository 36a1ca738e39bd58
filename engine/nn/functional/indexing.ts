/**
 * gather (ONNX Gather: whole slices along one axis picked by an integer index tensor, negative indices
 * counting from the end) and pad (ONNX Pad, constant mode: pads for every axis, begins then ends;
 * negative pads crop). Any dtype; gradients for float inputs (gather scatter-adds, pad crops).
 */
import { attachGrad, Tensor } from '../../tensor/tensor.js';
import { allocate, allocateUninit } from '../../tensor/dtype.js';
import { IndexError, RuntimeError } from '../../errors.js';
import { normalizeAxis } from './axes.js';
import { contiguousStrides, copyBox } from './strided.js';

const INDEX_DTYPES = new Set(['int64', 'int32', 'int16', 'int8', 'uint8']);

export function gather(x: Tensor, indices: Tensor, axis = 0): Tensor {
  if (!INDEX_DTYPES.has(indices.dtype)) {
    throw new RuntimeError(`gather(): Expected dtype int64 or int32 for index, got ${indices.dtype}`);
  }
  const a = normalizeAxis(axis, x.dim());
  const d = x.shape[a]!;
  const outer = x.shape.slice(0, a).reduce((p, v) => p * v, 1);
  const inner = x.shape.slice(a + 1).reduce((p, v) => p * v, 1);
  const k = indices.numel();
  const idx = new Int32Array(k);
  for (let j = 0; j < k; j++) {
    const raw = indices.getFlat(j);
    if (raw < -d || raw >= d) throw new IndexError(`index ${raw} is out of bounds for dimension ${a} with size ${d}`);
    idx[j] = raw < 0 ? raw + d : raw;
  }
  const shape = [...x.shape.slice(0, a), ...indices.shape, ...x.shape.slice(a + 1)];
  const out = new Tensor(allocateUninit(x.dtype, outer * k * inner), shape, x.dtype);
  const src = x.hostView() as unknown as Float64Array; // same-kind copy (int64 included)
  const dst = out.data as unknown as Float64Array;
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < k; j++) {
      const from = (o * d + idx[j]!) * inner;
      dst.set(src.subarray(from, from + inner), (o * k + j) * inner);
    }
  }
  return attachGrad(out, {
    name: 'IndexSelectBackward0',
    inputs: [x],
    backward: (g) => {
      const gd = g.hostView() as Float64Array;
      const dx = new Tensor(allocate(x.dtype, x.numel()), x.shape, x.dtype);
      const dd = dx.data as Float64Array;
      // A repeated index receives the sum of its gradients.
      for (let o = 0; o < outer; o++) {
        for (let j = 0; j < k; j++) {
          const to = (o * d + idx[j]!) * inner;
          const from = (o * k + j) * inner;
          for (let i = 0; i < inner; i++) dd[to + i]! += gd[from + i]!;
        }
      }
      return [dx];
    },
  });
}

/** Constant-mode pad: `pads` = [x1_begin, x2_begin, …, x1_end, x2_end, …] over every axis. */
export function pad(x: Tensor, pads: readonly number[], value = 0): Tensor {
  const r = x.dim();
  if (pads.length !== 2 * r) {
    throw new RuntimeError(
      `pad: pads must have ${2 * r} values (begin and end for each of the ${r} axes), got ${pads.length}`,
    );
  }
  if (pads.some((p) => !Number.isInteger(p)))
    throw new RuntimeError(`pad: pads must be integers, got [${pads.join(', ')}]`);
  const shape = x.shape.map((d, i) => d + pads[i]! + pads[r + i]!);
  if (shape.some((d) => d < 0)) {
    throw new RuntimeError(
      `pad: pads [${pads.join(', ')}] crop more than the input of size [${x.shape.join(', ')}] holds`,
    );
  }
  const out = new Tensor(
    allocate(
      x.dtype,
      shape.reduce((p, d) => p * d, 1),
    ),
    shape,
    x.dtype,
  );
  if (value !== 0) out.fill_(value);
  const box = interior(x.shape, shape, pads);
  if (box) copyBox(x.hostView(), out.data, box);
  return attachGrad(out, {
    name: 'ConstantPadNdBackward0',
    inputs: [x],
    backward: (g) => {
      const dx = new Tensor(allocate(x.dtype, x.numel()), x.shape, x.dtype);
      if (box) copyBox(g.hostView(), dx.data, { shape: box.shape, src: box.dst, dst: box.src });
      return [dx];
    },
  });
}

/** The part of the input that survives the pads, as a box from input to output (null when empty). */
function interior(inShape: readonly number[], outShape: readonly number[], pads: readonly number[]) {
  const r = inShape.length;
  const is = contiguousStrides(inShape);
  const os = contiguousStrides(outShape);
  const shape: number[] = [];
  let so = 0;
  let dof = 0;
  for (let i = 0; i < r; i++) {
    const b = pads[i]!;
    const e = pads[r + i]!;
    const len = inShape[i]! - Math.max(0, -b) - Math.max(0, -e);
    if (len <= 0) return null;
    shape.push(len);
    so += Math.max(0, -b) * is[i]!;
    dof += Math.max(0, b) * os[i]!;
  }
  return { shape, src: { offset: so, strides: is }, dst: { offset: dof, strides: os } };
}
