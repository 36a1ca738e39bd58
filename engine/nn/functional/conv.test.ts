/**
 * conv's host paths beyond the fixtures: the chunked im2col walk gives the same values and gradients
 * as one chunk (chunks bound the scratch memory of large inputs or kernels), float32 accumulates in
 * double, and bad arguments are refused with a message naming them.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { tensor } from '../../tensor/creation.js';
import { sum, mul } from '../../tensor/ops.js';
import type { Tensor } from '../../tensor/tensor.js';
import { TestRng } from '../testing/random.js';
import { conv } from './conv.js';
import { setChunkElementsForTest } from '../../backend/convIm2col.js';

function randT(rng: TestRng, shape: number[], requiresGrad = true): Tensor {
  const n = shape.reduce((p, d) => p * d, 1);
  return tensor(
    Float64Array.from({ length: n }, () => rng.normal()),
    { shape, requiresGrad },
  );
}

afterEach(() => setChunkElementsForTest(null));

describe('conv (im2col path)', () => {
  it('gives the same values and gradients in chunks of pixels as in one chunk', () => {
    const rng = new TestRng(21);
    const x = randT(rng, [2, 4, 7, 6]);
    const w = randT(rng, [6, 2, 3, 2]);
    const b = randT(rng, [6]);
    const gOut = randT(rng, [2, 6, 4, 5], false);
    const run = () => {
      for (const t of [x, w, b]) t.grad = null;
      const y = conv(x, w, b, { strides: [2, 1], pads: [1, 0, 1, 1], dilations: [1, 2], group: 2 });
      sum(mul(y, gOut)).backward();
      return [y, x.grad!, w.grad!, b.grad!].map((t) => t.toArray());
    };
    const whole = run();
    setChunkElementsForTest(20); // K = 2·3·2 = 12: one pixel per chunk
    const oneByOne = run();
    setChunkElementsForTest(12 * 5); // five pixels per chunk, the last chunk shorter
    const fives = run();
    for (const r of [oneByOne, fives]) {
      r.forEach((arr, i) => arr.forEach((v, j) => expect(v).toBeCloseTo(whole[i]![j]!, 12)));
    }
  });

  it('accumulates float32 sums in double', () => {
    // 4096 products of 1 + 2^-20 with one large value: float32 accumulation would lose the small terms.
    const K = 4096;
    const x = tensor(new Float32Array(K).fill(1 + 2 ** -20), { shape: [1, K, 1, 1] });
    const w = tensor(new Float32Array(K).fill(1), { shape: [1, K, 1, 1] });
    expect(conv(x, w).item()).toBe(Math.fround(K * (1 + 2 ** -20)));
  });

  it('refuses bad ranks, strides and dtypes with a message that names them', () => {
    const rng = new TestRng(22);
    const x = randT(rng, [1, 2, 5, 5], false);
    const w = randT(rng, [3, 2, 3, 3], false);
    expect(() => conv(x.reshape([2, 5, 5]), w)).toThrow('conv: expected a 3-D (N, C, L) or 4-D (N, C, H, W) input');
    expect(() => conv(x, w, null, { strides: [0, 1] })).toThrow('strides must be integers >= 1, got [0, 1]');
    expect(() => conv(x, w, null, { pads: [1, 1] })).toThrow('pads must have 4 values');
    expect(() => conv(x, w, null, { group: 0 })).toThrow('non-positive groups is not supported');
    expect(() => conv(x.to('float32'), w)).toThrow('Input type (float32) and weight type (float64) should be the same');
  });
});
