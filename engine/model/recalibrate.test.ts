/**
 * recalibrate and trainSteps on a small exported network (engine/model/fixtures/tiny_resnet.onnx, made by
 * torch.onnx.export): what they leave behind (counters, momentum, modes), that a cancel or a failure puts
 * everything back, and the checks on their arguments. PyTorch parity of the numbers is in
 * models.parity.test.ts.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { randn } from '../tensor/creation.js';
import { manualSeed } from '../tensor/random.js';
import { Tensor, noGrad } from '../tensor/tensor.js';
import { loadOnnx } from './importOnnx.js';
import { recalibrate } from './recalibrate.js';
import { trainSteps } from './train.js';
import { batchNormStats, modelSummary } from './summary.js';

const ONNX = readFileSync(new URL('./fixtures/tiny_resnet.onnx', import.meta.url));

function model() {
  return loadOnnx(ONNX);
}

function input(n: number) {
  manualSeed(7);
  const [c, h, w] = model().graphInputs[0]!.shape.slice(1) as number[];
  return randn([n, c!, h!, w!]);
}

function state(m: ReturnType<typeof model>): string {
  return JSON.stringify([...m.stateDict()].map(([k, t]) => [k, t.toArray()]));
}

describe('recalibrate', () => {
  it('gives the cumulative average over the batches, whatever the statistics were before', () => {
    const x = input(6);
    const a = model();
    const b = model();
    // Spoil b's statistics first: recalibration must reset them.
    b.setBatchNormMode('train');
    noGrad(() => b.forwardGraph([input(4)]));
    const momenta = a.batchNormLayers().map((l) => l.module.momentum);
    const r = recalibrate(a, x, { batchSize: 4 });
    recalibrate(b, x, { batchSize: 4 });
    expect(r).toMatchObject({ samples: 6, batches: 2 });
    expect(r.layers).toEqual(a.batchNormLayers().map((l) => l.name));
    expect(batchNormStats(b)).toEqual(batchNormStats(a));
    expect(batchNormStats(a).every((s) => s.numBatchesTracked === 2)).toBe(true);
    expect(a.batchNormLayers().map((l) => l.module.momentum)).toEqual(momenta);
    expect(a.batchNormLayers().every((l) => !l.module.training)).toBe(true);
  });

  it('the running mean is the mean of the batch means (momentum None)', () => {
    const x = input(6);
    const m = model();
    recalibrate(m, x, { batchSize: 3 });
    const first = m.batchNormLayers()[0]!;
    // The first BatchNorm sees the output of the first conv; recompute its batch means directly.
    const single = model();
    const means: number[][] = [];
    for (const [s, e] of [
      [0, 3],
      [3, 6],
    ] as const) {
      recalibrate(single, new Tensor(x.hostView().slice(s * 192, e * 192) as Float32Array, [e - s, 3, 8, 8]), {
        batchSize: 3,
      });
      means.push(single.batchNormLayers()[0]!.module.runningMean!.toArray());
    }
    const got = first.module.runningMean!.toArray();
    got.forEach((v, i) => expect(v).toBeCloseTo((means[0]![i]! + means[1]![i]!) / 2, 6));
  });

  it('a cancel between batches puts statistics, counters, momentum and modes back', () => {
    const m = model();
    m.setBatchNormMode('train');
    const before = state(m);
    const modes = m.batchNormLayers().map((l) => l.module.training);
    const signal = { aborted: false, reason: new Error('stop here') };
    expect(() =>
      recalibrate(m, input(8), {
        batchSize: 2,
        onProgress: (done) => {
          if (done === 2) signal.aborted = true;
        },
        signal,
      }),
    ).toThrow('stop here');
    expect(state(m)).toBe(before);
    expect(m.batchNormLayers().map((l) => l.module.training)).toEqual(modes);
    expect(m.batchNormLayers().map((l) => l.module.momentum)).toEqual(
      model()
        .batchNormLayers()
        .map((l) => l.module.momentum),
    );
  });

  it('a failing batch puts everything back and says why', () => {
    const m = model();
    const before = state(m);
    manualSeed(1);
    expect(() => recalibrate(m, randn([4, 5, 8, 8]), { batchSize: 2 })).toThrow(/channel|5/);
    expect(state(m)).toBe(before);
  });

  it('refuses bad batch sizes (PyTorch DataLoader text), empty inputs, and models without BatchNorm stats', () => {
    expect(() => recalibrate(model(), input(4), { batchSize: 0 })).toThrow(
      'batch_size should be a positive integer value, but got batch_size=0',
    );
    expect(() => recalibrate(model(), input(4), { batchSize: 1.5 })).toThrow(/batch_size=1.5/);
    expect(() => recalibrate(model(), new Tensor(new Float32Array(0), [0, 3, 8, 8]), { batchSize: 2 })).toThrow(
      /at least one sample/,
    );
  });
});

describe('trainSteps', () => {
  it('runs SGD steps and reports one loss per step; batches wrap around', () => {
    const m = model();
    const classes = m.graphOutputs[0]!.shape[1] as number;
    const y = new Tensor(BigInt64Array.from([0n, 1n, 2n, 1n, 0n].map((v) => v % BigInt(classes))), [5], 'int64');
    const r = trainSteps(m, input(5), y, { loss: 'cross-entropy', lr: 0.05, steps: 4, batchSize: 2 });
    expect(r.losses).toHaveLength(4);
    expect(r.batchSize).toBe(2);
    expect(r.losses.every(Number.isFinite)).toBe(true);
    // Each step counted one batch in every BatchNorm.
    expect(batchNormStats(m).every((s) => s.numBatchesTracked === 4)).toBe(true);
  });

  it('a cancel puts every parameter and buffer back as before step 1', () => {
    const m = model();
    const before = state(m);
    const signal = { aborted: false };
    const classes = m.graphOutputs[0]!.shape[1] as number;
    const y = new Tensor(new Float32Array(4 * classes).fill(0.5), [4, classes], 'float32');
    expect(() =>
      trainSteps(m, input(4), y, {
        loss: 'mse',
        lr: 0.1,
        steps: 3,
        onProgress: (s) => {
          if (s === 2) signal.aborted = true;
        },
        signal,
      }),
    ).toThrow('training cancelled');
    expect(state(m)).toBe(before);
  });

  it('refuses bad arguments before changing anything', () => {
    const m = model();
    const y = new Tensor(BigInt64Array.from([0n, 1n]), [2], 'int64');
    expect(() => trainSteps(m, input(4), y, { loss: 'cross-entropy', lr: 0.1, steps: 1 })).toThrow(
      'X has 4 samples but Y has 2 along dimension 0',
    );
    expect(() => trainSteps(m, input(2), y, { loss: 'cross-entropy', lr: 0.1, steps: 0 })).toThrow(/steps=0/);
    expect(() => trainSteps(m, input(2), y, { loss: 'cross-entropy', lr: -1, steps: 1 })).toThrow(
      'Invalid learning rate: -1',
    );
    expect(() => trainSteps(m, input(2), y, { loss: 'hinge' as 'mse', lr: 0.1, steps: 1 })).toThrow(
      /unknown loss 'hinge'/,
    );
  });
});

describe('modelSummary', () => {
  it("reports the node's training_mode without changing the layers' current modes", () => {
    const fresh = model(); // a loaded model starts as exported
    const exported = fresh.batchNormLayers().map((l) => l.module.training);
    const m = model();
    m.setBatchNormMode('eval');
    const s = modelSummary(m);
    expect(s.batchNorm.map((b) => b.trainingMode)).toEqual(exported);
    expect(s.batchNorm.map((b) => b.momentum)).toEqual(fresh.batchNormLayers().map((l) => l.module.momentum));
    expect(m.batchNormLayers().every((l) => !l.module.training)).toBe(true);
    expect(s.parameters).toBe(m.parameters().reduce((n, p) => n + p.numel(), 0));
  });
});
