/**
 * The plan's shape pass: the output shapes of each supported op from its input shapes and constant
 * inputs (ONNX opsets 13–17). It lets Shape fold at load, and it refuses a graph whose shapes do not
 * fit (a Conv's channels, a Gemm's inner sizes) at load, naming the node, rather than mid-run.
 */
import type { OnnxNode } from '../io/onnx.js';
import type { Tensor } from '../tensor/tensor.js';
import { shapeNumel } from '../tensor/tensor.js';
import { resolveAutoPad, windowCount, type AutoPad } from '../nn/functional/spatial.js';
import { attrInt, attrInts, attrString, nodeError, normAxis } from './attrs.js';
import { values } from './constEval.js';
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

export type Shape = readonly number[];

/** A node's input as the shape pass sees it: its shape, and its value when constant. */
export interface ShapeInput {
  shape: Shape;
  value: Tensor | null;
}

/** Conv/pool geometry after auto_pad: explicit pads (begins then ends), strides, dilations. */
export function windowGeometry(node: OnnxNode, spatial: Shape, kernel: Shape) {
  const n = spatial.length;
  const strides = attrInts(node, 'strides') ?? new Array<number>(n).fill(1);
  const dilations = attrInts(node, 'dilations') ?? new Array<number>(n).fill(1);
  const autoPad = attrString(node, 'auto_pad', 'NOTSET') as AutoPad;
  let pads: number[];
  try {
    pads = resolveAutoPad(autoPad, spatial, kernel, strides, dilations, attrInts(node, 'pads'));
  } catch (e) {
    throw nodeError(node, (e as Error).message);
  }
  if (strides.length !== n || dilations.length !== n) throw nodeError(node, `strides/dilations must have ${n} values`);
  return { pads, strides, dilations, autoPad };
}

function windowed(node: OnnxNode, x: Shape, kernel: Shape, ceil: boolean): number[] {
  const spatial = x.slice(2);
  if (kernel.length !== spatial.length) {
    throw nodeError(node, `kernel has ${kernel.length} spatial dims, input [${x.join(', ')}] has ${spatial.length}`);
  }
  const g = windowGeometry(node, spatial, kernel);
  const n = spatial.length;
  return spatial.map((len, i) => {
    const o = windowCount(len, g.pads[i]!, g.pads[n + i]!, kernel[i]!, g.strides[i]!, g.dilations[i]!, ceil);
    if (o <= 0) throw nodeError(node, `input [${x.join(', ')}] is smaller than the kernel [${kernel.join(', ')}]`);
    return o;
  });
}

function matmulShape(node: OnnxNode, a: Shape, b: Shape): number[] {
  if (a.length === 0 || b.length === 0) throw nodeError(node, 'inputs must have at least one dimension');
  const a2 = a.length === 1 ? [1, a[0]!] : a;
  const b2 = b.length === 1 ? [b[0]!, 1] : b;
  const [m, k] = a2.slice(-2) as [number, number];
  const [k2, n] = b2.slice(-2) as [number, number];
  if (k !== k2) throw nodeError(node, `inner sizes differ: [${a.join(', ')}] @ [${b.join(', ')}]`);
  const batch = broadcastShape(node, a2.slice(0, -2), b2.slice(0, -2));
  const out = [...batch, m, n];
  if (b.length === 1) out.splice(out.length - 1, 1);
  if (a.length === 1) out.splice(out.length - (b.length === 1 ? 1 : 2), 1);
  return out;
}

const SAME_SHAPE = new Set(['Relu', 'Clip', 'Sigmoid', 'HardSigmoid', 'HardSwish', 'Identity']);

/** Output shapes of `node` (one per output it declares; trailing optional outputs included). */
export function inferShapes(node: OnnxNode, ins: (ShapeInput | null)[]): number[][] {
  const req = (i: number): ShapeInput => {
    const v = ins[i];
    if (!v) throw nodeError(node, `input ${i} is required`);
    return v;
  };
  const constInput = (i: number, what: string): number[] => {
    const v = req(i).value;
    if (!v)
      throw nodeError(
        node,
        `${what} (input ${i}) must be a constant known at load (an initializer, a Constant, or computed from shapes)`,
      );
    return values(v);
  };
  const x = ins[0]?.shape ?? [];
  const op = node.opType;
  if (op === 'Clip') {
    for (const i of [1, 2]) {
      if (ins[i] && shapeNumel(ins[i].shape) !== 1) throw nodeError(node, `min/max (input ${i}) must be a scalar`);
    }
  }
  if (SAME_SHAPE.has(op)) return [[...req(0).shape]];
  switch (op) {
    case 'Dropout': {
      const ratio = ins[1]?.value;
      if (ins[1] && shapeNumel(ins[1].shape) !== 1) throw nodeError(node, 'ratio must be a scalar');
      if (ratio && !(ratio.getFlat(0) >= 0 && ratio.getFlat(0) < 1))
        throw nodeError(node, `ratio ${ratio.getFlat(0)} is not in [0, 1)`);
      return [[...req(0).shape], [...req(0).shape]];
    }
    case 'Add':
    case 'Sub':
    case 'Mul':
    case 'Div':
      return [broadcastShape(node, req(0).shape, req(1).shape)];
    case 'BatchNormalization': {
      if (req(0).shape.length < 2) throw nodeError(node, `input [${x.join(', ')}] needs at least 2 dims`);
      const c = x[1]!;
      for (let i = 1; i <= 4; i++) {
        if (shapeNumel(req(i).shape) !== c || req(i).shape.length !== 1) {
          throw nodeError(node, `input ${i} has shape [${req(i).shape.join(', ')}], expected [${c}]`);
        }
      }
      return [[...x], [c], [c], [c], [c]];
    }
    case 'Conv': {
      const w = req(1).shape;
      const group = attrInt(node, 'group', 1);
      // The engine's conv runs 1-D (NCL) and 2-D (NCHW): 3-D convolutions are refused here, at load.
      if (x.length < 3 || x.length > 4 || w.length !== x.length) {
        throw nodeError(
          node,
          `input [${x.join(', ')}] and weight [${w.join(', ')}] do not fit a 1-D or 2-D convolution`,
        );
      }
      if (group < 1 || x[1]! !== w[1]! * group || w[0]! % group !== 0) {
        throw nodeError(node, `input channels ${x[1]} do not match weight [${w.join(', ')}] with group ${group}`);
      }
      const kernel = attrInts(node, 'kernel_shape') ?? w.slice(2);
      if (kernel.length !== w.length - 2 || kernel.some((k, i) => k !== w[i + 2])) {
        throw nodeError(node, `kernel_shape [${kernel.join(', ')}] does not match weight [${w.join(', ')}]`);
      }
      if (ins[2] && (ins[2].shape.length !== 1 || ins[2].shape[0] !== w[0]))
        throw nodeError(node, `bias must have ${w[0]} values`);
      return [[x[0]!, w[0]!, ...windowed(node, x, kernel, false)]];
    }
    case 'MaxPool':
    case 'AveragePool': {
      const kernel = attrInts(node, 'kernel_shape');
      if (!kernel) throw nodeError(node, "attribute 'kernel_shape' is required");
      if (x.length < 3 || x.length > 4)
        throw nodeError(node, `input [${x.join(', ')}] must be 3-D (NCL) or 4-D (NCHW)`);
      const out = [x[0]!, x[1]!, ...windowed(node, x, kernel, attrInt(node, 'ceil_mode', 0) === 1)];
      return [out, out];
    }
    case 'GlobalAveragePool':
      if (x.length < 3) throw nodeError(node, `input [${x.join(', ')}] needs spatial dims`);
      return [[x[0]!, x[1]!, ...x.slice(2).map(() => 1)]];
    case 'ReduceMean': {
      const axes = (attrInts(node, 'axes') ?? x.map((_, i) => i)).map((a) => normAxis(node, a, x.length));
      const keep = attrInt(node, 'keepdims', 1) === 1;
      return [keep ? x.map((d, i) => (axes.includes(i) ? 1 : d)) : x.filter((_, i) => !axes.includes(i))];
    }
    case 'Gemm': {
      const a = req(0).shape;
      const b = req(1).shape;
      if (a.length !== 2 || b.length !== 2)
        throw nodeError(node, `A [${a.join(', ')}] and B [${b.join(', ')}] must be 2-D`);
      const [m, k] = attrInt(node, 'transA', 0) ? [a[1]!, a[0]!] : [a[0]!, a[1]!];
      const [k2, n] = attrInt(node, 'transB', 0) ? [b[1]!, b[0]!] : [b[0]!, b[1]!];
      if (k !== k2) throw nodeError(node, `inner sizes differ: A [${a.join(', ')}], B [${b.join(', ')}]`);
      if (ins[2]) broadcastShape(node, ins[2].shape, [m, n]);
      return [[m, n]];
    }
    case 'MatMul':
      return [matmulShape(node, req(0).shape, req(1).shape)];
    case 'Flatten': {
      const axis = normAxis(node, attrInt(node, 'axis', 1), x.length + 1);
      return [[shapeNumel(x.slice(0, axis)), shapeNumel(x.slice(axis))]];
    }
    case 'Reshape':
      return [reshapeTarget(node, req(0).shape, constInput(1, 'shape'), attrInt(node, 'allowzero', 0))];
    case 'Transpose':
      return [transposePerm(node, x.length, attrInts(node, 'perm')).map((p) => x[p]!)];
    case 'Concat': {
      const parts = ins.filter((v): v is ShapeInput => v !== null).map((v) => v.shape);
      return [concatShape(node, parts, normAxis(node, attrInt(node, 'axis', 0), x.length))];
    }
    case 'Slice':
      return [
        sliceIndices(
          node,
          req(0).shape,
          constInput(1, 'starts'),
          constInput(2, 'ends'),
          ins[3] ? constInput(3, 'axes') : null,
          ins[4] ? constInput(4, 'steps') : null,
        ).shape,
      ];
    case 'Gather': {
      const axis = normAxis(node, attrInt(node, 'axis', 0), x.length);
      const idx = req(1).value;
      const dim = x[axis]!;
      if (idx && values(idx).some((i) => i < -dim || i >= dim)) {
        throw nodeError(node, `indices [${values(idx).join(', ')}] are out of bounds for axis ${axis} of size ${dim}`);
      }
      return [gatherShape(req(0).shape, req(1).shape, axis)];
    }
    case 'Unsqueeze':
      return [unsqueezeShape(node, req(0).shape, constInput(1, 'axes'))];
    case 'Squeeze':
      return [squeezeShape(node, req(0).shape, ins[1] ? constInput(1, 'axes') : null)];
    case 'Shape': {
      const r = x.length;
      const clampAxis = (a: number) => Math.min(Math.max(a < 0 ? a + r : a, 0), r);
      const s = clampAxis(attrInt(node, 'start', 0));
      const e = clampAxis(attrInt(node, 'end', r));
      return [[Math.max(0, e - s)]];
    }
    case 'Pad': {
      const pads = constInput(1, 'pads');
      if (pads.length !== 2 * x.length)
        throw nodeError(node, `pads must have ${2 * x.length} values, got ${pads.length}`);
      if (pads.some((p) => p < 0))
        throw nodeError(node, `negative pads [${pads.join(', ')}] (cropping) are not supported`);
      return [x.map((d, i) => d + pads[i]! + pads[x.length + i]!)];
    }
    case 'Split': {
      const axis = normAxis(node, attrInt(node, 'axis', 0), x.length);
      return splitSizes(node, x[axis]!, ins[1] ? constInput(1, 'split') : null).map((s) =>
        x.map((d, i) => (i === axis ? s : d)),
      );
    }
    case 'Cast':
      return [[...x]];
    default:
      throw nodeError(node, 'op is not supported');
  }
}

/** Split's part sizes: the `split` input, or equal parts (one per output). */
export function splitSizes(node: OnnxNode, dim: number, split: number[] | null): number[] {
  if (split) {
    if (split.length !== node.outputs.length || split.reduce((p, s) => p + s, 0) !== dim || split.some((s) => s < 0)) {
      throw nodeError(node, `split [${split.join(', ')}] does not divide ${dim} into ${node.outputs.length} parts`);
    }
    return split;
  }
  const n = node.outputs.length;
  if (dim % n !== 0) throw nodeError(node, `axis of size ${dim} does not split into ${n} equal parts`);
  return new Array<number>(n).fill(dim / n);
}
