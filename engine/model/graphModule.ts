/**
 * GraphModule: a network as a DAG of ONNX nodes over engine modules. Parameters and BatchNorm layers
 * are registered as nested child modules at their PyTorch state-dict paths, so `stateDict()`,
 * `loadStateDict()`, `parameters()` and the inspectors see the PyTorch model's keys. `forwardGraph` is
 * the one executor: it runs the plan for the inputs' shapes (built and checked once per shape set, see
 * plan.ts) in one pass, records autograd through the functional ops, and drops each intermediate value
 * after its last reader so peak memory follows the graph's width, not its length.
 */
import { Module } from '../nn/module.js';
import { BatchNorm } from '../nn/batchnorm.js';
import { Tensor } from '../tensor/tensor.js';
import type { DType } from '../tensor/dtype.js';
import { RuntimeError, ValueError, EngineError } from '../errors.js';
import type { OnnxGraph, OnnxNode, ValueInfo } from '../io/onnx.js';
import { buildPlan, type ExecPlan } from './plan.js';
import { isModuleNode, runOp, type OpContext } from './ops.js';
import { nodeLabel } from './attrs.js';
import { OnnxError } from '../io/onnxError.js';

export type BatchNormMode = 'train' | 'eval' | 'as-exported';

export interface GraphBatchNorm {
  /** State-dict prefix, e.g. 'layer1.0.bn1'. */
  name: string;
  module: BatchNorm;
  /** What the node's training_mode says (opset 13: whether it has the training outputs). */
  exportedTraining: boolean;
}

export interface GraphModuleParts {
  graph: OnnxGraph;
  opsetVersion: number;
  /** Initializer name → the parameter or buffer registered for it. */
  bound: Map<string, Tensor>;
  /** Initializers that are constants (not module state). */
  constInits: Map<string, Tensor>;
  batchNorms: Map<OnnxNode, GraphBatchNorm>;
  /** Module nodes (stacks) → the module each calls. */
  modules?: Map<OnnxNode, Module>;
  maxFoldNumel: number;
}

export interface ForwardOptions {
  /**
   * Called after each node runs with its outputs (before values are freed): per-layer views such as
   * train-vs-eval divergence read activations here. Keeping a tensor keeps its memory.
   */
  observe?: (node: OnnxNode, outputs: readonly (Tensor | null)[]) => void;
}

/** A child module that only holds parameters and children at a state-dict path (no forward of its own). */
export class Scope extends Module {
  /** Its own tensors with their shapes, e.g. `weight=[64, 3, 7, 7], bias=[64]` (the layer tree shows them). */
  override extraRepr(): string {
    return [...this.namedParameters('', false)].map(([n, p]) => `${n}=[${p.shape.join(', ')}]`).join(', ');
  }

  forward(): Tensor {
    throw new RuntimeError('a scope of a GraphModule has no forward of its own; run the GraphModule');
  }
}

/** How many plans (input shape sets) a GraphModule keeps. */
const PLAN_CACHE = 8;

export class GraphModule extends Module {
  readonly graphInputs: ValueInfo[];
  readonly graphOutputs: ValueInfo[];
  readonly opsetVersion: number;
  private readonly graph: OnnxGraph;
  private readonly bound: Map<string, Tensor>;
  private readonly constInits: Map<string, Tensor>;
  private readonly bnByNode: Map<OnnxNode, GraphBatchNorm>;
  private readonly moduleByNode: Map<OnnxNode, Module>;
  private readonly maxFoldNumel: number;
  private readonly plans = new Map<string, ExecPlan>();
  /** null: each Dropout node as its training_mode input says. */
  private dropoutForced: boolean | null = null;
  /** Set by to(float32|float64): the dtype Constant nodes fold to. */
  private castConstants: 'float32' | 'float64' | undefined = undefined;

  constructor(parts: GraphModuleParts) {
    super();
    this.graph = parts.graph;
    this.graphInputs = parts.graph.inputs;
    this.graphOutputs = parts.graph.outputs;
    this.opsetVersion = parts.opsetVersion;
    this.bound = parts.bound;
    this.constInits = parts.constInits;
    this.bnByNode = parts.batchNorms;
    this.moduleByNode = parts.modules ?? new Map();
    for (const n of parts.graph.nodes) {
      // A file cannot name engine modules: Module nodes exist only where stackGraph made them.
      if (isModuleNode(n) && !this.moduleByNode.has(n)) {
        throw new OnnxError(`${nodeLabel(n)}: domain '${n.domain}' is reserved for the engine's own module nodes`);
      }
    }
    this.maxFoldNumel = parts.maxFoldNumel;
    this.setBatchNormMode('as-exported');
  }

  override getName(): string {
    return 'GraphModule';
  }

  /** The graph's nodes in file order (read-only: for layer trees and summaries). */
  get nodes(): readonly OnnxNode[] {
    return this.graph.nodes;
  }

  /**
   * The state-dict path of the layer a node belongs to: a BatchNorm's prefix, the module path of the
   * parameters a Conv/Gemm/… reads ('layer1.0.conv1'), a stack layer's name; null for parameter-free
   * nodes (Relu, Add, …). The window's layer tree groups nodes by it.
   */
  layerOf(node: OnnxNode): string | null {
    const bn = this.bnByNode.get(node);
    if (bn) return bn.name;
    if (this.moduleByNode.has(node)) return node.name;
    for (const name of node.inputs) {
      if (!this.bound.has(name)) continue;
      const dot = name.lastIndexOf('.');
      return dot > 0 ? name.slice(0, dot) : '';
    }
    return null;
  }

  /** Every BatchNorm layer once, in state-dict order, named by its state-dict prefix. */
  batchNormLayers(): Array<{ name: string; module: BatchNorm }> {
    const out: Array<{ name: string; module: BatchNorm }> = [];
    // namedModules visits each module once, in registration (state-dict) order.
    for (const [name, m] of this.namedModules()) if (m instanceof BatchNorm) out.push({ name, module: m });
    return out;
  }

  /** train/eval for every BatchNorm, or each as its node's training_mode says. */
  setBatchNormMode(mode: BatchNormMode): void {
    if (mode === 'as-exported') {
      for (const bn of this.bnByNode.values()) bn.module.training = bn.exportedTraining;
      return; // a stack's BatchNorm layers have no exported mode: they keep theirs
    }
    for (const { module } of this.batchNormLayers()) module.training = mode === 'train';
  }

  /** Dropout on (drops with the node's ratio) or off (identity) for every Dropout node. */
  setDropout(enabled: boolean): void {
    this.dropoutForced = enabled;
  }

  /** Casts parameters, buffers and the float constants of the graph (model.double() computes in float64). */
  override to(dtype: DType): this {
    super.to(dtype);
    if (dtype === 'float32' || dtype === 'float64') {
      for (const [k, t] of this.constInits)
        if (t.dtype === 'float32' || t.dtype === 'float64') this.constInits.set(k, t.to(dtype));
      this.castConstants = dtype;
      this.plans.clear();
    }
    return this;
  }

  /** PyTorch's model.train(mode): BatchNorm and Dropout follow `mode`. */
  override train(mode = true): this {
    super.train(mode);
    this.dropoutForced = mode;
    return this;
  }

  /** How many nodes of each op type the graph has. */
  opCounts(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const n of this.graph.nodes) out[n.opType] = (out[n.opType] ?? 0) + 1;
    return out;
  }

  /** Static shapes of every value for the given input shapes (default: the declared ones). */
  valueShapes(inputShapes?: ReadonlyMap<string, readonly number[]>): ReadonlyMap<string, number[]> {
    return this.planFor(inputShapes ?? this.declaredShapes()).shapes;
  }

  /** The declared input shapes, symbolic dims taken as 1. */
  declaredShapes(): Map<string, number[]> {
    return new Map(this.graphInputs.map((v) => [v.name, v.shape.map((d) => (typeof d === 'number' ? d : 1))]));
  }

  forward(input: Tensor): Tensor {
    return this.forwardGraph([input])[0]!;
  }

  /** Runs the graph: one tensor per graph output, in order. */
  forwardGraph(inputs: Tensor[] | Map<string, Tensor>, opts: ForwardOptions = {}): Tensor[] {
    const feed = this.feed(inputs);
    const plan = this.planFor(new Map([...feed].map(([k, t]) => [k, t.shape])));
    const env = new Map<string, Tensor>(feed);
    const ctx: OpContext = {
      batchNorm: (node) => this.bnByNode.get(node)!.module,
      module: (node) => this.moduleByNode.get(node)!,
      dropoutTraining: (exported) => this.dropoutForced ?? exported,
      shapeOf: (name) => plan.shapes.get(name)!,
    };
    const lookup = (name: string): Tensor => {
      const t = env.get(name) ?? plan.consts.get(name) ?? this.bound.get(name);
      if (!t) throw new RuntimeError(`value '${name}' is not available (freed or never computed)`);
      return t;
    };
    plan.steps.forEach((step, i) => {
      const ins = step.inputs.map((n) => (n === null ? null : lookup(n)));
      let outs: (Tensor | null)[];
      try {
        outs = runOp(step.node, ins, ctx);
      } catch (e) {
        if (e instanceof EngineError && !e.message.startsWith('node ')) {
          const wrapped = new (e.constructor as new (m: string) => EngineError)(
            `${nodeLabel(step.node)}: ${e.message}`,
          );
          throw Object.assign(wrapped, { cause: e });
        }
        throw e;
      }
      step.node.outputs.forEach((o, k) => {
        const t = outs[k];
        if (o && t) env.set(o, t);
      });
      opts.observe?.(step.node, outs);
      for (const f of plan.freeAfter[i]!) env.delete(f);
    });
    return this.graphOutputs.map((o) => lookup(o.name));
  }

  private feed(inputs: Tensor[] | Map<string, Tensor>): Map<string, Tensor> {
    const names = this.graphInputs.map((v) => v.name);
    const feed = new Map<string, Tensor>();
    if (Array.isArray(inputs)) {
      if (inputs.length !== names.length) {
        throw new ValueError(`the model takes ${names.length} input(s) (${names.join(', ')}), got ${inputs.length}`);
      }
      names.forEach((n, i) => feed.set(n, inputs[i]!));
    } else {
      for (const k of inputs.keys())
        if (!names.includes(k))
          throw new ValueError(`the model has no input named '${k}' (inputs: ${names.join(', ')})`);
      for (const n of names) {
        const t = inputs.get(n);
        if (!t) throw new ValueError(`input '${n}' is missing`);
        feed.set(n, t);
      }
    }
    for (const v of this.graphInputs) {
      const t = feed.get(v.name)!;
      if (t.dtype !== 'float32' && t.dtype !== 'float64') {
        throw new ValueError(`input '${v.name}' must be float32 or float64, got ${t.dtype}`);
      }
      if (v.shape.length > 0 && t.dim() !== v.shape.length) {
        throw new ValueError(
          `input '${v.name}' must have ${v.shape.length} dimensions [${v.shape.join(', ')}], got [${t.shape.join(', ')}]`,
        );
      }
    }
    return feed;
  }

  /** The plan for these input shapes (cached; building one checks and folds the whole graph). */
  private planFor(shapes: ReadonlyMap<string, readonly number[]>): ExecPlan {
    const key = [...shapes].map(([k, s]) => `${k}:${s.join('x')}`).join(';');
    let plan = this.plans.get(key);
    if (!plan) {
      try {
        plan = buildPlan(this.graph, shapes, {
          bound: this.bound,
          constInits: this.constInits,
          maxFoldNumel: this.maxFoldNumel,
          floatDtype: this.castConstants,
        });
      } catch (e) {
        // torch.onnx.export traces x.size() into constants: such a graph runs only at its export shapes.
        const declared = this.graphInputs.map((v) => `${v.name} [${v.shape.join(', ')}]`).join(', ');
        if (e instanceof OnnxError)
          throw new OnnxError(`${e.message} (for input shapes ${key}; the graph was exported for ${declared})`);
        throw e;
      }
      if (this.plans.size >= PLAN_CACHE) this.plans.delete(this.plans.keys().next().value!);
      this.plans.set(key, plan);
    }
    return plan;
  }
}
