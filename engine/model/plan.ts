/**
 * The execution plan of a graph for one set of input shapes: nodes in topological order, the constant
 * values folded at load (Constant nodes, Shape of a known shape, and Shape/Gather/Unsqueeze/Concat/
 * Reshape/Slice/… chains over constants), every value's static shape, and for each step the values
 * whose last consumer it is (the executor frees them there). Building it checks the whole graph, so a
 * graph that cannot run is refused here, naming the node, never mid-run.
 */
import type { OnnxGraph, OnnxNode } from '../io/onnx.js';
import { OnnxError } from '../io/onnxError.js';
import { Tensor } from '../tensor/tensor.js';
import { attrFloat, attrInt, attrInts, attrTensor, nodeError } from './attrs.js';
import { FOLDABLE, foldNode, makeTensor } from './constEval.js';
import { inferShapes, type ShapeInput } from './shapes.js';
import { checkNodeAttributes, isModuleNode, LOAD_ONLY, SUPPORTED_OPS } from './ops.js';

export interface PlanStep {
  node: OnnxNode;
  /** Value names ('' inputs: null). */
  inputs: (string | null)[];
}

export interface ExecPlan {
  steps: PlanStep[];
  /** Values known at load: Constant outputs, folded shape arithmetic, constant initializers. */
  consts: Map<string, Tensor>;
  /** Static shape of every value. */
  shapes: Map<string, number[]>;
  /** Per step: the runtime values no later step (or graph output) reads. */
  freeAfter: string[][];
}

export interface PlanSources {
  /** Initializers bound to module parameters and buffers (they change: never folded). */
  bound: ReadonlyMap<string, Tensor>;
  /** Initializers that are plain constants. */
  constInits: ReadonlyMap<string, Tensor>;
  /** Elements a folded value may have. */
  maxFoldNumel: number;
  /** The dtype float Constant nodes take (default: as the file has them). */
  floatDtype?: 'float32' | 'float64';
}

/** Nodes in an order where every input is produced before use (the file's order when it already is). */
export function topoOrder(graph: OnnxGraph, available: ReadonlySet<string>): OnnxNode[] {
  const producer = new Map<string, number>();
  graph.nodes.forEach((n, i) =>
    n.outputs.forEach((o) => {
      if (!o) return;
      if (producer.has(o) || available.has(o)) throw nodeError(n, `output '${o}' is already defined`);
      producer.set(o, i);
    }),
  );
  const state = new Uint8Array(graph.nodes.length); // 0 new, 1 on stack, 2 done
  const order: OnnxNode[] = [];
  for (let root = 0; root < graph.nodes.length; root++) {
    if (state[root]) continue;
    const stack: [number, number][] = [[root, 0]];
    state[root] = 1;
    while (stack.length) {
      const top = stack[stack.length - 1]!;
      const node = graph.nodes[top[0]]!;
      if (top[1] < node.inputs.length) {
        const name = node.inputs[top[1]++]!;
        if (!name || available.has(name)) continue;
        const p = producer.get(name);
        if (p === undefined)
          throw nodeError(node, `input '${name}' is not produced by any node, initializer or graph input`);
        if (state[p] === 1) throw nodeError(node, `the graph has a cycle through '${name}'`);
        if (state[p] === 0) {
          state[p] = 1;
          stack.push([p, 0]);
        }
      } else {
        state[top[0]] = 2;
        order.push(node);
        stack.pop();
      }
    }
  }
  return order;
}

/** A Constant node's value (value, value_float(s), value_int(s)). */
function constantValue(node: OnnxNode): Tensor {
  const t = attrTensor(node, 'value');
  if (t) return t;
  if (node.attrs.has('value_float')) return makeTensor('float32', [], [attrFloat(node, 'value_float', 0)]);
  if (node.attrs.has('value_int')) return makeTensor('int64', [], [attrInt(node, 'value_int', 0)]);
  const ints = attrInts(node, 'value_ints');
  if (ints) return makeTensor('int64', [ints.length], ints);
  const floats = node.attrs.get('value_floats');
  if (Array.isArray(floats)) return makeTensor('float32', [floats.length], floats as number[]);
  throw nodeError(node, 'has no supported value attribute (value, value_float(s), value_int(s))');
}

export function checkSupported(node: OnnxNode): void {
  if (isModuleNode(node)) return;
  if (node.domain && node.domain !== 'ai.onnx') {
    throw nodeError(node, `op '${node.opType}' of domain '${node.domain}' is not supported`);
  }
  if (!SUPPORTED_OPS.has(node.opType)) {
    throw nodeError(node, `op '${node.opType}' is not supported (supported: ${[...SUPPORTED_OPS].sort().join(', ')})`);
  }
  checkNodeAttributes(node);
}

export function buildPlan(
  graph: OnnxGraph,
  inputShapes: ReadonlyMap<string, readonly number[]>,
  src: PlanSources,
): ExecPlan {
  const shapes = new Map<string, number[]>();
  const consts = new Map<string, Tensor>(src.constInits);
  for (const [k, t] of src.constInits) shapes.set(k, [...t.shape]);
  for (const [k, t] of src.bound) shapes.set(k, [...t.shape]);
  for (const [k, s] of inputShapes) shapes.set(k, [...s]);
  for (const n of graph.nodes) checkSupported(n);
  const order = topoOrder(graph, new Set(shapes.keys()));
  const steps: PlanStep[] = [];
  // Values the executor does not compute (BatchNormalization's saved_mean/saved_var): refused if read.
  const unavailable = new Map<string, OnnxNode>();
  const produced = new Set<string>();
  for (const node of order) {
    for (const name of node.inputs) {
      const from = unavailable.get(name);
      if (from)
        throw nodeError(
          node,
          `reads '${name}', the saved mean/variance output of node '${from.name}', which is not supported`,
        );
    }
    if (isModuleNode(node)) {
      // A module's output shape is known when it runs (stacks check theirs with their own shape pass).
      node.outputs.forEach((o) => o && produced.add(o));
      steps.push({ node, inputs: node.inputs.map((n) => n || null) });
      continue;
    }
    const ins: (ShapeInput | null)[] = node.inputs.map((name) => {
      if (!name) return null;
      const shape = shapes.get(name);
      if (!shape) throw nodeError(node, `input '${name}' has no static shape (a module node made it)`);
      return { shape, value: consts.get(name) ?? null };
    });
    let folded: Tensor[] | null = null;
    if (node.opType === 'Constant') {
      const t = constantValue(node);
      // Float constants compute in the model's dtype (model.double() makes them float64 too).
      folded = [
        src.floatDtype && t.dtype !== src.floatDtype && (t.dtype === 'float32' || t.dtype === 'float64')
          ? t.to(src.floatDtype)
          : t,
      ];
    } else if (node.opType === 'Shape') {
      const [[len]] = inferShapes(node, ins) as [[number]];
      const r = ins[0]!.shape.length;
      const start = attrInt(node, 'start', 0);
      const s = Math.min(Math.max(start < 0 ? start + r : start, 0), r);
      folded = [makeTensor('int64', [len], ins[0]!.shape.slice(s, s + len))];
    } else if (FOLDABLE.has(node.opType) && ins.every((i) => i === null || i.value !== null)) {
      folded = foldNode(
        node,
        ins.map((i) => i?.value ?? null),
      );
    }
    if (folded) {
      folded.forEach((t, k) => {
        const o = node.outputs[k];
        if (!o) return;
        if (t.numel() > src.maxFoldNumel) {
          throw nodeError(
            node,
            `folded value has ${t.numel()} elements, over the maxTensorNumel budget (${src.maxFoldNumel})`,
          );
        }
        consts.set(o, t);
        shapes.set(o, [...t.shape]);
      });
      continue;
    }
    if (LOAD_ONLY.has(node.opType))
      throw nodeError(node, 'runs only on constants known at load, not on runtime values');
    const outShapes = inferShapes(node, ins);
    node.outputs.forEach((o, k) => {
      if (!o) return;
      const s = outShapes[k];
      if (!s) throw nodeError(node, `has no output ${k}`);
      shapes.set(o, s);
    });
    steps.push({ node, inputs: node.inputs.map((n) => n || null) });
    if (node.opType === 'BatchNormalization') node.outputs.slice(3).forEach((o) => o && unavailable.set(o, node));
  }
  for (const o of graph.outputs) {
    if (!shapes.has(o.name) && !produced.has(o.name)) {
      throw new OnnxError(`graph output '${o.name}' is not produced by any node`);
    }
    if (unavailable.has(o.name))
      throw new OnnxError(`graph output '${o.name}' is a saved mean/variance, which is not supported`);
  }
  return { steps, consts, shapes, freeAfter: lastUses(steps, consts, graph) };
}

/** For each step, the runtime values it is the last reader of (graph outputs are kept). */
function lastUses(steps: PlanStep[], consts: Map<string, Tensor>, graph: OnnxGraph): string[][] {
  const keep = new Set(graph.outputs.map((o) => o.name));
  const last = new Map<string, number>();
  steps.forEach((s, i) => s.inputs.forEach((n) => n && !consts.has(n) && last.set(n, i)));
  // Outputs nobody reads are dropped right after the step that made them.
  steps.forEach((s, i) => s.node.outputs.forEach((o) => o && !last.has(o) && last.set(o, i)));
  const free: string[][] = steps.map(() => []);
  for (const [name, i] of last) if (!keep.has(name)) free[i]!.push(name);
  return free;
}
