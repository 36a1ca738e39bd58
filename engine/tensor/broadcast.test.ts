/**
 * Multidirectional broadcasting: shapes, PyTorch's error text, dimension merging, and the reduction of
 * a gradient back to an input's shape.
 */
import { describe, expect, it } from 'vitest';
import { tensor } from './creation.js';
import { add, div, mul, sub } from './ops.js';
import { broadcastPlan, broadcastShapes, expandTo, sumToShape } from './broadcast.js';

describe('broadcastShapes', () => {
  it('aligns at the last dimension', () => {
    expect(broadcastShapes([2, 3, 4], [4])).toEqual([2, 3, 4]);
    expect(broadcastShapes([3, 1], [1, 4])).toEqual([3, 4]);
    expect(broadcastShapes([], [2, 1])).toEqual([2, 1]);
    expect(broadcastShapes([0, 3], [1, 3])).toEqual([0, 3]);
  });
  it("refuses with PyTorch's message (dimension counted in the output)", () => {
    expect(() => broadcastShapes([2, 3], [4])).toThrow(
      'The size of tensor a (3) must match the size of tensor b (4) at non-singleton dimension 1',
    );
    expect(() => broadcastShapes([5], [2, 3, 4])).toThrow(
      'The size of tensor a (5) must match the size of tensor b (4) at non-singleton dimension 2',
    );
  });
});

describe('broadcastPlan', () => {
  it('merges dimensions every input walks as one', () => {
    // NCHW + [1, C, 1, 1]: N, C, and H·W with the bias stride 0 inside.
    expect(
      broadcastPlan(
        [2, 3, 4, 5],
        [
          [2, 3, 4, 5],
          [1, 3, 1, 1],
        ],
      ),
    ).toEqual({
      sizes: [2, 3, 20],
      strides: [
        [60, 20, 1],
        [0, 1, 0],
      ],
    });
    expect(
      broadcastPlan(
        [2, 3],
        [
          [2, 3],
          [2, 3],
        ],
      ),
    ).toEqual({ sizes: [6], strides: [[1], [1]] });
  });
});

describe('binary ops', () => {
  it('compute with broadcasting and refuse mixed dtypes', () => {
    const a = tensor([[1, 2, 3]], { dtype: 'float64' });
    const b = tensor([[10], [20]], { dtype: 'float64' });
    expect(add(a, b).toNested()).toEqual([
      [11, 12, 13],
      [21, 22, 23],
    ]);
    expect(sub(a, b).shape).toEqual([2, 3]);
    expect(div(b, a).toNested()).toEqual([
      [10, 5, 10 / 3],
      [20, 10, 20 / 3],
    ]);
    expect(() => mul(a, tensor([1, 2, 3], { dtype: 'float32' }))).toThrow(
      'mul: expected both tensors to have the same dtype, got float64 and float32',
    );
  });
  it('sum gradients back to each input shape', () => {
    const a = tensor([1, 2, 3], { dtype: 'float64', requiresGrad: true });
    const b = tensor([[2], [4]], { dtype: 'float64', requiresGrad: true });
    const y = mul(a, b); // [2, 3]
    y.backward(
      tensor(
        [
          [1, 1, 1],
          [1, 1, 1],
        ],
        { dtype: 'float64' },
      ),
    );
    expect(a.grad!.toArray()).toEqual([6, 6, 6]);
    expect(b.grad!.shape).toEqual([2, 1]);
    expect(b.grad!.toArray()).toEqual([6, 6]);
  });
  it('empty tensors broadcast to empty results', () => {
    const a = tensor(new Float64Array(0), { shape: [0, 3] });
    expect(add(a, tensor([1, 2, 3], { dtype: 'float64' })).shape).toEqual([0, 3]);
  });
});

describe('sumToShape and expandTo', () => {
  it('are adjoint on a small case', () => {
    const g = tensor(
      [
        [1, 2, 3],
        [4, 5, 6],
      ],
      { dtype: 'float64' },
    );
    expect(sumToShape(g, [3]).toArray()).toEqual([5, 7, 9]);
    expect(sumToShape(g, [2, 1]).toArray()).toEqual([6, 15]);
    expect(sumToShape(g, []).toArray()).toEqual([21]);
    expect(expandTo(tensor([7, 8], { dtype: 'float64' }).reshape([2, 1]), [2, 3]).toArray()).toEqual([
      7, 7, 7, 8, 8, 8,
    ]);
  });
});
