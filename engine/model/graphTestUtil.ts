/** Small ONNX graphs for tests: build, load and run them in a line (shared by the model tests). */
import { buildOnnx, type ModelSpec, type NodeSpec, type InitSpec } from '../io/onnxBuild.js';
import { loadOnnx } from './importOnnx.js';
import { tensor } from '../tensor/creation.js';
import type { Tensor } from '../tensor/tensor.js';

export const f32 = (shape: number[], data?: number[]) =>
  tensor(Float32Array.from(data ?? Array.from({ length: shape.reduce((p, d) => p * d, 1) }, (_, i) => i + 1)), {
    shape,
  });

export function model(
  inputs: [string, number[]][],
  nodes: NodeSpec[],
  opts: { initializers?: InitSpec[]; opset?: number; outputs?: string[] } = {},
): ModelSpec {
  return {
    opset: opts.opset ?? 13,
    inputs: inputs.map(([name, shape]) => ({ name, shape })),
    outputs: (opts.outputs ?? [nodes[nodes.length - 1]!.outputs[0]!]).map((name) => ({ name })),
    nodes,
    initializers: opts.initializers,
  };
}

export function run(spec: ModelSpec, ...xs: Tensor[]): Tensor[] {
  return loadOnnx(buildOnnx(spec)).forwardGraph(xs);
}

export function errorOf(fn: () => unknown): Error {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected an error');
}

export const i64 = (name: string, data: number[], dims = [data.length]): InitSpec => ({ name, dims, type: 7, data });
