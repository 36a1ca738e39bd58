/**
 * The Models workspace's host calls through dispatch (payload checks included), on the tiny ResNet that
 * engine/model's tests export with torch (engine/model/fixtures: the .onnx, a checkpoint that fits, one
 * that does not, and torch's outputs in the .json).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadCheckpoint } from '../../engine/index.js';
import { writeNpy } from '../ranks/npy.js';
import { createHandlers } from './handlers.js';
import { testHostContext, call, failure } from './testing/testHost.js';

const FIX = join(__dirname, '..', '..', 'engine', 'model', 'fixtures');
const ONNX = join(FIX, 'tiny_resnet.onnx');
const CKPT = join(FIX, 'tiny_resnet_ckpt.pt');
const BAD_CKPT = join(FIX, 'tiny_resnet_bad.pt');
const ref = JSON.parse(readFileSync(join(FIX, 'tiny_resnet.json'), 'utf8')) as {
  input: { shape: number[]; data: number[] };
  eval: { shape: number[]; data: number[] };
  stateKeys: string[];
  checkpoint: { eval: number[] };
};
const dir = mkdtempSync(join(tmpdir(), 'ns-models-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const ctx = testHostContext;

const inputNpy = (): string => {
  const f = join(dir, 'x.npy');
  writeFileSync(f, writeNpy({ shape: ref.input.shape, dtype: 'float32', data: Float32Array.from(ref.input.data) }));
  return f;
};
const avg = (xs: number[]) => xs.reduce((s, v) => s + v, 0) / xs.length;

describe('model.* host calls', () => {
  it('opens the .onnx: layer tree with output shapes and parameter counts, BatchNorm list, generated input', async () => {
    const h = await createHandlers(ctx());
    const v = await call(h, 'model.open', { path: ONNX, jobId: 'j1' });
    expect(v.batchNorm.map((b: { name: string }) => b.name)).toEqual(['bn1', 'layer1.0.bn1', 'layer1.0.bn2']);
    const conv1 = v.layers.find((l: { name: string }) => l.name === 'conv1');
    expect(conv1.parameters).toBe(4 * 3 * 3 * 3);
    expect(conv1.outputShape).toHaveLength(4);
    const fc = v.layers.find((l: { name: string }) => l.name === 'fc');
    expect(fc.outputShape).toEqual([2, 5]);
    expect(v.layers.filter((l: { batchNorm: boolean }) => l.batchNorm)).toHaveLength(3);
    expect(v.parameters).toBe(v.layers.reduce((n: number, l: { parameters: number }) => n + l.parameters, 0));
    expect(v.input).toEqual([{ name: v.inputs[0].name, shape: ref.input.shape, source: 'generated (seed 0)' }]);
  });

  it('eval with the checkpoint gives torch’s output; train steps count batches; the inspector opens', async () => {
    const h = await createHandlers(ctx());
    await call(h, 'model.open', { path: ONNX, jobId: 'j' });
    const w = await call(h, 'model.weights', { path: CKPT });
    expect(w.weights.applied).toBe(ref.stateKeys.length);
    expect(w.weights.missingKeys).toEqual([]);
    await call(h, 'model.setInput', { path: inputNpy(), batch: 1, seed: 0 });
    const ev = await call(h, 'model.step', { mode: 'eval' });
    expect(ev.outputs[0].shape).toEqual([2, 5]);
    expect(ev.outputs[0].mean).toBeCloseTo(avg(ref.checkpoint.eval), 4);
    const before = ev.batchNorm[0].numBatchesTracked;
    const tr = await call(h, 'model.step', { mode: 'train' });
    expect(tr.batchNorm[0].numBatchesTracked).toBe(before + 1);
    const insp = await call(h, 'model.inspect', { path: 'layer1.0.bn1' });
    expect(insp.numFeatures).toBe(4);
    expect(insp.batchMean).not.toBeNull();
    expect(insp.outputHistogram).not.toBeNull();
    expect(insp.why.bnTraining).toBe(true);
    expect((await failure(h, 'model.inspect', { path: 'conv1' })).message).toContain('no BatchNorm layer at "conv1"');
  });

  // cuda runs in npm test's emulated-CUDA stage (tools/run-tests.mjs EMU_FILES); wasm wherever it loads.
  it.each(['ts', 'cpu', 'wasm', 'cuda'])(
    'the %s backend gives torch’s eval output and train counters',
    async (backend) => {
      const h = await createHandlers(ctx());
      const info = await call(h, 'backend.info', {});
      const b = info.backends.find((x: { name: string }) => x.name === backend);
      if (!b?.available) return; // that backend is not built or loadable here: `backend.info` says so
      try {
        const view = await call(h, 'backend.set', { name: backend });
        expect(view.active).toBe(backend);
        await call(h, 'model.open', { path: ONNX, jobId: 'j' });
        await call(h, 'model.weights', { path: CKPT });
        await call(h, 'model.setInput', { path: inputNpy(), batch: 1, seed: 0 });
        const ev = await call(h, 'model.step', { mode: 'eval' });
        expect(ev.outputs[0].mean).toBeCloseTo(avg(ref.checkpoint.eval), 4);
        const tr = await call(h, 'model.step', { mode: 'train' });
        expect(tr.batchNorm[0].numBatchesTracked).toBe(ev.batchNorm[0].numBatchesTracked + 1);
      } finally {
        await call(h, 'backend.set', { name: 'auto' });
      }
    },
  );

  it('train vs eval: the first BatchNorm is where they part; running statistics are left as they were', async () => {
    const h = await createHandlers(ctx());
    await call(h, 'model.open', { path: ONNX, jobId: 'j' });
    await call(h, 'model.setInput', { path: inputNpy(), batch: 1, seed: 0 });
    const before = (await call(h, 'model.inspect', { path: 'bn1' })).runningMean;
    const c = await call(h, 'model.compare', {});
    expect(c.rows[0]).toMatchObject({ path: 'conv1', type: 'Conv', maxAbsDiff: 0 });
    expect(c.firstDivergent).toBe('bn1');
    expect((await call(h, 'model.inspect', { path: 'bn1' })).runningMean).toEqual(before);
    const v = await call(h, 'model.setInput', { path: null, batch: 3, seed: 1 });
    expect(v.batchNorm.every((b: { numBatchesTracked: number }) => b.numBatchesTracked === 0)).toBe(true);
  });

  it('recalibrates with progress; a cancelled run changes nothing', async () => {
    const c = ctx();
    const h = await createHandlers(c);
    await call(h, 'model.open', { path: ONNX, jobId: 'j' });
    await call(h, 'model.setInput', { path: null, batch: 8, seed: 3 });
    const r = await call(h, 'model.recalibrate', { jobId: 'r1', batchSize: 2 });
    expect(r).toMatchObject({ samples: 8, batches: 4, batchSize: 2, cancelled: false });
    expect(r.batchNorm.map((b: { numBatchesTracked: number }) => b.numBatchesTracked)).toEqual([4, 4, 4]);
    expect(r.batchNorm.every((b: { training: boolean }) => !b.training)).toBe(true); // left in eval
    expect(c.events.filter(([e, p]) => e === 'progress' && (p as { jobId: string }).jobId === 'r1')).toHaveLength(4);
    const after = await call(h, 'model.inspect', { path: 'bn1' });
    expect(after.numBatchesTracked).toBe(4);
    c.cancels.cancel('r2');
    const x = await call(h, 'model.recalibrate', { jobId: 'r2', batchSize: 2 });
    expect(x.cancelled).toBe(true);
    expect(x.batchNorm.map((b: { numBatchesTracked: number }) => b.numBatchesTracked)).toEqual([4, 4, 4]);
    const again = await call(h, 'model.inspect', { path: 'bn1' });
    expect(again.runningMean).toEqual(after.runningMean);
    expect(again.numBatchesTracked).toBe(4);
  });

  it('exports the whole state dict as a torch file with every key', async () => {
    const h = await createHandlers(ctx());
    await call(h, 'model.open', { path: ONNX, jobId: 'j' });
    await call(h, 'model.weights', { path: CKPT });
    const out = join(dir, 'out.pt');
    const r = await call(h, 'model.export', { path: out, format: 'pt' });
    expect(r.bytes).toBeGreaterThan(0);
    const ck = loadCheckpoint(out);
    try {
      expect([...ck.found().keys].sort()).toEqual([...ref.stateKeys].sort());
    } finally {
      ck.close();
    }
    expect((await failure(h, 'model.export', { path: join(dir, 'out.txt'), format: 'pt' })).message).toContain('.pt');
  });

  it('refuses bad input with a clear error and keeps what was open', async () => {
    const h = await createHandlers(ctx());
    expect((await failure(h, 'model.step', { mode: 'eval' })).message).toContain('no model is open');
    await call(h, 'model.open', { path: ONNX, jobId: 'j' });
    const bytes = readFileSync(ONNX);
    const text = join(dir, 'notes.onnx');
    writeFileSync(text, 'this is not a model\n');
    const cut = join(dir, 'cut.onnx');
    writeFileSync(cut, bytes.subarray(0, Math.floor(bytes.length / 2)));
    for (const p of [join(dir, 'missing.onnx'), text, cut, dir]) {
      const e = await failure(h, 'model.open', { path: p, jobId: 'j' });
      expect(e.message.length, p).toBeGreaterThan(10);
    }
    expect((await failure(h, 'model.open', { path: cut, jobId: 'j' })).name).toBe('OnnxError');
    // The model opened first is still the one open.
    const before = await call(h, 'model.step', { mode: 'eval' });
    // A checkpoint that does not fit: the strict report in the error, nothing applied.
    const e = await failure(h, 'model.weights', { path: BAD_CKPT });
    expect(e.name).toBe('WeightsError');
    expect(e.message).toContain('nothing was applied');
    const after = await call(h, 'model.step', { mode: 'eval' });
    expect(after.outputs).toEqual(before.outputs);
    expect((await failure(h, 'model.weights', { path: ONNX })).message.length).toBeGreaterThan(10);
    // Input files: not .npy, wrong shape.
    expect((await failure(h, 'model.setInput', { path: text, batch: 1, seed: 0 })).message.length).toBeGreaterThan(10);
    const wrong = join(dir, 'wrong.npy');
    writeFileSync(wrong, writeNpy({ shape: [2, 3, 4, 4], dtype: 'float32', data: new Float32Array(96) }));
    expect((await failure(h, 'model.setInput', { path: wrong, batch: 1, seed: 0 })).message).toContain(
      'only dimension 0, the batch, may differ',
    );
    // Payloads.
    expect(await failure(h, 'model.setInput', { path: null, batch: 0, seed: 0 })).toMatchObject({
      name: 'PayloadError',
    });
    expect((await failure(h, 'model.recalibrate', { jobId: 'x', batchSize: 1e9 })).name).toBe('PayloadError');
    expect((await failure(h, 'model.step', { mode: 'both' })).name).toBe('PayloadError');
    expect((await failure(h, 'model.open', { path: ONNX, jobId: 'j', extra: 1 })).name).toBe('PayloadError');
  });
});
