/**
 * Gradient checks against central finite differences in float64 (SPEC.md: "Check gradients against
 * finite differences in float64 as well as against PyTorch"): BatchNorm in train and eval for the
 * input, weight and bias (1d/2d/3d, affine or not, tracking or not), functional.batchNorm, Linear,
 * Conv2d with stride and padding, and a small Conv2d→BatchNorm2d→ReLU→Flatten→Linear stack under
 * mseLoss and crossEntropy. Runs on every available backend.
 *
 * Each check reduces the output to a scalar L = Σ y·G with a fixed random G (so ∂L/∂y = G exercises
 * the full backward), perturbs each checked element by ±h (h = 1e-6), and requires
 * |analytic − numeric| <= 1e-5·max(1, |numeric|). Large tensors are sampled (up to 24 elements each).
 */
import { describe, expect, it } from 'vitest';
import {
  BatchNorm1d,
  BatchNorm2d,
  BatchNorm3d,
  Conv2d,
  Flatten,
  Linear,
  ReLU,
  Sequential,
  crossEntropy,
  functional,
  mseLoss,
  mul,
  sum,
  tensor,
  type Module,
  type Tensor,
} from '../index.js';
import { TestRng } from './testing/random.js';
import { gradcheck } from './testing/gradcheck.js';
import { availableBackends, withBackend } from './testing/backends.js';

function randTensor(rng: TestRng, shape: number[], scale = 1, shift = 0, requiresGrad = true): Tensor {
  const n = shape.reduce((p, d) => p * d, 1);
  const data = Float64Array.from({ length: n }, () => rng.normal() * scale + shift);
  return tensor(data, { shape, requiresGrad });
}

/** Overwrites a float64 tensor's values in place with random ones. */
function randomize(rng: TestRng, t: Tensor, center: number, spread: number): void {
  const d = t.data as Float64Array;
  for (let i = 0; i < d.length; i++) d[i] = center + spread * rng.normal();
}

/** L = Σ module(x)·G. */
function weightedSum(m: Module, x: Tensor, g: Tensor): () => Tensor {
  return () => sum(mul(m.forward(x), g));
}

const BN = { BatchNorm1d, BatchNorm2d, BatchNorm3d };
const SHAPES: [keyof typeof BN, number[]][] = [
  ['BatchNorm1d', [5, 3]],
  ['BatchNorm1d', [3, 2, 4]],
  ['BatchNorm2d', [2, 3, 3, 2]],
  ['BatchNorm3d', [2, 2, 2, 2, 2]],
];

describe.each(availableBackends())('gradient checks in float64 on the %s backend', (backend) => {
  for (const [cls, shape] of SHAPES) {
    for (const mode of ['train', 'eval'] as const) {
      for (const affine of [true, false]) {
        for (const track of [true, false]) {
          it(`${cls} ${JSON.stringify(shape)} ${mode} affine=${affine} track=${track}`, () => {
            const rng = new TestRng(
              shape.length * 100 + (mode === 'train' ? 1 : 2) + (affine ? 10 : 0) + (track ? 20 : 0),
            );
            const c = shape[1]!;
            const bn = new BN[cls](c, { affine, trackRunningStats: track, momentum: 0.3, dtype: 'float64' });
            if (affine) {
              randomize(rng, bn.weight!, 1, 0.4);
              randomize(rng, bn.bias!, 0, 0.4);
            }
            if (track) {
              randomize(rng, bn.runningMean!, 0, 0.5);
              const rv = bn.runningVar!.data as Float64Array;
              for (let i = 0; i < rv.length; i++) rv[i] = 0.5 + rng.next();
            }
            if (mode === 'train') bn.train();
            else bn.eval();
            const x = randTensor(rng, shape, 1.5, 0.3);
            const g = randTensor(rng, shape, 1, 0, false);
            const leaves: Record<string, Tensor> = { x };
            if (affine) Object.assign(leaves, { weight: bn.weight!, bias: bn.bias! });
            const problems = withBackend(backend, () => gradcheck(weightedSum(bn, x, g), leaves, rng));
            expect(problems).toEqual([]);
          });
        }
      }
    }
  }

  it('functional.batchNorm in training without running stats, eps 0.1', () => {
    const rng = new TestRng(7);
    const x = randTensor(rng, [4, 3, 2]);
    const w = randTensor(rng, [3], 0.3, 1);
    const b = randTensor(rng, [3], 0.3, 0);
    const g = randTensor(rng, [4, 3, 2], 1, 0, false);
    const loss = () =>
      sum(mul(functional.batchNorm(x, null, null, { weight: w, bias: b, training: true, eps: 0.1 }), g));
    expect(withBackend(backend, () => gradcheck(loss, { x, w, b }, rng))).toEqual([]);
  });

  it('Linear', () => {
    const rng = new TestRng(8);
    const lin = new Linear(4, 3, { dtype: 'float64' });
    const x = randTensor(rng, [5, 4]);
    const g = randTensor(rng, [5, 3], 1, 0, false);
    expect(
      withBackend(backend, () => gradcheck(weightedSum(lin, x, g), { x, weight: lin.weight, bias: lin.bias! }, rng)),
    ).toEqual([]);
  });

  for (const [stride, padding] of [
    [1, 0],
    [2, 1],
    [1, 2],
  ] as const) {
    it(`Conv2d stride ${stride} padding ${padding}`, () => {
      const rng = new TestRng(9 + stride * 10 + padding);
      const conv = new Conv2d(2, 3, 3, { stride, padding, dtype: 'float64' });
      const x = randTensor(rng, [2, 2, 5, 4]);
      const y = conv.forward(x);
      const g = randTensor(rng, [...y.shape], 1, 0, false);
      expect(
        withBackend(backend, () =>
          gradcheck(weightedSum(conv, x, g), { x, weight: conv.weight, bias: conv.bias! }, rng),
        ),
      ).toEqual([]);
    });
  }

  for (const lossName of ['mseLoss', 'crossEntropy'] as const) {
    it(`stack Conv2d → BatchNorm2d → ReLU → Flatten → Linear under ${lossName}`, () => {
      const rng = new TestRng(lossName === 'mseLoss' ? 11 : 12);
      const conv = new Conv2d(2, 3, 3, { padding: 1, dtype: 'float64' });
      const bn = new BatchNorm2d(3, { dtype: 'float64' });
      randomize(rng, bn.weight!, 1, 0.3);
      randomize(rng, bn.bias!, 0.2, 0.3);
      const lin = new Linear(3 * 3 * 3, 4, { dtype: 'float64' });
      const net = new Sequential(conv, bn, new ReLU(), new Flatten(), lin);
      net.train();
      const x = randTensor(rng, [4, 2, 3, 3]);
      const target =
        lossName === 'mseLoss'
          ? randTensor(rng, [4, 4], 1, 0, false)
          : tensor(BigInt64Array.from([0n, 3n, 1n, 2n]), { shape: [4] });
      const loss = () =>
        lossName === 'mseLoss' ? mseLoss(net.forward(x), target) : crossEntropy(net.forward(x), target);
      const leaves = {
        x,
        convWeight: conv.weight,
        bnWeight: bn.weight!,
        bnBias: bn.bias!,
        linWeight: lin.weight,
        linBias: lin.bias!,
      };
      expect(withBackend(backend, () => gradcheck(loss, leaves, rng))).toEqual([]);
    });
  }
});
