/**
 * Edge cases and error texts of the shape, indexing and dropout operators that the fixtures do not
 * reach: refusals name what is wrong; dropout's mask, scaling and identity cases.
 */
import { describe, expect, it } from 'vitest';
import { tensor } from '../../tensor/creation.js';
import { Generator } from '../../tensor/random.js';
import { sum } from '../../tensor/ops.js';
import { concat, flatten, reshape, slice, split, squeeze, transpose, unsqueeze } from './shape.js';
import { gather, pad } from './indexing.js';
import { dropout } from './dropout.js';
import { reduceMean } from './reduce.js';
import { gemm, matmul } from './matmul.js';

const x = tensor(
  Float64Array.from({ length: 24 }, (_, i) => i),
  { shape: [2, 3, 4] },
);

describe('shape ops', () => {
  it('reshape: 0 copies, allowzero keeps a real 0, bad shapes are refused', () => {
    expect(reshape(x, [0, 0, -1]).shape).toEqual([2, 3, 4]);
    expect(reshape(tensor(new Float64Array(0), { shape: [0, 3] }), [3, 0], true).shape).toEqual([3, 0]);
    expect(() => reshape(x, [-1, -1])).toThrow('only one dimension can be inferred');
    expect(() => reshape(x, [5, -1])).toThrow("shape '[5, -1]' is invalid for input of size 24");
    expect(() => reshape(x, [0, 0, 0, 0, -1])).toThrow(
      '0 at index 3 copies a dimension the input (rank 3) does not have',
    );
    expect(() => reshape(x, [0, -1], true)).toThrow('cannot hold both 0 and -1');
  });
  it('flatten, unsqueeze and squeeze check their axes', () => {
    expect(flatten(x, 3).shape).toEqual([24, 1]);
    expect(() => flatten(x, 4)).toThrow('flatten: axis 4 is out of range');
    expect(unsqueeze(x, [3, -5]).shape).toEqual([1, 2, 3, 1, 4]);
    expect(() => unsqueeze(x, [1, 1])).toThrow('dim 1 appears multiple times in the list of dims');
    expect(() => unsqueeze(x, [5])).toThrow('Dimension out of range (expected to be in range of [-4, 3], but got 5)');
    expect(() => squeeze(x, [1])).toThrow('squeeze: dimension 1 has size 3, not 1');
  });
  it('transpose and concat refuse bad arguments', () => {
    expect(() => transpose(x, [0, 0, 1])).toThrow('perm [0, 0, 1] is not a permutation of the 3 dimensions');
    expect(() => concat([], 0)).toThrow('expected a non-empty list');
    expect(() => concat([x, x.reshape([6, 4])], 0)).toThrow('Tensors must have same number of dimensions: got 3 and 2');
  });
  it('slice: zero step, mismatched lists, negative steps reaching index 0', () => {
    expect(() => slice(x, [0], [1], [0], [0])).toThrow('slice step cannot be zero');
    expect(() => slice(x, [0, 1], [1], [0])).toThrow('must have the same length');
    // From the last index down to the first (end −INT_MAX clamps to −1, "before index 0").
    expect(slice(x, [-1], [-9.223372036854776e18], [2], [-1]).reshape([24]).toArray().slice(0, 4)).toEqual([
      3, 2, 1, 0,
    ]);
  });
  it('split refuses sizes that do not add up', () => {
    expect(() => split(x, 1, [1, 1])).toThrow('split: sizes [1, 1] must be non-negative and sum to dimension 1 (3)');
    expect(() => split(x, 2, 3)).toThrow('split: dimension 2 of size 4 does not split into 3 equal parts');
    expect(split(x, -1, [0, 4]).map((t) => t.shape)).toEqual([
      [2, 3, 0],
      [2, 3, 4],
    ]);
  });
  it('shape ops move int64 values too', () => {
    const s = tensor(BigInt64Array.from([1n, 2n, 3n, 4n]), { dtype: 'int64' });
    expect(concat([s, slice(s, [-1], [-5], [0], [-1])], 0).toArray()).toEqual([1, 2, 3, 4, 4, 3, 2, 1]);
    expect(gather(s, tensor(BigInt64Array.from([-1n, 0n]), { dtype: 'int64' }), 0).toArray()).toEqual([4, 1]);
  });
});

describe('gather and pad', () => {
  it('gather refuses float indices and indices out of range', () => {
    expect(() => gather(x, tensor([0.0], { dtype: 'float64' }), 0)).toThrow('Expected dtype int64 or int32 for index');
    expect(() => gather(x, tensor(BigInt64Array.from([-4n]), { dtype: 'int64' }), 1)).toThrow(
      'index -4 is out of bounds for dimension 1 with size 3',
    );
  });
  it('pad checks its pads', () => {
    expect(() => pad(x, [1, 1], 0)).toThrow('pad: pads must have 6 values');
    expect(() => pad(x, [0, 0, -3, 0, 0, -2], 0)).toThrow('crop more than the input');
    expect(pad(x, [0, 0, -4, 0, 0, 0], 7).shape).toEqual([2, 3, 0]);
  });
});

describe('products', () => {
  it("refuse shapes that do not multiply with PyTorch's text", () => {
    const a = tensor(new Float64Array(6), { shape: [2, 3] });
    expect(() => matmul(a, a)).toThrow('mat1 and mat2 shapes cannot be multiplied (2x3 and 2x3)');
    expect(() => gemm(a, a, null, { transB: true, alpha: 1 }).shape).not.toThrow();
    expect(() => gemm(a, a, tensor(new Float64Array(3), { shape: [3] }), { transB: true })).toThrow(
      'gemm: C of size [3] does not broadcast to [2, 2]',
    );
    expect(() => reduceMean(tensor(BigInt64Array.from([1n]), { dtype: 'int64' }))).toThrow(
      'expected a float32 or float64 input',
    );
  });
});

describe('dropout', () => {
  const ones = () => tensor(new Float64Array(4000).fill(1), { requiresGrad: true });
  it('is the identity with an all-true mask when not training or with ratio 0', () => {
    const a = ones();
    for (const [ratio, training] of [
      [0.5, false],
      [0, true],
    ] as const) {
      const { output, mask } = dropout(a, ratio, training);
      expect(output).toBe(a);
      expect(mask.dtype).toBe('bool');
      expect(mask.toArray().every((v) => v === 1)).toBe(true);
    }
  });
  it('keeps about 1 − ratio of the values, scaled by 1 / (1 − ratio), and routes the gradient through the mask', () => {
    const a = ones();
    const { output, mask } = dropout(a, 0.25, true, new Generator(3));
    const kept = mask.toArray().filter((v) => v === 1).length;
    expect(kept).toBeGreaterThan(2800);
    expect(kept).toBeLessThan(3200);
    const vals = output.toArray();
    mask.toArray().forEach((m, i) => expect(vals[i]).toBe(m ? 1 / 0.75 : 0));
    sum(output).backward();
    expect(a.grad!.toArray()).toEqual(vals);
  });
  it('drops everything at ratio 1 and refuses ratios outside [0, 1]', () => {
    expect(
      dropout(ones(), 1, true)
        .output.toArray()
        .every((v) => v === 0),
    ).toBe(true);
    expect(() => dropout(ones(), 1.5, true)).toThrow('dropout probability has to be between 0 and 1, but got 1.5');
  });
});
