/**
 * The op table: each supported ONNX op (opsets 13–17) with its attributes mapped onto the engine's
 * functional ops, which record autograd. Shapes were checked by the plan (shapes.ts), so these run
 * what the plan promised; inputs that must be constant (Reshape's shape, Slice's starts, Clip's
 * bounds, Pad's pads, Dropout's ratio) come from the plan's folded constants.
 */
import type { OnnxNode } from '../io/onnx.js';
import type { Tensor } from '../tensor/tensor.js';
import type { BatchNorm } from '../nn/batchnorm.js';
import type { Module } from '../nn/module.js';
import { add, div, mul, relu, sub } from '../tensor/ops.js';
import { conv } from '../nn/functional/conv.js';
import { avgPool, globalAvgPool, maxPool } from '../nn/functional/pool.js';
import { clip, hardSigmoid, hardSwish, sigmoid } from '../nn/functional/activations.js';
import * as F from '../nn/functional/index.js';
import { attrFloat, attrInt, attrInts, attrString, nodeError, normAxis } from './attrs.js';
import { values } from './constEval.js';
import { splitSizes, windowGeometry } from './shapes.js';

/**
 * A node that calls an engine Module (domain 'normscope', op 'Module'): how a stack of layers becomes a
 * linear graph run by the same executor (stackGraph.ts). Its output shape is the module's business.
 */
export const MODULE_DOMAIN = 'normscope';

export function isModuleNode(node: OnnxNode): boolean {
  return node.domain === MODULE_DOMAIN && node.opType === 'Module';
}

export interface OpContext {
  /** The module a Module node calls. */
  module(node: OnnxNode): Module;
  /** The BatchNorm module imported for this BatchNormalization node. */
  batchNorm(node: OnnxNode): BatchNorm;
  /** Whether a Dropout node drops, given what its training_mode input says. */
  dropoutTraining(exported: boolean): boolean;
  /** The planned shape of a value. */
  shapeOf(name: string): readonly number[];
}

type Inputs = (Tensor | null)[];
type OpRun = (node: OnnxNode, ins: Inputs, ctx: OpContext) => (Tensor | null)[];

function req(node: OnnxNode, ins: Inputs, i: number): Tensor {
  const t = ins[i];
  if (!t) throw nodeError(node, `input ${i} is required`);
  return t;
}

function scalarInput(ins: Inputs, i: number): number | undefined {
  const t = ins[i];
  return t ? t.getFlat(0) : undefined;
}

const viewAs: OpRun = (node, ins, ctx) => [req(node, ins, 0).reshape(ctx.shapeOf(node.outputs[0]!))];

const OPS: Record<string, OpRun> = {
  Conv: (node, ins) => {
    const x = req(node, ins, 0);
    const w = req(node, ins, 1);
    const kernel = attrInts(node, 'kernel_shape') ?? w.shape.slice(2);
    const g = windowGeometry(node, x.shape.slice(2), kernel);
    return [
      conv(x, w, ins[2] ?? null, {
        strides: g.strides,
        pads: g.pads,
        dilations: g.dilations,
        group: attrInt(node, 'group', 1),
      }),
    ];
  },
  BatchNormalization: (node, ins, ctx) => {
    const bn = ctx.batchNorm(node);
    const y = bn.call(req(node, ins, 0));
    // Training-mode outputs 1 and 2 are the updated running statistics (copies: the buffers change later).
    return [y, bn.runningMean?.clone() ?? null, bn.runningVar?.clone() ?? null];
  },
  Relu: (node, ins) => [relu(req(node, ins, 0))],
  Clip: (node, ins) => [clip(req(node, ins, 0), scalarInput(ins, 1), scalarInput(ins, 2))],
  Sigmoid: (node, ins) => [sigmoid(req(node, ins, 0))],
  HardSigmoid: (node, ins) => [
    hardSigmoid(req(node, ins, 0), attrFloat(node, 'alpha', 0.2), attrFloat(node, 'beta', 0.5)),
  ],
  HardSwish: (node, ins) => [hardSwish(req(node, ins, 0))],
  Add: (node, ins) => [add(req(node, ins, 0), req(node, ins, 1))],
  Sub: (node, ins) => [sub(req(node, ins, 0), req(node, ins, 1))],
  Mul: (node, ins) => [mul(req(node, ins, 0), req(node, ins, 1))],
  Div: (node, ins) => [div(req(node, ins, 0), req(node, ins, 1))],
  MaxPool: (node, ins) => {
    const x = req(node, ins, 0);
    const kernelShape = attrInts(node, 'kernel_shape')!;
    const g = windowGeometry(node, x.shape.slice(2), kernelShape);
    return [
      maxPool(x, {
        kernelShape,
        strides: g.strides,
        pads: g.pads,
        dilations: g.dilations,
        ceilMode: attrInt(node, 'ceil_mode', 0) === 1,
      }),
    ];
  },
  AveragePool: (node, ins) => {
    const x = req(node, ins, 0);
    const kernelShape = attrInts(node, 'kernel_shape')!;
    const g = windowGeometry(node, x.shape.slice(2), kernelShape);
    return [
      avgPool(x, {
        kernelShape,
        strides: g.strides,
        pads: g.pads,
        ceilMode: attrInt(node, 'ceil_mode', 0) === 1,
        countIncludePad: attrInt(node, 'count_include_pad', 0) === 1,
      }),
    ];
  },
  GlobalAveragePool: (node, ins) => [globalAvgPool(req(node, ins, 0))],
  ReduceMean: (node, ins) => {
    const x = req(node, ins, 0);
    const axes = attrInts(node, 'axes')?.map((a) => normAxis(node, a, x.dim())) ?? null;
    return [F.reduceMean(x, axes, attrInt(node, 'keepdims', 1) === 1)];
  },
  Gemm: (node, ins) => [
    F.gemm(req(node, ins, 0), req(node, ins, 1), ins[2] ?? null, {
      alpha: attrFloat(node, 'alpha', 1),
      beta: attrFloat(node, 'beta', 1),
      transA: attrInt(node, 'transA', 0) === 1,
      transB: attrInt(node, 'transB', 0) === 1,
    }),
  ],
  MatMul: (node, ins) => [F.matmul(req(node, ins, 0), req(node, ins, 1))],
  Flatten: viewAs,
  Reshape: viewAs,
  Unsqueeze: viewAs,
  Squeeze: viewAs,
  Identity: (node, ins) => [req(node, ins, 0)],
  Transpose: (node, ins) => {
    const x = req(node, ins, 0);
    return [F.transpose(x, attrInts(node, 'perm') ?? [...Array(x.dim()).keys()].reverse())];
  },
  Concat: (node, ins) => {
    const xs = ins.filter((t): t is Tensor => t !== null);
    return [F.concat(xs, normAxis(node, attrInt(node, 'axis', 0), xs[0]!.dim()))];
  },
  Slice: (node, ins) => [
    F.slice(
      req(node, ins, 0),
      values(req(node, ins, 1)),
      values(req(node, ins, 2)),
      ins[3] ? values(ins[3]) : undefined,
      ins[4] ? values(ins[4]) : undefined,
    ),
  ],
  Gather: (node, ins) => {
    const x = req(node, ins, 0);
    return [F.gather(x, req(node, ins, 1), normAxis(node, attrInt(node, 'axis', 0), x.dim()))];
  },
  Pad: (node, ins) => [F.pad(req(node, ins, 0), values(req(node, ins, 1)), scalarInput(ins, 2) ?? 0)],
  Split: (node, ins) => {
    const x = req(node, ins, 0);
    const axis = normAxis(node, attrInt(node, 'axis', 0), x.dim());
    return F.split(x, axis, splitSizes(node, x.shape[axis]!, ins[1] ? values(ins[1]) : null));
  },
  Dropout: (node, ins, ctx) => {
    const exported = ins[2] ? ins[2].getFlat(0) !== 0 : false;
    const { output, mask } = F.dropout(req(node, ins, 0), scalarInput(ins, 1) ?? 0.5, ctx.dropoutTraining(exported));
    return [output, mask];
  },
};

/**
 * Ops that only run at load, on constants (Shape of a static shape, Cast in shape arithmetic): the plan
 * refuses a graph where one would have to run on a runtime value (a Cast there would cut autograd).
 */
export const LOAD_ONLY: ReadonlySet<string> = new Set(['Constant', 'Shape', 'Cast']);

export const SUPPORTED_OPS: ReadonlySet<string> = new Set([...Object.keys(OPS), ...LOAD_ONLY]);

/** Attribute values the op table does not implement: refused at load, naming the node. */
export function checkNodeAttributes(node: OnnxNode): void {
  if (node.opType === 'Pad' && attrString(node, 'mode', 'constant') !== 'constant') {
    throw nodeError(node, `mode '${attrString(node, 'mode', 'constant')}' is not supported (only 'constant')`);
  }
  if (node.opType === 'MaxPool' && node.outputs[1]) {
    throw nodeError(node, 'the Indices output is not supported');
  }
  if ((node.opType === 'MaxPool' || node.opType === 'AveragePool') && !attrInts(node, 'kernel_shape')) {
    throw nodeError(node, "attribute 'kernel_shape' is required");
  }
}

export function runOp(node: OnnxNode, ins: Inputs, ctx: OpContext): (Tensor | null)[] {
  if (isModuleNode(node)) return [ctx.module(node).call(req(node, ins, 0))];
  const run = OPS[node.opType];
  if (!run) throw nodeError(node, `op '${node.opType}' has no runtime implementation`);
  return run(node, ins, ctx);
}
