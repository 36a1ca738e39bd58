/**
 * A stack (engine/nn/stackSpec.ts buildStack → Sequential) as a linear GraphModule: one Module node per
 * layer, the layers registered under the Sequential's own names, so state-dict keys, parameters,
 * BatchNorm layers and forward hooks are the stack's, and the one graph executor runs both stacks and
 * imported networks.
 */
import type { OnnxNode } from '../io/onnx.js';
import { DEFAULT_ONNX_BUDGETS } from '../io/onnxError.js';
import type { Sequential } from '../nn/layers/simple.js';
import type { Module } from '../nn/module.js';
import { GraphModule } from './graphModule.js';
import { MODULE_DOMAIN } from './ops.js';

/** `inputShape` is the declared input (checked for rank when given; symbolic dims as strings). */
export function stackGraph(stack: Sequential, inputShape: (number | string)[] = []): GraphModule {
  const nodes: OnnxNode[] = [];
  const modules = new Map<OnnxNode, Module>();
  let prev = 'input';
  for (const [name, m] of stack.namedChildren()) {
    const out = `${name}:output`;
    const node: OnnxNode = {
      name,
      opType: 'Module',
      domain: MODULE_DOMAIN,
      inputs: [prev],
      outputs: [out],
      attrs: new Map(),
    };
    nodes.push(node);
    modules.set(node, m);
    prev = out;
  }
  const gm = new GraphModule({
    graph: {
      name: 'stack',
      nodes,
      initializers: new Map(),
      inputs: [{ name: 'input', shape: inputShape, dtype: 'float32' }],
      outputs: [{ name: prev, shape: [], dtype: 'float32' }],
    },
    opsetVersion: 17,
    bound: new Map(),
    constInits: new Map(),
    batchNorms: new Map(),
    modules,
    maxFoldNumel: DEFAULT_ONNX_BUDGETS.maxTensorNumel,
  });
  for (const [name, m] of stack.namedChildren()) gm.addModule(name, m);
  gm.training = stack.training;
  return gm;
}
