import { describe, expect, it } from 'vitest';
import { buildStack } from '../nn/stackSpec.js';
import { manualSeed } from '../tensor/random.js';
import { randn } from '../tensor/creation.js';
import { sum } from '../tensor/ops.js';
import { stackGraph } from './stackGraph.js';
import { loadOnnx } from './importOnnx.js';
import { buildOnnx } from '../io/onnxBuild.js';
import { OnnxError } from '../io/onnxError.js';

const spec = {
  layers: [
    { type: 'Conv2d', inChannels: 3, outChannels: 4, kernelSize: 3, padding: 1 },
    { type: 'BatchNorm2d', numFeatures: 4 },
    { type: 'ReLU' },
    { type: 'Flatten' },
    {
      type: 'Sequential',
      layers: [
        { type: 'Linear', inFeatures: 64, outFeatures: 5 },
        { type: 'BatchNorm1d', numFeatures: 5, momentum: null },
      ],
    },
  ],
};

describe('stackGraph', () => {
  it('runs a stack through the graph executor exactly as the Sequential runs it', () => {
    manualSeed(3);
    const a = buildStack(spec);
    manualSeed(3);
    const b = buildStack(spec);
    const g = stackGraph(b, ['N', 3, 4, 4]);
    expect([...g.stateDict().keys()]).toEqual([...a.stateDict().keys()]);
    expect(g.batchNormLayers().map((l) => l.name)).toEqual(['1', '4.1']);
    const x = randn([2, 3, 4, 4]);
    const ya = a.forward(x);
    const yb = g.forwardGraph([x])[0]!;
    expect(yb.toArray()).toEqual(ya.toArray());
    sum(ya).backward();
    sum(yb).backward();
    const ga = [...a.namedParameters()].map(([k, p]) => [k, p.grad!.toArray()]);
    const gb = [...g.namedParameters()].map(([k, p]) => [k, p.grad!.toArray()]);
    expect(gb).toEqual(ga);
    expect([...g.stateDict()].map(([k, t]) => [k, t.toArray()])).toEqual(
      [...a.stateDict()].map(([k, t]) => [k, t.toArray()]),
    );
    g.setBatchNormMode('eval');
    expect(g.batchNormLayers().every((l) => !l.module.training)).toBe(true);
    expect(() => g.forwardGraph([randn([2, 3, 4])])).toThrow(/must have 4 dimensions/);
  });

  it("a file cannot use the engine's module nodes", () => {
    const bytes = buildOnnx({
      inputs: [{ name: 'x', shape: [2] }],
      outputs: [{ name: 'y' }],
      nodes: [{ op: 'Module', domain: 'normscope', name: 'evil', inputs: ['x'], outputs: ['y'] }],
    });
    expect(() => loadOnnx(bytes)).toThrow(OnnxError);
    expect(() => loadOnnx(bytes)).toThrow(/node 'evil' \(Module\): domain 'normscope' is reserved/);
  });
});
