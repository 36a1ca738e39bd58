/**
 * The Models workspace with a model of several inputs (two_inputs.onnx from tools/make_model_fixtures.py:
 * `bn(a) + b`, BatchNorm1d(3) at its initial state): each input fed by name from an .npy or generated;
 * passes, the comparison, recalibration and training take every input; bad input names the input and
 * changes nothing. Skipped, with the reason, without python3 + torch.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadOnnxFile, noGrad, outputSummaries, Tensor } from '../../engine/index.js';
import { modelFixtures } from '../../tools/modelFixtures.js';
import { writeNpy } from '../ranks/npy.js';
import type { ModelStepResult, ModelView } from '../shared/contract.js';
import { createHandlers, type Handlers } from './handlers.js';
import { testHostContext, call, failure } from './testing/testHost.js';

const fx = modelFixtures();
if ('skip' in fx) console.log(`Models workspace with a two-input model: skipped — ${fx.skip}`);
const dir = mkdtempSync(join(tmpdir(), 'ns-models-inputs-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const A = Array.from({ length: 12 }, (_, i) => Math.sin(i * 0.9) * 2 + 0.5);
const B = Array.from({ length: 12 }, (_, i) => i / 7 - 1);
const npy = (name: string, shape: number[], data: number[]): string => {
  const f = join(dir, name);
  writeFileSync(f, writeNpy({ shape, dtype: 'float32', data: Float32Array.from(data) }));
  return f;
};

/**
 * bn(a) + b in train mode by hand: BatchNorm1d(3) at weight 1, bias 0 normalizes with the batch's
 * statistics (biased variance). Eval uses the running statistics the export's traced pass left.
 */
function trainByHand(a: number[], b: number[]): number[] {
  const eps = 1e-5;
  const out: number[] = [];
  for (let c = 0; c < 3; c++) {
    const col = [0, 1, 2, 3].map((r) => a[r * 3 + c]!);
    const mean = col.reduce((s, v) => s + v, 0) / 4;
    const v = col.reduce((s, x) => s + (x - mean) ** 2, 0) / 4;
    for (let r = 0; r < 4; r++) out[r * 3 + c] = (col[r]! - mean) / Math.sqrt(v + eps) + b[r * 3 + c]!;
  }
  return out;
}

describe.skipIf('skip' in fx)('model.* with a two-input model', () => {
  if ('skip' in fx) return;
  const two = join(fx.dir, 'two_inputs.onnx');

  async function fed(): Promise<Handlers> {
    const h = await createHandlers(testHostContext());
    await call(h, 'model.open', { path: two, jobId: 'j' });
    await call(h, 'model.setInput', { input: 'a', path: npy('a.npy', [4, 3], A), batch: 1, seed: 0 });
    await call(h, 'model.setInput', { input: 'b', path: npy('b.npy', [4, 3], B), batch: 1, seed: 0 });
    return h;
  }

  it('opens with every input generated; each is set by name, from a file or a seed', async () => {
    const h = await createHandlers(testHostContext());
    const v: ModelView = await call(h, 'model.open', { path: two, jobId: 'j' });
    expect(v.inputs.map((i) => [i.name, i.dtype])).toEqual([
      ['a', 'float32'],
      ['b', 'float32'],
    ]);
    expect(v.input).toEqual([
      { name: 'a', shape: [2, 3], source: 'generated (seed 0)' },
      { name: 'b', shape: [2, 3], source: 'generated (seed 1)' },
    ]);
    const a = npy('a.npy', [4, 3], A);
    const w: ModelView = await call(h, 'model.setInput', { input: 'a', path: a, batch: 1, seed: 0 });
    expect(w.input[0]).toEqual({ name: 'a', shape: [4, 3], source: a });
    const g: ModelView = await call(h, 'model.setInput', { input: 'b', path: null, batch: 4, seed: 9 });
    expect(g.input).toEqual([
      { name: 'a', shape: [4, 3], source: a },
      { name: 'b', shape: [4, 3], source: 'generated (seed 9)' },
    ]);
    expect(g.layers.find((l) => l.name === 'bn')?.outputShape).toEqual([4, 3]);
  });

  it('train and eval passes equal the engine’s forwardGraph; train mode equals bn(a) + b by hand', async () => {
    const h = await fed();
    const engine = loadOnnxFile(two);
    const xs = [
      new Tensor(Float32Array.from(A), [4, 3], 'float32'),
      new Tensor(Float32Array.from(B), [4, 3], 'float32'),
    ];
    for (const mode of ['eval', 'train'] as const) {
      const r: ModelStepResult = await call(h, 'model.step', { mode });
      engine.setBatchNormMode(mode);
      const outs = noGrad(() => engine.forwardGraph(xs));
      expect(r.outputs).toEqual(outputSummaries(engine, outs));
      if (mode === 'eval') continue;
      const got = Array.from(outs[0]!.hostView() as Float32Array);
      trainByHand(A, B).forEach((v, i) => expect(got[i]).toBeCloseTo(v, 5));
    }
  });

  it('the comparison, recalibration and training take both inputs', async () => {
    const h = await fed();
    const c = await call(h, 'model.compare', {});
    expect(c.firstDivergent).toBe('bn');
    const r = await call(h, 'model.recalibrate', { jobId: 'r', batchSize: 2 });
    expect(r).toMatchObject({ samples: 4, batches: 2, cancelled: false, layers: ['bn'] });
    const t = await call(h, 'model.train', {
      jobId: 't',
      loss: 'mse',
      target: null,
      seed: 0,
      steps: 3,
      lr: 0.1,
      momentum: 0,
      weightDecay: 0,
      batchSize: null,
    });
    expect(t.losses).toHaveLength(3);
    expect(t.batchSize).toBe(4);
    expect(t.changes.find((ch: { layer: string }) => ch.layer === 'bn').maxAbsDelta).toBeGreaterThan(0);
    // mse towards zeros: the loss goes down.
    expect(t.losses[2]).toBeLessThan(t.losses[0]);
  });

  it('bad input names the input and changes nothing', async () => {
    const h = await fed();
    const before: ModelView = await call(h, 'model.setInput', {
      input: 'b',
      path: npy('b.npy', [4, 3], B),
      batch: 1,
      seed: 0,
    });
    const eval0: ModelStepResult = await call(h, 'model.step', { mode: 'eval' });
    // No name with two inputs; an unknown name; a file of the wrong shape for one input; a payload.
    expect((await failure(h, 'model.setInput', { path: null, batch: 4, seed: 0 })).message).toContain(
      'the model has 2 inputs (a, b): name the input to set',
    );
    expect((await failure(h, 'model.setInput', { input: 'c', path: null, batch: 4, seed: 0 })).message).toContain(
      "the model has no input 'c' (its inputs: a, b)",
    );
    const wrong = npy('wrong.npy', [4, 5], new Array<number>(20).fill(1));
    expect((await failure(h, 'model.setInput', { input: 'b', path: wrong, batch: 1, seed: 0 })).message).toContain(
      "has shape [4, 5] but input 'b' is [4, 3]",
    );
    expect((await failure(h, 'model.setInput', { input: 7, path: null, batch: 4, seed: 0 })).name).toBe('PayloadError');
    const same: ModelStepResult = await call(h, 'model.step', { mode: 'eval' });
    expect(same.outputs).toEqual(eval0.outputs);
    // Inputs of different batch sizes: set one at a time, refused by the pass naming both.
    const v: ModelView = await call(h, 'model.setInput', { input: 'a', path: null, batch: 3, seed: 0 });
    expect(v.input.map((i) => i.shape[0])).toEqual([3, 4]);
    expect((await failure(h, 'model.step', { mode: 'eval' })).message).toContain(
      "input 'b' has batch 4 but 'a' has 3: every input needs the same batch size",
    );
    expect(before.input[1]).toEqual(v.input[1]);
  });
});
