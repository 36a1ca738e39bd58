import { describe, expect, it } from 'vitest';
import { Tensor, noGrad } from './tensor.js';
import { tensor, zeros, ones, randn, scalar } from './creation.js';
import { add, mul, mulScalar, sum, relu, cat0 } from './ops.js';
import { manualSeed, Generator } from './random.js';
import { bfloat16ToFloat, floatToBfloat16, floatToHalf, halfToFloat } from './dtype.js';
import { RuntimeError } from '../errors.js';

describe('Tensor', () => {
  it('takes its dtype from the typed array and checks the shape', () => {
    expect(tensor(new Float64Array(6), { shape: [2, 3] }).dtype).toBe('float64');
    expect(tensor(new BigInt64Array(1), { shape: [] }).dtype).toBe('int64');
    expect(() => tensor(new Float32Array(5), { shape: [2, 3] })).toThrow(
      "shape '[2, 3]' is invalid for input of size 5",
    );
  });

  it('builds from nested arrays and converts back', () => {
    const t = tensor([
      [1, 2],
      [3, 4],
    ]);
    expect(t.shape).toEqual([2, 2]);
    expect(t.toNested()).toEqual([
      [1, 2],
      [3, 4],
    ]);
    expect(() => tensor([[1, 2], [3]])).toThrow(RuntimeError);
  });

  it('reshapes with an inferred dimension and refuses impossible shapes', () => {
    const t = zeros([2, 3, 4]);
    expect(t.reshape([-1, 4]).shape).toEqual([6, 4]);
    expect(() => t.reshape([5, -1])).toThrow("shape '[5, -1]' is invalid for input of size 24");
  });

  it('casts between dtypes and keeps int64 counters exact', () => {
    const c = scalar(7, 'int64');
    c.addScalar_(1);
    expect(c.item()).toBe(8);
    expect(c.to('float32').item()).toBe(8);
    expect(tensor([1.5, -2.5]).to('int32').toArray()).toEqual([1, -2]);
  });

  it('encodes and decodes float16 and bfloat16 with round-to-nearest-even', () => {
    for (const v of [0, 1, -2.5, 65504, 6.1e-5, 1e-7, 0.1]) {
      expect(halfToFloat(floatToHalf(v))).toBeCloseTo(v, v < 1e-4 ? 7 : 3);
    }
    expect(halfToFloat(floatToHalf(1e6))).toBe(Infinity);
    expect(bfloat16ToFloat(floatToBfloat16(3.140625))).toBe(3.140625);
    expect(Number.isNaN(bfloat16ToFloat(floatToBfloat16(NaN)))).toBe(true);
  });
});

describe('autograd', () => {
  it('accumulates gradients across backward calls like PyTorch', () => {
    const a = tensor([1, 2, 3], { requiresGrad: true });
    const b = tensor([4, 5, 6], { requiresGrad: true });
    sum(mul(a, b)).backward();
    expect(a.grad!.toArray()).toEqual([4, 5, 6]);
    sum(mul(a, b)).backward();
    expect(a.grad!.toArray()).toEqual([8, 10, 12]);
    expect(b.grad!.toArray()).toEqual([2, 4, 6]);
  });

  it('sums gradients of a tensor used twice (diamond graph)', () => {
    const a = tensor([1, -2], { requiresGrad: true });
    const y = add(relu(a), mulScalar(a, 3));
    sum(y).backward();
    expect(a.grad!.toArray()).toEqual([4, 3]);
  });

  it('refuses implicit gradients for non-scalars and tensors without history', () => {
    const a = tensor([1, 2], { requiresGrad: true });
    expect(() => mulScalar(a, 2).backward()).toThrow('grad can be implicitly created only for scalar outputs');
    expect(() => tensor([1]).backward()).toThrow(
      'element 0 of tensors does not require grad and does not have a grad_fn',
    );
  });

  it('records nothing under noGrad', () => {
    const a = tensor([1], { requiresGrad: true });
    const y = noGrad(() => mulScalar(a, 2));
    expect(y.requiresGrad).toBe(false);
    expect(y.gradFn).toBeNull();
  });

  it('propagates through reshape views', () => {
    const a = ones([2, 3], { requiresGrad: true });
    sum(mulScalar(a.reshape([6]), 2)).backward();
    expect(a.grad!.shape).toEqual([2, 3]);
    expect(a.grad!.toArray()).toEqual([2, 2, 2, 2, 2, 2]);
  });
});

describe('random', () => {
  it('is reproducible under manualSeed and roughly standard normal', () => {
    manualSeed(42);
    const a = randn([2000]).toArray();
    manualSeed(42);
    expect(randn([2000]).toArray()).toEqual(a);
    const m = a.reduce((s, v) => s + v, 0) / a.length;
    const v = a.reduce((s, x) => s + (x - m) ** 2, 0) / a.length;
    expect(Math.abs(m)).toBeLessThan(0.1);
    expect(Math.abs(v - 1)).toBeLessThan(0.1);
    expect(new Generator(1).uniform()).not.toBe(new Generator(2).uniform());
  });

  it('concatenates along dim 0', () => {
    const c = cat0([
      tensor([[1, 2]]),
      tensor([
        [3, 4],
        [5, 6],
      ]),
    ]);
    expect(c.shape).toEqual([3, 2]);
    expect(c.toArray()).toEqual([1, 2, 3, 4, 5, 6]);
    expect(() => cat0([tensor([[1, 2]]), tensor([[1, 2, 3]])])).toThrow('Sizes of tensors must match');
  });

  it('a Tensor constructed with requiresGrad must be floating', () => {
    expect(() => new Tensor(new Int32Array(1), [1], 'int32', true)).toThrow('Only Tensors of floating point');
  });
});
