/**
 * Load-time evaluation of the shape arithmetic torch.onnx.export leaves in a graph (Shape → Gather →
 * Unsqueeze → Concat → Reshape, chunk's Shape/Div/Mul/Slice): small tensors of any dtype, on the host,
 * no autograd. The plan folds a node here when all its inputs are constants; the same index rules
 * (indexing.ts) tell the executor's shape pass what runtime ops produce.
 */
import { Tensor, shapeNumel } from '../tensor/tensor.js';
import { allocate, type DType } from '../tensor/dtype.js';
import type { OnnxNode } from '../io/onnx.js';
import { attrInt, attrInts, nodeError, normAxis } from './attrs.js';
import {
  broadcastShape,
  concatShape,
  gatherShape,
  reshapeTarget,
  sliceIndices,
  squeezeShape,
  transposePerm,
  unsqueezeShape,
} from './indexing.js';

export function values(t: Tensor): number[] {
  return t.toArray();
}

export function makeTensor(dtype: DType, shape: readonly number[], vals: ArrayLike<number>): Tensor {
  const n = shapeNumel(shape);
  const out = new Tensor(allocate(dtype, n), shape, dtype);
  for (let i = 0; i < n; i++) out.setFlat(i, vals[i]!);
  return out;
}

/** Row-major strides. */
export function strides(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i]!;
  }
  return s;
}

/** Calls f(outFlat, multiIndex) for every element of `shape` in row-major order. */
function forEachIndex(shape: readonly number[], f: (flat: number, idx: number[]) => void): void {
  const n = shapeNumel(shape);
  const idx = new Array<number>(shape.length).fill(0);
  for (let flat = 0; flat < n; flat++) {
    f(flat, idx);
    for (let d = shape.length - 1; d >= 0; d--) {
      if (++idx[d]! < shape[d]!) break;
      idx[d] = 0;
    }
  }
}

const ARITH: Record<string, (a: number, b: number, integer: boolean) => number> = {
  Add: (a, b) => a + b,
  Sub: (a, b) => a - b,
  Mul: (a, b) => a * b,
  Div: (a, b, integer) => (integer ? Math.trunc(a / b) : a / b),
};

/** Ops the plan may evaluate at load when every input is a constant. */
export const FOLDABLE = new Set([
  'Identity',
  'Gather',
  'Unsqueeze',
  'Squeeze',
  'Concat',
  'Reshape',
  'Slice',
  'Flatten',
  'Transpose',
  'Cast',
  'Add',
  'Sub',
  'Mul',
  'Div',
]);

/** The node's outputs from constant inputs ('' inputs are null). */
export function foldNode(node: OnnxNode, inputs: (Tensor | null)[]): Tensor[] {
  const x = inputs[0];
  if (!x) throw nodeError(node, 'missing its first input');
  switch (node.opType) {
    case 'Identity':
      return [x];
    case 'Cast':
      return [x.to(castTarget(node))];
    case 'Add':
    case 'Sub':
    case 'Mul':
    case 'Div': {
      const y = inputs[1];
      if (!y) throw nodeError(node, 'needs two inputs');
      if (x.dtype !== y.dtype) throw nodeError(node, `inputs have different types (${x.dtype}, ${y.dtype})`);
      const shape = broadcastShape(node, x.shape, y.shape);
      const f = ARITH[node.opType]!;
      const integer = !(x.dtype === 'float32' || x.dtype === 'float64');
      const xs = bcastStrides(x.shape, shape);
      const ys = bcastStrides(y.shape, shape);
      const out = new Array<number>(shapeNumel(shape));
      forEachIndex(shape, (flat, idx) => {
        let xi = 0;
        let yi = 0;
        for (let d = 0; d < idx.length; d++) {
          xi += idx[d]! * xs[d]!;
          yi += idx[d]! * ys[d]!;
        }
        out[flat] = f(x.getFlat(xi), y.getFlat(yi), integer);
      });
      return [makeTensor(x.dtype, shape, out)];
    }
    case 'Reshape':
      return [reshaped(x, reshapeTarget(node, x.shape, values(need(node, inputs, 1)), attrInt(node, 'allowzero', 0)))];
    case 'Flatten': {
      const axis = normAxis(node, attrInt(node, 'axis', 1), x.dim() + 1);
      const outer = shapeNumel(x.shape.slice(0, axis));
      return [reshaped(x, [outer, shapeNumel(x.shape.slice(axis))])];
    }
    case 'Unsqueeze':
      return [reshaped(x, unsqueezeShape(node, x.shape, values(need(node, inputs, 1))))];
    case 'Squeeze':
      return [reshaped(x, squeezeShape(node, x.shape, inputs[1] ? values(inputs[1]) : null))];
    case 'Gather': {
      const idx = need(node, inputs, 1);
      const axis = normAxis(node, attrInt(node, 'axis', 0), x.dim());
      const shape = gatherShape(x.shape, idx.shape, axis);
      const dim = x.shape[axis]!;
      const inner = shapeNumel(x.shape.slice(axis + 1));
      const outer = shapeNumel(x.shape.slice(0, axis));
      const iv = values(idx).map((i) => {
        if (i < -dim || i >= dim) throw nodeError(node, `index ${i} is out of bounds for axis ${axis} of size ${dim}`);
        return i < 0 ? i + dim : i;
      });
      const out: number[] = [];
      for (let o = 0; o < outer; o++) {
        for (const i of iv) for (let k = 0; k < inner; k++) out.push(x.getFlat((o * dim + i) * inner + k));
      }
      return [makeTensor(x.dtype, shape, out)];
    }
    case 'Concat': {
      const parts = inputs.filter((t): t is Tensor => t !== null);
      const axis = normAxis(node, attrInt(node, 'axis', 0), x.dim());
      const shape = concatShape(
        node,
        parts.map((p) => p.shape),
        axis,
      );
      const outer = shapeNumel(shape.slice(0, axis));
      const out: number[] = [];
      for (let o = 0; o < outer; o++) {
        for (const p of parts) {
          const chunk = shapeNumel(p.shape.slice(axis));
          for (let k = 0; k < chunk; k++) out.push(p.getFlat(o * chunk + k));
        }
      }
      return [makeTensor(x.dtype, shape, out)];
    }
    case 'Slice': {
      const { shape, index } = sliceIndices(
        node,
        x.shape,
        values(need(node, inputs, 1)),
        values(need(node, inputs, 2)),
        inputs[3] ? values(inputs[3]) : null,
        inputs[4] ? values(inputs[4]) : null,
      );
      const out: number[] = [];
      forEachIndex(shape, (_flat, idx) => out.push(x.getFlat(index(idx))));
      return [makeTensor(x.dtype, shape, out)];
    }
    case 'Transpose': {
      const perm = transposePerm(node, x.dim(), attrInts(node, 'perm'));
      const shape = perm.map((p) => x.shape[p]!);
      const st = strides(x.shape);
      const out: number[] = [];
      forEachIndex(shape, (_flat, idx) => {
        let src = 0;
        for (let d = 0; d < idx.length; d++) src += idx[d]! * st[perm[d]!]!;
        out.push(x.getFlat(src));
      });
      return [makeTensor(x.dtype, shape, out)];
    }
    default:
      throw nodeError(node, 'cannot be evaluated at load');
  }
}

function need(node: OnnxNode, inputs: (Tensor | null)[], i: number): Tensor {
  const t = inputs[i];
  if (!t) throw nodeError(node, `input ${i} is required`);
  return t;
}

function reshaped(x: Tensor, shape: readonly number[]): Tensor {
  return makeTensor(x.dtype, shape, values(x));
}

/** Strides of `shape` broadcast to `out` (0 on broadcast axes; shapes right-aligned). */
export function bcastStrides(shape: readonly number[], out: readonly number[]): number[] {
  const st = strides(shape);
  const off = out.length - shape.length;
  return out.map((_, d) => (d < off || shape[d - off] === 1 ? 0 : st[d - off]!));
}

const CAST_TARGETS: Record<number, DType> = {
  1: 'float32',
  6: 'int32',
  7: 'int64',
  9: 'bool',
  11: 'float64',
  3: 'int8',
  2: 'uint8',
  5: 'int16',
};

export function castTarget(node: OnnxNode): DType {
  const to = attrInt(node, 'to', 0);
  const dt = CAST_TARGETS[to];
  if (!dt) throw nodeError(node, `cast to ONNX type ${to} is not supported`);
  return dt;
}
