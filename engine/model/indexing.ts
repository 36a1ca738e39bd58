/**
 * The shape rules of ONNX's indexing and reshaping ops (opsets 13–17), shared by load-time folding
 * (constEval.ts) and the plan's shape pass (shapes.ts): negative axes, Reshape's 0 and −1,
 * Slice's clamping for positive and negative steps, Squeeze/Unsqueeze axes.
 */
import type { OnnxNode } from '../io/onnx.js';
import { shapeNumel } from '../tensor/tensor.js';
import { broadcastShapes } from '../tensor/broadcast.js';
import { nodeError, normAxis } from './attrs.js';
import { sliceRange } from '../nn/functional/shape.js';

export function broadcastShape(node: OnnxNode, a: readonly number[], b: readonly number[]): number[] {
  try {
    return broadcastShapes(a, b);
  } catch (e) {
    throw nodeError(node, `inputs [${a.join(', ')}] and [${b.join(', ')}] do not broadcast (${(e as Error).message})`);
  }
}

export function concatShape(node: OnnxNode, shapes: readonly (readonly number[])[], axis: number): number[] {
  const first = shapes[0]!;
  const out = [...first];
  for (const s of shapes.slice(1)) {
    if (s.length !== first.length || s.some((d, i) => i !== axis && d !== first[i])) {
      throw nodeError(node, `inputs [${first.join(', ')}] and [${s.join(', ')}] differ outside axis ${axis}`);
    }
    out[axis]! += s[axis]!;
  }
  return out;
}

export function gatherShape(data: readonly number[], indices: readonly number[], axis: number): number[] {
  return [...data.slice(0, axis), ...indices, ...data.slice(axis + 1)];
}

/** Reshape's target: 0 copies the input dim (unless allowzero), one −1 is inferred. */
export function reshapeTarget(
  node: OnnxNode,
  input: readonly number[],
  target: readonly number[],
  allowzero: number,
): number[] {
  const out = target.map((d, i) => (d === 0 && !allowzero ? (input[i] ?? NaN) : d));
  const n = shapeNumel(input);
  const neg = out.filter((d) => d === -1).length;
  const bad = () => nodeError(node, `cannot reshape [${input.join(', ')}] to [${target.join(', ')}]`);
  if (neg > 1 || out.some((d) => !Number.isInteger(d) || d < -1)) throw bad();
  if (neg === 1) {
    const rest = shapeNumel(out.filter((d) => d !== -1));
    if (rest === 0 || n % rest !== 0) throw bad();
    out[out.indexOf(-1)] = n / rest;
  }
  if (shapeNumel(out) !== n) throw bad();
  return out;
}

export function unsqueezeShape(node: OnnxNode, input: readonly number[], axes: readonly number[]): number[] {
  const rank = input.length + axes.length;
  const norm = axes.map((a) => normAxis(node, a, rank));
  if (new Set(norm).size !== norm.length) throw nodeError(node, `repeated axes [${axes.join(', ')}]`);
  const out: number[] = [];
  let k = 0;
  for (let d = 0; d < rank; d++) out.push(norm.includes(d) ? 1 : input[k++]!);
  return out;
}

export function squeezeShape(node: OnnxNode, input: readonly number[], axes: readonly number[] | null): number[] {
  if (axes === null) return input.filter((d) => d !== 1);
  const norm = axes.map((a) => normAxis(node, a, input.length));
  for (const a of norm) if (input[a] !== 1) throw nodeError(node, `cannot squeeze axis ${a} of size ${input[a]}`);
  return input.filter((_, d) => !norm.includes(d));
}

export function transposePerm(node: OnnxNode, rank: number, perm: readonly number[] | undefined): number[] {
  const p = perm ? [...perm] : [...Array(rank).keys()].reverse();
  if (p.length !== rank || [...p].sort((a, b) => a - b).some((v, i) => v !== i)) {
    throw nodeError(node, `perm [${p.join(', ')}] is not a permutation of ${rank} axes`);
  }
  return p;
}

export interface SliceSpec {
  shape: number[];
  /** Per output axis: first input index and step (for every axis, sliced or not). */
  start: number[];
  step: number[];
  /** The flat input index of an output multi-index. */
  index: (idx: readonly number[]) => number;
}

/** ONNX Slice (opset 13): clamps starts/ends per the spec for positive and negative steps. */
export function sliceIndices(
  node: OnnxNode,
  input: readonly number[],
  starts: readonly number[],
  ends: readonly number[],
  axesIn: readonly number[] | null,
  stepsIn: readonly number[] | null,
): SliceSpec {
  const rank = input.length;
  const axes = (axesIn ?? starts.map((_, i) => i)).map((a) => normAxis(node, a, rank));
  const steps = stepsIn ?? starts.map(() => 1);
  if (ends.length !== starts.length || axes.length !== starts.length || steps.length !== starts.length) {
    throw nodeError(node, 'starts, ends, axes and steps must have the same length');
  }
  if (new Set(axes).size !== axes.length) throw nodeError(node, `repeated axes [${axes.join(', ')}]`);
  const shape = [...input];
  const start = input.map(() => 0);
  const step = input.map(() => 1);
  axes.forEach((a, i) => {
    const dim = input[a]!;
    const s = steps[i]!;
    if (s === 0 || !Number.isFinite(s)) throw nodeError(node, 'slice step cannot be 0');
    const r = sliceRange(dim, starts[i]!, ends[i]!, s);
    shape[a] = r.count;
    start[a] = r.first;
    step[a] = s;
  });
  const st = input.map((_, d) => shapeNumel(input.slice(d + 1)));
  const index = (idx: readonly number[]) => {
    let f = 0;
    for (let d = 0; d < rank; d++) f += (start[d]! + idx[d]! * step[d]!) * st[d]!;
    return f;
  };
  return { shape, start, step, index };
}
