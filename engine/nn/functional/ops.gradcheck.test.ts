/**
 * Finite-difference gradient checks in float64 for the functional operators (engine/nn/testing/gradcheck.ts:
 * central differences, h = 1e-6, |analytic − numeric| <= 1e-5·max(1, |numeric|)). Each loss is Σ y·G with a
 * fixed random G, so the whole backward of every output element is exercised. Values for the checks that
 * have kinks (max pooling, clip, hard activations) keep their inputs away from the kinks.
 */
import { describe, expect, it } from 'vitest';
import { mul, sum, tensor, type Tensor } from '../../index.js';
import { add, div, sub } from '../../tensor/ops.js';
import { TestRng } from '../testing/random.js';
import { gradcheck } from '../testing/gradcheck.js';
import { conv } from './conv.js';
import { avgPool, globalAvgPool, maxPool } from './pool.js';
import { clip, hardSigmoid, hardSwish, sigmoid } from './activations.js';
import { reduceMean } from './reduce.js';
import { gemm, matmul } from './matmul.js';
import { concat, slice, split, transpose } from './shape.js';
import { gather, pad } from './indexing.js';

function randT(rng: TestRng, shape: number[], scale = 1): Tensor {
  const n = shape.reduce((p, d) => p * d, 1);
  return tensor(
    Float64Array.from({ length: n }, () => rng.normal() * scale),
    { shape, requiresGrad: true },
  );
}

/** Distinct, well-separated values (no ties or kinks within ±h) in a random order. */
function spreadT(rng: TestRng, shape: number[]): Tensor {
  const n = shape.reduce((p, d) => p * d, 1);
  const v = Array.from({ length: n }, (_, i) => (i - n / 2) * 0.1 + 0.013);
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(0, i);
    [v[i], v[j]] = [v[j]!, v[i]!];
  }
  return tensor(Float64Array.from(v), { shape, requiresGrad: true });
}

/** L = Σ f(·)·G for a fixed random G of the output's shape. */
function weighted(rng: TestRng, f: () => Tensor): () => Tensor {
  const probe = f();
  const g = randT(rng, [...probe.shape]);
  g.requiresGrad = false;
  return () => sum(mul(f(), g));
}

describe('gradcheck: conv', () => {
  const cases: [string, number[], number[], Parameters<typeof conv>[3], boolean][] = [
    [
      'groups 2, stride 2, asymmetric pads',
      [2, 4, 6, 5],
      [4, 2, 3, 3],
      { strides: [2, 2], pads: [0, 1, 2, 1], group: 2 },
      true,
    ],
    ['dilated (2, 1)', [1, 3, 7, 6], [2, 3, 3, 2], { dilations: [2, 1], pads: [1, 0, 1, 1] }, true],
    [
      'depthwise multiplier 2, stride (1, 2)',
      [2, 2, 5, 6],
      [4, 1, 3, 3],
      { strides: [1, 2], pads: [1, 1, 1, 1], group: 2 },
      true,
    ],
    [
      'depthwise dilated, no bias',
      [1, 3, 7, 7],
      [3, 1, 3, 3],
      { dilations: [2, 2], pads: [2, 1, 0, 2], group: 3 },
      false,
    ],
    ['1-D, stride 2', [2, 3, 9], [2, 3, 3], { strides: [2], pads: [1, 2] }, true],
  ];
  for (const [name, xs, ws, opts, bias] of cases) {
    it(name, () => {
      const rng = new TestRng(7);
      const x = randT(rng, xs);
      const w = randT(rng, ws, 0.5);
      const b = bias ? randT(rng, [ws[0]!]) : null;
      const leaves: Record<string, Tensor> = { x, w };
      if (b) leaves.b = b;
      expect(
        gradcheck(
          weighted(rng, () => conv(x, w, b, opts)),
          leaves,
          rng,
        ),
      ).toEqual([]);
    });
  }
});

describe('gradcheck: pooling', () => {
  it('maxPool dilated, ceil mode, asymmetric pads', () => {
    const rng = new TestRng(8);
    const x = spreadT(rng, [1, 2, 7, 8]);
    const f = () =>
      maxPool(x, { kernelShape: [2, 3], strides: [2, 2], pads: [1, 0, 0, 1], dilations: [2, 1], ceilMode: true });
    expect(gradcheck(weighted(rng, f), { x }, rng)).toEqual([]);
  });
  it('avgPool ceil mode, count_include_pad, asymmetric pads', () => {
    const rng = new TestRng(9);
    const x = randT(rng, [2, 1, 6, 7]);
    const f = () =>
      avgPool(x, { kernelShape: [3, 2], strides: [2, 2], pads: [1, 1, 0, 1], ceilMode: true, countIncludePad: true });
    expect(gradcheck(weighted(rng, f), { x }, rng)).toEqual([]);
  });
  it('avgPool excluding pad, 1-D', () => {
    const rng = new TestRng(10);
    const x = randT(rng, [2, 2, 9]);
    const f = () => avgPool(x, { kernelShape: [3], strides: [2], pads: [1, 1], ceilMode: true });
    expect(gradcheck(weighted(rng, f), { x }, rng)).toEqual([]);
  });
  it('globalAvgPool', () => {
    const rng = new TestRng(11);
    const x = randT(rng, [2, 3, 3, 4]);
    expect(
      gradcheck(
        weighted(rng, () => globalAvgPool(x)),
        { x },
        rng,
      ),
    ).toEqual([]);
  });
});

describe('gradcheck: broadcasting binary ops', () => {
  const shapes: [number[], number[]][] = [
    [
      [2, 3, 4],
      [3, 1],
    ],
    [
      [1, 4],
      [3, 1],
    ],
    [[2, 3], []],
  ];
  for (const [sa, sb] of shapes) {
    for (const [name, op] of [
      ['add', add],
      ['sub', sub],
      ['mul', mul],
      ['div', div],
    ] as const) {
      it(`${name} [${sa.join(', ')}] with [${sb.join(', ')}]`, () => {
        const rng = new TestRng(12);
        const a = randT(rng, sa);
        const b = randT(rng, sb);
        if (name === 'div') for (let i = 0; i < b.numel(); i++) b.data[i] = 0.5 + Math.abs(b.getFlat(i));
        expect(
          gradcheck(
            weighted(rng, () => op(a, b)),
            { a, b },
            rng,
          ),
        ).toEqual([]);
      });
    }
  }
});

describe('gradcheck: activations', () => {
  const fns: [string, (x: Tensor) => Tensor][] = [
    ['sigmoid', sigmoid],
    ['hardSigmoid', (x) => hardSigmoid(x, 0.3, 0.4)],
    ['hardSwish', hardSwish],
    ['clip', (x) => clip(x, -0.55, 0.75)],
  ];
  for (const [name, f] of fns) {
    it(name, () => {
      const rng = new TestRng(13);
      const x = spreadT(rng, [3, 20]);
      for (let i = 0; i < x.numel(); i++) x.data[i] = x.getFlat(i) * 2; // spans every piece of the hard ones
      expect(
        gradcheck(
          weighted(rng, () => f(x)),
          { x },
          rng,
        ),
      ).toEqual([]);
    });
  }
});

describe('gradcheck: reductions and products', () => {
  it('reduceMean over negative axes', () => {
    const rng = new TestRng(14);
    const x = randT(rng, [2, 3, 4]);
    expect(
      gradcheck(
        weighted(rng, () => reduceMean(x, [-1, 0], false)),
        { x },
        rng,
      ),
    ).toEqual([]);
  });
  for (const [tA, tB] of [
    [false, false],
    [true, false],
    [false, true],
    [true, true],
  ] as const) {
    it(`gemm transA ${tA} transB ${tB}, C [1, N]`, () => {
      const rng = new TestRng(15);
      const a = randT(rng, tA ? [4, 3] : [3, 4]);
      const b = randT(rng, tB ? [5, 4] : [4, 5]);
      const c = randT(rng, [1, 5]);
      const f = () => gemm(a, b, c, { alpha: 0.7, beta: -1.3, transA: tA, transB: tB });
      expect(gradcheck(weighted(rng, f), { a, b, c }, rng)).toEqual([]);
    });
  }
  it('matmul with broadcast batch dimensions', () => {
    const rng = new TestRng(16);
    const a = randT(rng, [2, 1, 3, 4]);
    const b = randT(rng, [3, 4, 2]);
    expect(
      gradcheck(
        weighted(rng, () => matmul(a, b)),
        { a, b },
        rng,
      ),
    ).toEqual([]);
  });
  it('matmul 1-D @ batched', () => {
    const rng = new TestRng(17);
    const a = randT(rng, [4]);
    const b = randT(rng, [2, 4, 3]);
    expect(
      gradcheck(
        weighted(rng, () => matmul(a, b)),
        { a, b },
        rng,
      ),
    ).toEqual([]);
  });
});

describe('gradcheck: shape ops', () => {
  it('transpose, concat, slice with negative steps, split', () => {
    const rng = new TestRng(18);
    const x = randT(rng, [2, 3, 4]);
    const y = randT(rng, [2, 2, 4]);
    const f = () => {
      const c = concat([transpose(x, [0, 1, 2]), y], 1); // [2, 5, 4]
      const s = slice(c, [-1, 3], [-100, 0], [1, 2], [-2, -1]); // [2, 3, 3]
      const [p, q] = split(transpose(s, [2, 0, 1]), 0, [1, 2]);
      return concat([p!, q!], 0);
    };
    expect(gradcheck(weighted(rng, f), { x, y }, rng)).toEqual([]);
  });
  it('gather with repeated and negative indices, pad that crops and grows', () => {
    const rng = new TestRng(19);
    const x = randT(rng, [3, 4]);
    const idx = tensor(BigInt64Array.from([2n, -1n, 0n, 2n]), { shape: [2, 2], dtype: 'int64' });
    const f = () => pad(gather(x, idx, 0), [1, 0, -1, -1, 2, 1], 0.5);
    expect(gradcheck(weighted(rng, f), { x }, rng)).toEqual([]);
  });
});
