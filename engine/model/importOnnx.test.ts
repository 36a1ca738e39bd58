/** Import on small hand-built graphs and the fixtures: naming, BatchNorm, folding, refusals at load, fuzzing. */
import { describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { buildOnnx, type NodeSpec, type InitSpec } from '../io/onnxBuild.js';
import { OnnxError } from '../io/onnxError.js';
import { loadOnnx, loadOnnxFile, pytorchMomentum } from './importOnnx.js';
import { buildPlan } from './plan.js';
import { readOnnx } from '../io/onnx.js';
import { errorOf, f32, i64, model } from './graphTestUtil.js';

describe('import', () => {
  it('refuses an unknown op at load, naming the op and the node', () => {
    const e = errorOf(() =>
      loadOnnx(buildOnnx(model([['x', [2]]], [{ op: 'Softplus', name: 'sp', inputs: ['x'], outputs: ['y'] }]))),
    );
    expect(e).toBeInstanceOf(OnnxError);
    expect(e.message).toContain("node 'sp' (Softplus): op 'Softplus' is not supported");
    const d = errorOf(() =>
      loadOnnx(
        buildOnnx(model([['x', [2]]], [{ op: 'Relu', domain: 'com.microsoft', inputs: ['x'], outputs: ['y'] }])),
      ),
    );
    expect(d.message).toContain("domain 'com.microsoft'");
  });

  it('refuses graphs that cannot run at load: undefined inputs, cycles, non-constant shapes, shape mismatches', () => {
    const undef = errorOf(() =>
      loadOnnx(buildOnnx(model([['x', [2]]], [{ op: 'Add', name: 'a', inputs: ['x', 'ghost'], outputs: ['y'] }]))),
    );
    expect(undef.message).toContain("node 'a' (Add): input 'ghost' is not produced");
    const cyc = errorOf(() =>
      loadOnnx(
        buildOnnx(
          model(
            [['x', [2]]],
            [
              { op: 'Add', inputs: ['x', 'z'], outputs: ['y'] },
              { op: 'Relu', inputs: ['y'], outputs: ['z'] },
            ],
          ),
        ),
      ),
    );
    expect(cyc.message).toContain('cycle');
    const dyn = errorOf(() =>
      loadOnnx(
        buildOnnx(
          model(
            [
              ['x', [2, 3]],
              ['s', [2]],
            ],
            [{ op: 'Reshape', name: 'r', inputs: ['x', 's'], outputs: ['y'] }],
          ),
        ),
      ),
    );
    expect(dyn.message).toContain("node 'r' (Reshape): shape (input 1) must be a constant known at load");
    const cast = errorOf(() =>
      loadOnnx(
        buildOnnx(
          model([['x', [2]]], [{ op: 'Cast', name: 'c', inputs: ['x'], outputs: ['y'], attrs: { to: { i: 11 } } }]),
        ),
      ),
    );
    expect(cast.message).toContain("node 'c' (Cast): runs only on constants known at load");
    const conv = errorOf(() =>
      loadOnnx(
        buildOnnx(
          model([['x', [1, 3, 4, 4]]], [{ op: 'Conv', name: 'c', inputs: ['x', 'w.weight'], outputs: ['y'] }], {
            initializers: [{ name: 'w.weight', dims: [2, 4, 1, 1], data: Array(8).fill(1) }],
          }),
        ),
      ),
    );
    expect(conv.message).toContain("node 'c' (Conv): input channels 3 do not match weight [2, 4, 1, 1]");
  });

  it('float16 weights are refused at load with what to do', () => {
    const e = errorOf(() =>
      loadOnnx(
        buildOnnx(
          model([['x', [2]]], [{ op: 'Add', inputs: ['x', 'h.w'], outputs: ['y'] }], {
            initializers: [{ name: 'h.w', dims: [2], type: 10, data: [15360, 15360] }],
          }),
        ),
      ),
    );
    expect(e.message).toContain("initializer 'h.w' is float16");
  });

  it('parameters at module paths, constants for the rest (onnx::…): only parameters are state', () => {
    const m = loadOnnx(
      buildOnnx(
        model(
          [['x', [1, 2]]],
          [
            { op: 'Mul', inputs: ['x', 'onnx::Mul_3'], outputs: ['a'] },
            { op: 'Add', inputs: ['a', 'head.scale'], outputs: ['y'] },
          ],
          {
            initializers: [
              { name: 'onnx::Mul_3', dims: [2], data: [2, 3] },
              { name: 'head.scale', dims: [2], data: [10, 20] },
            ],
          },
        ),
      ),
    );
    expect([...m.stateDict().keys()]).toEqual(['head.scale']);
    expect(m.forwardGraph([f32([1, 2], [1, 1])])[0]!.toArray()).toEqual([12, 23]);
  });

  it('BatchNormalization: PyTorch momentum and eps, BatchNorm1d/2d/3d by rank, mode as exported', () => {
    expect(pytorchMomentum(Math.fround(0.9))).toBe(0.1);
    expect(pytorchMomentum(Math.fround(0.99))).toBe(0.01);
    const bnInits = (p: string, c: number): InitSpec[] => [
      { name: `${p}.weight`, dims: [c], data: Array(c).fill(1) },
      { name: `${p}.bias`, dims: [c], data: Array(c).fill(0) },
      { name: `${p}.running_mean`, dims: [c], data: Array(c).fill(0) },
      { name: `${p}.running_var`, dims: [c], data: Array(c).fill(1) },
    ];
    const bn = (p: string, x: string, y: string, train: number): NodeSpec => ({
      op: 'BatchNormalization',
      inputs: [x, `${p}.weight`, `${p}.bias`, `${p}.running_mean`, `${p}.running_var`],
      outputs: train ? [y, `${p}_rm`, `${p}_rv`] : [y],
      attrs: { epsilon: { f: 1e-3 }, momentum: { f: 0.97 }, training_mode: { i: train } },
    });
    const m = loadOnnx(
      buildOnnx(
        model(
          [
            ['x', [2, 3]],
            ['v', [2, 2, 2, 2, 2]],
          ],
          [bn('a.bn', 'x', 'y', 1), bn('b', 'v', 'w', 0)],
          {
            opset: 15,
            initializers: [...bnInits('a.bn', 3), ...bnInits('b', 2)],
            outputs: ['y', 'w', 'a.bn_rm'],
          },
        ),
      ),
    );
    const layers = m.batchNormLayers();
    expect(
      layers.map((l) => [l.name, l.module.constructor.name, l.module.momentum, l.module.eps, l.module.training]),
    ).toEqual([
      ['a.bn', 'BatchNorm1d', 0.03, 0.001, true],
      ['b', 'BatchNorm3d', 0.03, 0.001, false],
    ]);
    const [, , rm] = m.forwardGraph([f32([2, 3]), f32([2, 2, 2, 2, 2])]);
    // Batch mean of columns (1,4), (2,5), (3,6) with momentum 0.03.
    rm!.toArray().forEach((v, i) => expect(v).toBeCloseTo(0.03 * (2.5 + i), 6));
    expect(layers[0]!.module.numBatchesTracked!.item()).toBe(1);
    expect(layers[1]!.module.numBatchesTracked!.item()).toBe(0);
  });

  it("names with '-' are module paths; affine=False BatchNorm keeps its constant scale out of the state", () => {
    const bn = (x: string, y: string, names: string[]): NodeSpec => ({
      op: 'BatchNormalization',
      inputs: [x, ...names],
      outputs: [y],
    });
    const vec = (name: string, v: number): InitSpec => ({ name, dims: [2], data: [v, v] });
    const m = loadOnnx(
      buildOnnx(
        model(
          [['x', [2, 2]]],
          [
            bn('x', 'a', ['b1-0.n.weight', 'b1-0.n.bias', 'b1-0.n.running_mean', 'b1-0.n.running_var']),
            bn('a', 'y', ['onnx::S_1', 'onnx::B_2', 'plain.running_mean', 'plain.running_var']),
            bn('y', 'z', ['onnx::S_1', 'onnx::B_2', 'onnx::M_3', 'onnx::V_4']),
          ],
          {
            initializers: [
              vec('b1-0.n.weight', 2),
              vec('b1-0.n.bias', 0),
              vec('b1-0.n.running_mean', 0),
              vec('b1-0.n.running_var', 1),
              vec('onnx::S_1', 1),
              vec('onnx::B_2', 0),
              vec('plain.running_mean', 0),
              vec('plain.running_var', 1),
              vec('onnx::M_3', 0),
              vec('onnx::V_4', 1),
            ],
          },
        ),
      ),
    );
    expect(m.batchNormLayers().map((l) => [l.name, l.module.affine])).toEqual([
      ['b1-0.n', true],
      ['plain', false],
      ['batchnorm2', false],
    ]);
    expect([...m.stateDict().keys()]).toContain('b1-0.n.weight');
    expect([...m.stateDict().keys()]).not.toContain('plain.weight');
  });

  it('plans again for another batch size (shape arithmetic folds per shape) and frees values after their last reader', () => {
    const m = loadOnnxFile(path.join(__dirname, 'fixtures', 'tiny_resnet.onnx')).eval();
    expect(m.forwardGraph([f32([5, 3, 8, 8])])[0]!.shape).toEqual([5, 5]);
    expect(m.forwardGraph([f32([1, 3, 8, 8])])[0]!.shape).toEqual([1, 5]);
    // The shuffle traced x.size() at batch 2 into constants: other batch sizes are refused before running.
    const s = loadOnnxFile(path.join(__dirname, 'fixtures', 'tiny_shuffle.onnx')).eval();
    const e = errorOf(() => s.forwardGraph([f32([4, 3, 8, 8])]));
    expect(e).toBeInstanceOf(OnnxError);
    expect(e.message).toContain('cannot reshape [4, 8, 4, 4] to [2, 2, 4, 4, 4]');
    expect(e.message).toContain('the graph was exported for input [2, 3, 8, 8]');
    const g = readOnnx(
      buildOnnx(
        model(
          [['x', [2]]],
          ['a', 'b', 'y'].map((o, i) => ({ op: 'Relu', inputs: [['x', 'a', 'b'][i]!], outputs: [o] })),
        ),
      ),
    );
    const plan = buildPlan(g.graph, new Map([['x', [2]]]), {
      bound: new Map(),
      constInits: new Map(),
      maxFoldNumel: 100,
    });
    expect(plan.freeAfter).toEqual([['x'], ['a'], ['b']]);
    const folded = readOnnx(
      buildOnnx(
        model(
          [['x', [2, 3]]],
          [
            { op: 'Shape', inputs: ['x'], outputs: ['s'] },
            { op: 'Reshape', inputs: ['x', 's'], outputs: ['y'] },
          ],
        ),
      ),
    );
    const p2 = buildPlan(folded.graph, new Map([['x', [2, 3]]]), {
      bound: new Map(),
      constInits: new Map(),
      maxFoldNumel: 100,
    });
    expect(p2.steps.map((s) => s.node.opType)).toEqual(['Reshape']);
    expect(p2.consts.get('s')!.toArray()).toEqual([2, 3]);
    expect(() =>
      buildPlan(folded.graph, new Map([['x', [2, 3]]]), { bound: new Map(), constInits: new Map(), maxFoldNumel: 1 }),
    ).toThrow(/maxTensorNumel/);
  });
  it('observe sees every node that runs, with its outputs; 3-D convolutions are refused at load', () => {
    const m = loadOnnxFile(path.join(__dirname, 'fixtures', 'tiny_resnet.onnx'));
    const seen: string[] = [];
    m.forwardGraph([f32([2, 3, 8, 8])], {
      observe: (node, outs) => seen.push(`${node.opType}:${outs[0]!.shape.join('x')}`),
    });
    expect(seen.slice(0, 3)).toEqual(['Conv:2x4x8x8', 'BatchNormalization:2x4x8x8', 'Relu:2x4x8x8']);
    expect(seen[seen.length - 1]).toBe('Gemm:2x5');
    const conv3d = errorOf(() =>
      loadOnnx(
        buildOnnx(
          model([['x', [1, 1, 2, 2, 2]]], [{ op: 'Conv', name: 'c3', inputs: ['x', 'w.weight'], outputs: ['y'] }], {
            initializers: [{ name: 'w.weight', dims: [1, 1, 1, 1, 1], data: [1] }],
          }),
        ),
      ),
    );
    expect(conv3d.message).toContain("node 'c3' (Conv)");
    expect(conv3d.message).toContain('1-D or 2-D convolution');
  });
});

describe('hostile files through import and run', () => {
  it('flipped bytes: loading and running give an OnnxError or a result, never another exception', () => {
    for (const name of ['tiny_resnet', 'tiny_shuffle']) {
      const bytes = new Uint8Array(fs.readFileSync(path.join(__dirname, 'fixtures', `${name}.onnx`)));
      let seed = 7;
      const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
      for (let k = 0; k < 150; k++) {
        const b = bytes.slice();
        for (let j = 0; j < 2; j++) b[Math.floor(rnd() * b.length)] = Math.floor(rnd() * 256);
        try {
          const m = loadOnnx(b);
          const shape = m.graphInputs[0]!.shape.map((d) => (typeof d === 'number' ? d : 1));
          if (shape.reduce((p, d) => p * d, 1) <= 4096) m.forwardGraph([f32(shape)]);
        } catch (e) {
          expect(e, `${name} case ${k}: ${(e as Error).message}`).toBeInstanceOf(OnnxError);
        }
      }
    }
  });

  it('constant inputs out of range are refused at load: Gather indices, negative Pad, Dropout ratio, Clip bounds', () => {
    const load = (nodes: NodeSpec[], initializers: InitSpec[]) =>
      errorOf(() => loadOnnx(buildOnnx(model([['x', [2, 3]]], nodes, { initializers }))));
    expect(
      load(
        [{ op: 'Gather', name: 'g', inputs: ['x', 'i'], outputs: ['y'], attrs: { axis: { i: 1 } } }],
        [i64('i', [3])],
      ).message,
    ).toContain("node 'g' (Gather): indices [3] are out of bounds for axis 1 of size 3");
    expect(
      load([{ op: 'Pad', name: 'p', inputs: ['x', 'pads'], outputs: ['y'] }], [i64('pads', [0, -1, 0, 0])]).message,
    ).toContain('negative pads');
    expect(
      load(
        [{ op: 'Dropout', name: 'd', inputs: ['x', 'onnx::r'], outputs: ['y'] }],
        [{ name: 'onnx::r', dims: [], data: [1] }],
      ).message,
    ).toContain('ratio 1 is not in [0, 1)');
    expect(
      load([{ op: 'Clip', name: 'c', inputs: ['x', 'lo'], outputs: ['y'] }], [{ name: 'lo', dims: [2], data: [0, 1] }])
        .message,
    ).toContain('must be a scalar');
  });

  it('a kernel_shape that disagrees with the weight is refused at load', () => {
    const e = errorOf(() =>
      loadOnnx(
        buildOnnx(
          model(
            [['x', [1, 1, 4, 4]]],
            [
              {
                op: 'Conv',
                name: 'k',
                inputs: ['x', 'c.weight'],
                outputs: ['y'],
                attrs: { kernel_shape: { ints: [3, 3] } },
              },
            ],
            {
              initializers: [{ name: 'c.weight', dims: [1, 1, 2, 2], data: [1, 1, 1, 1] }],
            },
          ),
        ),
      ),
    );
    expect(e.message).toContain("node 'k' (Conv): kernel_shape [3, 3] does not match weight [1, 1, 2, 2]");
  });
});
