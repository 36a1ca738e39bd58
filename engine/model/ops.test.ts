/** The op table's attribute mapping on small hand-built graphs (values worked out by hand). */
import { describe, expect, it } from 'vitest';
import { buildOnnx, type NodeSpec, type InitSpec } from '../io/onnxBuild.js';
import { loadOnnx } from './importOnnx.js';
import { f32, i64, model, run } from './graphTestUtil.js';

describe('op attributes', () => {
  it('Conv auto_pad SAME_UPPER / SAME_LOWER equal the explicit pads they stand for', () => {
    const w: InitSpec = { name: 'c.weight', dims: [1, 1, 2, 2], data: [1, 2, 3, 4] };
    const conv = (attrs: NodeSpec['attrs']) =>
      run(
        model([['x', [1, 1, 5, 5]]], [{ op: 'Conv', inputs: ['x', 'c.weight'], outputs: ['y'], attrs }], {
          initializers: [w],
        }),
        f32([1, 1, 5, 5]),
      )[0]!;
    // in 5, stride 2, k 2: out 3, total pad 1 → UPPER pads the end, LOWER the beginning.
    const upper = conv({ auto_pad: { s: 'SAME_UPPER' }, strides: { ints: [2, 2] } });
    const lower = conv({ auto_pad: { s: 'SAME_LOWER' }, strides: { ints: [2, 2] } });
    expect(upper.shape).toEqual([1, 1, 3, 3]);
    expect(upper.toArray()).toEqual(conv({ pads: { ints: [0, 0, 1, 1] }, strides: { ints: [2, 2] } }).toArray());
    expect(lower.toArray()).toEqual(conv({ pads: { ints: [1, 1, 0, 0] }, strides: { ints: [2, 2] } }).toArray());
    expect(upper.toArray()).not.toEqual(lower.toArray());
    const dil = conv({ dilations: { ints: [2, 2] } });
    expect(dil.shape).toEqual([1, 1, 3, 3]);
    expect(dil.toArray()[0]).toBe(1 * 1 + 2 * 3 + 3 * 11 + 4 * 13);
  });

  it('Gemm alpha, beta, transA, transB and a broadcast C', () => {
    const spec = model(
      [['a', [3, 2]]],
      [
        {
          op: 'Gemm',
          inputs: ['a', 'b.w', 'b.c'],
          outputs: ['y'],
          attrs: { alpha: { f: 2 }, beta: { f: 0.5 }, transA: { i: 1 }, transB: { i: 1 } },
        },
      ],
      {
        initializers: [
          { name: 'b.w', dims: [4, 3], data: [1, 0, 0, 0, 1, 0, 0, 0, 1, 1, 1, 1] },
          { name: 'b.c', dims: [4], data: [2, 4, 6, 8] },
        ],
      },
    );
    // Aᵀ = [[1,3,5],[2,4,6]]; Aᵀ·Bᵀ rows: [1,3,5,9], [2,4,6,12]; ·2 + 0.5·c.
    expect(run(spec, f32([3, 2]))[0]!.toArray()).toEqual([3, 8, 13, 22, 5, 10, 15, 28]);
  });

  it('Clip with an omitted min, MaxPool ceil_mode, AveragePool count_include_pad', () => {
    const clip = model([['x', [4]]], [{ op: 'Clip', inputs: ['x', '', 'hi'], outputs: ['y'] }], {
      initializers: [{ name: 'hi', dims: [], data: [2.5] }],
    });
    expect(run(clip, f32([4], [-5, 1, 2, 9]))[0]!.toArray()).toEqual([-5, 1, 2, 2.5]);
    const pool = (op: string, attrs: NodeSpec['attrs']) =>
      run(model([['x', [1, 1, 3, 3]]], [{ op, inputs: ['x'], outputs: ['y'], attrs }]), f32([1, 1, 3, 3]))[0]!;
    expect(
      pool('MaxPool', { kernel_shape: { ints: [2, 2] }, strides: { ints: [2, 2] }, ceil_mode: { i: 1 } }).toArray(),
    ).toEqual([5, 6, 8, 9]);
    expect(pool('MaxPool', { kernel_shape: { ints: [2, 2] }, strides: { ints: [2, 2] } }).toArray()).toEqual([5]);
    const avg = (inc: number) =>
      pool('AveragePool', {
        kernel_shape: { ints: [2, 2] },
        pads: { ints: [1, 1, 0, 0] },
        count_include_pad: { i: inc },
      }).toArray()[0];
    expect(avg(0)).toBe(1);
    expect(avg(1)).toBe(0.25);
  });

  it('negative axes: Concat, Split, Squeeze, Unsqueeze, ReduceMean, Gather; Transpose perm; Pad; MatMul', () => {
    const x = f32([2, 3]);
    const nodes: NodeSpec[] = [
      { op: 'Split', inputs: ['x', 'sizes'], outputs: ['p', 'q'], attrs: { axis: { i: -1 } } },
      { op: 'Concat', inputs: ['q', 'p'], outputs: ['c'], attrs: { axis: { i: -1 } } },
      { op: 'Unsqueeze', inputs: ['c', 'ax'], outputs: ['u'] },
      { op: 'Squeeze', inputs: ['u', 'ax'], outputs: ['s'] },
      { op: 'Transpose', inputs: ['s'], outputs: ['t'], attrs: { perm: { ints: [1, 0] } } },
      { op: 'ReduceMean', inputs: ['t'], outputs: ['m'], attrs: { axes: { ints: [-1] }, keepdims: { i: 0 } } },
      { op: 'Gather', inputs: ['t', 'idx'], outputs: ['g'], attrs: { axis: { i: -2 } } },
      { op: 'Pad', inputs: ['g', 'pads', 'pv'], outputs: ['pd'] },
      { op: 'MatMul', inputs: ['t', 'mm.w'], outputs: ['mm'] },
    ];
    const spec = model([['x', [2, 3]]], nodes, {
      outputs: ['m', 'pd', 'mm'],
      initializers: [
        i64('sizes', [1, 2]),
        i64('ax', [-1]),
        i64('idx', [-1], []),
        i64('pads', [1, 2]),
        { name: 'pv', dims: [], data: [7] },
        { name: 'mm.w', dims: [2, 1], data: [1, 10] },
      ],
    });
    // c = [[2,3,1],[5,6,4]]; t = [[2,5],[3,6],[1,4]].
    const [m, pd, mm] = run(spec, x);
    expect(m!.toArray()).toEqual([3.5, 4.5, 2.5]);
    expect(pd!.toArray()).toEqual([7, 1, 4, 7, 7]);
    expect(mm!.shape).toEqual([3, 1]);
    expect(mm!.toArray()).toEqual([52, 63, 41]);
  });

  it('Dropout follows its training_mode input unless forced; records autograd through the graph', () => {
    const spec = model([['x', [1000]]], [{ op: 'Dropout', inputs: ['x', 'ratio', 'tm'], outputs: ['y', 'mask'] }], {
      initializers: [
        { name: 'ratio', dims: [], data: [0.5] },
        { name: 'tm', dims: [], type: 9, data: [1] },
      ],
    });
    const m = loadOnnx(buildOnnx(spec));
    const ones = f32([1000], Array(1000).fill(1));
    const y = m.forwardGraph([ones])[0]!.toArray();
    expect(y.filter((v) => v === 0).length).toBeGreaterThan(300);
    expect(y.filter((v) => v === 2).length).toBeGreaterThan(300);
    m.setDropout(false);
    expect(m.forwardGraph([ones])[0]!.toArray()).toEqual(Array(1000).fill(1));
  });
});
