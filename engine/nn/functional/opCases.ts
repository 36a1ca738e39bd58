/**
 * Test-only: replays the operator fixtures (engine/nn/functional/fixtures/*.json, written by
 * tools/make_op_fixtures.py) through the engine's functional API. A case names an engine op and its
 * arguments; `callOp` maps that name to the call, so the fixtures and the tests agree on one spelling.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Tensor } from '../../tensor/tensor.js';
import { captureEngine, toTensor, type EncError, type EncTensor } from '../testing/fixtures.js';
import { compareError, compareTensor } from '../testing/compare.js';
import { add, div, mul, sub } from '../../tensor/ops.js';
import { conv } from './conv.js';
import { resolveAutoPad, type AutoPad } from './spatial.js';
import { avgPool, globalAvgPool, maxPool } from './pool.js';
import { clip, hardSigmoid, hardSwish, relu, sigmoid } from './activations.js';
import { reduceMean } from './reduce.js';
import { gemm, matmul } from './matmul.js';
import { concat, flatten, reshape, slice, split, squeeze, transpose, unsqueeze } from './shape.js';
import { gather, pad } from './indexing.js';
import { dropout } from './dropout.js';

export interface OpCase {
  name: string;
  op: string;
  args: Record<string, unknown>;
  inputs: EncTensor[];
  gradOut?: EncTensor[] | null;
  expect?: { outputs?: EncTensor[]; grads?: (EncTensor | null)[]; error?: EncError };
  /** ONNX node tests: expected outputs only. */
  outputs?: EncTensor[];
  onnxOp?: string;
}

const DIR = fileURLToPath(new URL('./fixtures/', import.meta.url));

export function loadOpCases(file: string): OpCase[] {
  return (JSON.parse(readFileSync(DIR + file, 'utf8')) as { cases: OpCase[] }).cases;
}

type Args = Record<string, unknown>;
type OpFn = (inputs: Tensor[], a: Args) => Tensor[];

/** Explicit pads, or the ones auto_pad stands for (kernel from the weight or kernelShape). */
function padsOf(x: Tensor, kernel: readonly number[], a: Args): number[] | undefined {
  if (a.autoPad === undefined) return a.pads as number[] | undefined;
  return resolveAutoPad(
    a.autoPad as AutoPad,
    x.shape.slice(2),
    kernel,
    a.strides as number[] | undefined,
    a.dilations as number[] | undefined,
  );
}

const one = (t: Tensor): Tensor[] => [t];

export const OPS: Record<string, OpFn> = {
  conv: ([x, w, b], a) =>
    one(
      conv(x!, w!, b ?? null, {
        strides: a.strides as number[] | undefined,
        pads: padsOf(x!, w!.shape.slice(2), a),
        dilations: a.dilations as number[] | undefined,
        group: a.group as number | undefined,
      }),
    ),
  maxPool: ([x], a) =>
    one(
      maxPool(x!, {
        kernelShape: a.kernelShape as number[],
        strides: a.strides as number[] | undefined,
        pads: padsOf(x!, a.kernelShape as number[], a),
        dilations: a.dilations as number[] | undefined,
        ceilMode: a.ceilMode as boolean | undefined,
      }),
    ),
  avgPool: ([x], a) =>
    one(
      avgPool(x!, {
        kernelShape: a.kernelShape as number[],
        strides: a.strides as number[] | undefined,
        pads: padsOf(x!, a.kernelShape as number[], a),
        ceilMode: a.ceilMode as boolean | undefined,
        countIncludePad: a.countIncludePad as boolean | undefined,
      }),
    ),
  globalAvgPool: ([x]) => one(globalAvgPool(x!)),
  add: ([x, y]) => one(add(x!, y!)),
  sub: ([x, y]) => one(sub(x!, y!)),
  mul: ([x, y]) => one(mul(x!, y!)),
  div: ([x, y]) => one(div(x!, y!)),
  relu: ([x]) => one(relu(x!)),
  sigmoid: ([x]) => one(sigmoid(x!)),
  hardSwish: ([x]) => one(hardSwish(x!)),
  hardSigmoid: ([x], a) => one(hardSigmoid(x!, a.alpha as number | undefined, a.beta as number | undefined)),
  clip: ([x], a) => one(clip(x!, a.min as number | undefined, a.max as number | undefined)),
  reduceMean: ([x], a) => one(reduceMean(x!, a.axes as number[] | null, a.keepdims as boolean)),
  gemm: ([x, y, c], a) =>
    one(
      gemm(x!, y!, c ?? null, {
        alpha: a.alpha as number | undefined,
        beta: a.beta as number | undefined,
        transA: a.transA as boolean | undefined,
        transB: a.transB as boolean | undefined,
      }),
    ),
  matmul: ([x, y]) => one(matmul(x!, y!)),
  reshape: ([x], a) => one(reshape(x!, a.shape as number[], a.allowzero as boolean | undefined)),
  flatten: ([x], a) => one(flatten(x!, a.axis as number)),
  transpose: ([x], a) => one(transpose(x!, a.perm as number[] | null)),
  concat: (xs, a) => one(concat(xs, a.axis as number)),
  slice: ([x], a) =>
    one(
      slice(
        x!,
        a.starts as number[],
        a.ends as number[],
        a.axes as number[] | undefined,
        a.steps as number[] | undefined,
      ),
    ),
  split: ([x], a) => split(x!, a.axis as number, a.sizes as number[] | number),
  unsqueeze: ([x], a) => one(unsqueeze(x!, a.axes as number[])),
  squeeze: ([x], a) => one(squeeze(x!, a.axes as number[] | null)),
  gather: ([x, i], a) => one(gather(x!, i!, a.axis as number)),
  pad: ([x], a) => one(pad(x!, a.pads as number[], a.value as number)),
  dropout: ([x], a) => one(dropout(x!, a.ratio as number, a.training as boolean).output),
};

/** Runs one fixture case; returns the mismatches (empty when the engine agrees). */
export function runOpCase(c: OpCase): string[] {
  const problems: string[] = [];
  const fn = OPS[c.op];
  if (!fn) return [`no engine op '${c.op}'`];
  const grad = !!c.gradOut;
  const inputs = c.inputs.map((e) => toTensor(e, grad && (e.dtype === 'float32' || e.dtype === 'float64')));
  const r = captureEngine(() => fn(inputs, c.args));
  const wantOutputs = c.outputs ?? c.expect?.outputs;
  compareError(problems, 'error', r.error, c.expect ? (c.expect.error ?? null) : null);
  if (!r.value) return problems;
  const outs = r.value;
  if (wantOutputs && outs.length !== wantOutputs.length)
    problems.push(`${outs.length} outputs, expected ${wantOutputs.length}`);
  wantOutputs?.forEach((w, i) => compareTensor(problems, `output ${i}`, outs[i], w));
  if (grad && c.expect?.grads) {
    const seeds = c.gradOut!.map((g) => toTensor(g));
    // Σ_i ⟨out_i, seed_i⟩ through every output at once (split has several).
    outs.forEach((o, i) => {
      if (o.requiresGrad) o.backward(seeds[i]);
    });
    c.expect.grads.forEach((g, i) => compareTensor(problems, `grad ${i}`, g === null ? null : inputs[i]!.grad, g));
  }
  return problems;
}
