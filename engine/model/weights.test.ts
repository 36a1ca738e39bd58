import { describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadOnnxFile } from './importOnnx.js';
import { applyWeights, WeightsError } from './weights.js';
import { loadCheckpoint } from '../io/checkpoint.js';
import { tensor } from '../tensor/creation.js';

const dir = path.join(__dirname, 'fixtures');
const ref = JSON.parse(fs.readFileSync(path.join(dir, 'tiny_resnet.json'), 'utf8')) as {
  input: { shape: number[]; data: number[] };
  checkpoint: { eval: number[]; runningVar: number[] };
};
const load = () => loadOnnxFile(path.join(dir, 'tiny_resnet.onnx'));

describe('applyWeights', () => {
  it("finds the state dict in a training dict, strips 'module.', takes the counters, and runs like torch", () => {
    const m = load();
    const report = applyWeights(m, loadCheckpoint(path.join(dir, 'tiny_resnet_ckpt.pt')));
    expect(report).toMatchObject({
      missingKeys: [],
      unexpectedKeys: [],
      shapeMismatch: [],
      strippedPrefix: 'module.',
      sourcePath: 'state_dict',
    });
    expect(report.applied).toBe(21);
    for (const { module } of m.batchNormLayers()) expect(module.numBatchesTracked!.item()).toBe(7);
    const bn1 = m.batchNormLayers()[0]!.module;
    bn1.runningVar!.toArray().forEach((v, i) => expect(v).toBeCloseTo(ref.checkpoint.runningVar[i]!, 6));
    m.eval();
    const [y] = m.forwardGraph([tensor(Float32Array.from(ref.input.data), { shape: ref.input.shape })]);
    y!.toArray().forEach((v, i) => expect(Math.abs(v - ref.checkpoint.eval[i]!)).toBeLessThan(1e-5));
  });

  it('a checkpoint that does not fit is reported and nothing is applied', () => {
    const m = load();
    const before = [...m.stateDict()].map(([k, t]) => [k, t.toArray()] as const);
    let err: WeightsError | null = null;
    try {
      applyWeights(m, loadCheckpoint(path.join(dir, 'tiny_resnet_bad.pt')));
    } catch (e) {
      err = e as WeightsError;
    }
    expect(err).toBeInstanceOf(WeightsError);
    expect(err!.report.shapeMismatch).toEqual([{ key: 'fc.weight', expected: [5, 64], got: [5, 63] }]);
    expect(err!.report.missingKeys).toEqual(['layer1.0.conv2.bias']);
    expect(err!.message).toContain('nothing was applied');
    expect(err!.message).toContain('fc.weight: model [5, 64], checkpoint [5, 63]');
    expect([...m.stateDict()].map(([k, t]) => [k, t.toArray()] as const)).toEqual(before);
  });

  it('non-strict allows missing keys but never a shape mismatch', () => {
    const m = load();
    expect(() => applyWeights(m, loadCheckpoint(path.join(dir, 'tiny_resnet_bad.pt')), { strict: false })).toThrow(
      /shape mismatch/,
    );
  });
});
