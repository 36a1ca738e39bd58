/**
 * ONNX → GraphModule. torch.onnx.export names initializers by their state-dict keys, so:
 * - each BatchNormalization node becomes an engine BatchNorm1d/2d/3d (by input rank) registered at the
 *   prefix of its `P.running_mean`/`P.running_var` initializers, with eps and PyTorch's momentum
 *   (ONNX stores 1 − momentum) and a counter of its own (num_batches_tracked, 0 until it trains);
 * - every other float initializer whose name is a module path (`layer1.0.conv1.weight`) becomes a
 *   Parameter of a nested Scope module at that path, so stateDict() keys equal the PyTorch model's;
 * - initializers whose names are not module paths (`onnx::Conv_123`, `/Constant_output_0`) and integer
 *   initializers stay constants of the graph: they are not state in PyTorch either, and they fold.
 * The graph is planned once for the declared input shapes here, so an unsupported op, a bad attribute
 * or shapes that do not fit are refused at load.
 */
import { readOnnxFile } from '../io/onnxFile.js';
import { readOnnx, type OnnxGraph, type OnnxModel, type OnnxNode, type OnnxReadOptions } from '../io/onnx.js';
import { OnnxError, DEFAULT_ONNX_BUDGETS } from '../io/onnxError.js';
import { Tensor } from '../tensor/tensor.js';
import { isFloating } from '../tensor/dtype.js';
import { Parameter } from '../nn/parameter.js';
import { BatchNorm1d, BatchNorm2d, BatchNorm3d, type BatchNorm } from '../nn/batchnorm.js';
import type { Module } from '../nn/module.js';
import { attrFloat, attrInt, nodeError } from './attrs.js';
import { buildPlan } from './plan.js';
import { GraphModule, Scope, type GraphBatchNorm } from './graphModule.js';

export interface OnnxLoadOptions extends OnnxReadOptions {
  /** Input shapes to check the graph against at load (default: the declared ones, symbolic dims as 1). */
  inputShapes?: Record<string, number[]>;
}

/**
 * A state-dict key: dot-separated module names. PyTorch allows almost any text in a name
 * (RegNet has `block1-0`); torch.onnx.export's own constants contain ':' or '/' (`onnx::Conv_12`,
 * `/conv1/Constant_output_0`), which no module name does.
 */
const MODULE_PATH = /^[^./:\s]+(\.[^./:\s]+)*$/;

export function isModulePath(name: string): boolean {
  return MODULE_PATH.test(name);
}

/** The shortest decimal that rounds to the same float32 (ONNX attributes are float32: 1e-5, not 9.99999975e-06). */
export function shortestFloat32(v: number, from = v): number {
  for (let p = 1; p <= 9; p++) {
    const c = Number(v.toPrecision(p));
    if (Math.fround(c) === Math.fround(from)) return c;
  }
  return v;
}

/** PyTorch's momentum from ONNX's (1 − m), as the short decimal a person wrote. */
export function pytorchMomentum(onnxMomentum: number): number {
  const m = Math.fround(onnxMomentum);
  for (let p = 1; p <= 9; p++) {
    const c = Number((1 - onnxMomentum).toPrecision(p));
    if (Math.fround(1 - c) === m) return c;
  }
  return 1 - onnxMomentum;
}

interface BnSpec {
  prefix: string;
  node: OnnxNode;
  affine: boolean;
  /** Initializer names the module's state takes (weight, bias, running_mean, running_var). */
  names: string[];
}

function bnSpec(node: OnnxNode, inits: ReadonlyMap<string, Tensor>, k: number): BnSpec {
  const [, w, b, mean, v] = node.inputs;
  for (const n of [w, b, mean, v]) {
    if (!n || !inits.has(n))
      throw nodeError(node, `scale, bias, mean and var must be initializers (input '${n ?? ''}' is not)`);
  }
  // Named by the running statistics' prefix; a file without state-dict names gets batchnorm<k>.
  const m = /^(.*)\.running_mean$/.exec(mean!);
  const prefix = m && v === `${m[1]}.running_var` && isModulePath(m[1]!) ? m[1]! : `batchnorm${k}`;
  // affine=False exports carry constant ones/zeros that are not state; anything else is the layer's weight and bias.
  const identity = allEqual(inits.get(w!)!, 1) && allEqual(inits.get(b!)!, 0);
  const affine = isModulePath(w!) || isModulePath(b!) || !identity;
  return { prefix, node, affine, names: affine ? [w!, b!, mean!, v!] : [mean!, v!] };
}

function allEqual(t: Tensor, v: number): boolean {
  return t.toArray().every((x) => x === v);
}

function exportedTraining(node: OnnxNode, opset: number): boolean {
  if (opset >= 14) return attrInt(node, 'training_mode', 0) === 1;
  return node.outputs.filter((o) => o).length > 1;
}

export function graphModuleFromOnnx(model: OnnxModel, opts: OnnxLoadOptions = {}): GraphModule {
  const g: OnnxGraph = model.graph;
  const budgets = { ...DEFAULT_ONNX_BUDGETS, ...opts.budgets };
  const inits = g.initializers;
  // Which initializers are module state (bound) and which stay constants.
  const bnNodes = g.nodes.filter((n) => n.opType === 'BatchNormalization');
  const specs = new Map<OnnxNode, BnSpec>();
  const bnState = new Set<string>();
  bnNodes.forEach((n, k) => {
    const s = bnSpec(n, inits, k);
    specs.set(n, s);
    s.names.forEach((x) => bnState.add(x));
  });
  const isBound = (name: string, t: Tensor) => bnState.has(name) || (isFloating(t.dtype) && isModulePath(name));
  const constInits = new Map<string, Tensor>();
  const provisional = new Map<string, Tensor>();
  for (const [name, t] of inits) {
    if (t.dtype === 'float16' || t.dtype === 'bfloat16') {
      throw new OnnxError(
        `initializer '${name}' is ${t.dtype}: the engine computes in float32/float64 (export the model in float32)`,
      );
    }
    (isBound(name, t) ? provisional : constInits).set(name, t);
  }

  // Plan once for the declared shapes: refuses what cannot run and gives each BatchNorm's input rank.
  const shapes = new Map<string, number[]>(
    g.inputs.map((v) => [v.name, opts.inputShapes?.[v.name] ?? v.shape.map((d) => (typeof d === 'number' ? d : 1))]),
  );
  const plan = buildPlan(g, shapes, { bound: provisional, constInits, maxFoldNumel: budgets.maxTensorNumel });

  const root = new GraphModuleBuilder();
  const bound = new Map<string, Tensor>();
  const modules = new Map<string, GraphBatchNorm>();
  const batchNorms = new Map<OnnxNode, GraphBatchNorm>();
  // Initializer name → the BatchNorm spec and the node input position (1 weight … 4 running_var) it fills.
  const bnOfName = new Map<string, [BnSpec, number]>();
  for (const s of specs.values()) {
    s.node.inputs.forEach((n, i) => i >= 1 && s.names.includes(n) && !bnOfName.has(n) && bnOfName.set(n, [s, i]));
  }
  for (const [name, t] of provisional) {
    const hit = bnOfName.get(name);
    if (hit) {
      const [spec, role] = hit;
      if (!modules.has(spec.prefix))
        modules.set(spec.prefix, makeBatchNorm(spec, plan.shapes, inits, model.opsetVersion, root));
      const bn = modules.get(spec.prefix)!.module;
      bound.set(name, [bn.weight, bn.bias, bn.runningMean, bn.runningVar][role - 1]!);
      continue;
    }
    const p = new Parameter(t);
    root.register(name, p);
    bound.set(name, p);
  }
  for (const [node, spec] of specs)
    batchNorms.set(node, {
      ...modules.get(spec.prefix)!,
      exportedTraining: exportedTraining(node, model.opsetVersion),
    });
  const gm = new GraphModule({
    graph: g,
    opsetVersion: model.opsetVersion,
    bound,
    constInits,
    batchNorms,
    maxFoldNumel: budgets.maxTensorNumel,
  });
  root.moveInto(gm);
  return gm;
}

function makeBatchNorm(
  spec: BnSpec,
  shapes: ReadonlyMap<string, number[]>,
  inits: ReadonlyMap<string, Tensor>,
  opset: number,
  root: GraphModuleBuilder,
): GraphBatchNorm {
  const node = spec.node;
  const rank = shapes.get(node.inputs[0]!)!.length;
  const mean = inits.get(node.inputs[3]!)!;
  const Cls = rank <= 3 ? BatchNorm1d : rank === 4 ? BatchNorm2d : rank === 5 ? BatchNorm3d : null;
  if (!Cls) throw nodeError(node, `input rank ${rank} has no BatchNorm module (2 to 5 dims)`);
  if (!isFloating(mean.dtype) || (mean.dtype !== 'float32' && mean.dtype !== 'float64')) {
    throw nodeError(node, `running statistics of type ${mean.dtype} are not supported`);
  }
  const bn: BatchNorm = new Cls(mean.numel(), {
    eps: shortestFloat32(attrFloat(node, 'epsilon', 1e-5)),
    momentum: pytorchMomentum(attrFloat(node, 'momentum', 0.9)),
    affine: spec.affine,
    dtype: mean.dtype,
  });
  const [, w, b, m, v] = node.inputs;
  if (spec.affine) {
    bn.weight!.copy_(inits.get(w!)!);
    bn.bias!.copy_(inits.get(b!)!);
  }
  bn.runningMean!.copy_(inits.get(m!)!);
  bn.runningVar!.copy_(inits.get(v!)!);
  root.register(spec.prefix, bn);
  return { name: spec.prefix, module: bn, exportedTraining: exportedTraining(node, opset) };
}

/** Builds the nested Scope tree in registration order, then hands its children to the GraphModule. */
class GraphModuleBuilder {
  private readonly top = new Scope();
  private readonly paths = new Map<string, Module>([['', this.top]]);

  register(path: string, item: Parameter | Module): void {
    const parts = path.split('.');
    const leaf = parts.pop()!;
    let prefix = '';
    let parent: Module = this.top;
    for (const part of parts) {
      prefix = prefix ? `${prefix}.${part}` : part;
      let m = this.paths.get(prefix);
      if (!m) {
        if (parent.getParameter(part))
          throw new OnnxError(`initializer names conflict: '${prefix}' is both a tensor and a module`);
        m = new Scope();
        parent.addModule(part, m);
        this.paths.set(prefix, m);
      } else if (!(m instanceof Scope)) {
        throw new OnnxError(`initializer '${path}' lies inside BatchNorm '${prefix}', which does not have it`);
      }
      parent = m;
    }
    if (this.paths.has(path) || parent.getParameter(leaf))
      throw new OnnxError(`initializer names conflict at '${path}'`);
    if (item instanceof Parameter) parent.registerParameter(leaf, item);
    else {
      parent.addModule(leaf, item);
      this.paths.set(path, item);
    }
  }

  moveInto(gm: GraphModule): void {
    for (const [name, p] of this.top.namedParameters('', false)) gm.registerParameter(name, p);
    for (const [name, m] of this.top.namedChildren()) gm.addModule(name, m);
  }
}

/** Reads and imports an ONNX model held in memory (external data needs loadOnnxFile). */
export function loadOnnx(bytes: Uint8Array, opts: OnnxLoadOptions = {}): GraphModule {
  return graphModuleFromOnnx(readOnnx(bytes, opts), opts);
}

/** Reads and imports an .onnx file; external data is resolved next to it (never outside its folder). */
export function loadOnnxFile(path: string, opts: OnnxLoadOptions = {}): GraphModule {
  return graphModuleFromOnnx(readOnnxFile(path, opts), opts);
}
