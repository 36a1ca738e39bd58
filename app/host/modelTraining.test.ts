/**
 * `model.train` through dispatch (payload checks included) on the tiny ResNet torch exported
 * (engine/model/fixtures): the weights it leaves are exactly those of the engine's trainSteps (the
 * code `normscope model train` runs) on the same data; progress and losses arrive as events; cancel
 * and bad input change nothing; what it exports loads strict in PyTorch.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  applyWeights,
  loadCheckpoint,
  loadOnnxFile,
  Tensor,
  trainSteps,
  type GraphModule,
} from '../../engine/index.js';
import { checkStateInTorch, GENERATOR, modelFixtures } from '../../tools/modelFixtures.js';
import { readNpy, writeNpy } from '../ranks/npy.js';
import type { ModelTraining, ModelTrainProgress, ModelTrainRequest } from '../shared/contract.js';
import { createHandlers, type Handlers } from './handlers.js';
import { testHostContext, call, failure, type TestHostContext } from './testing/testHost.js';

const FIX = join(__dirname, '..', '..', 'engine', 'model', 'fixtures');
const ONNX = join(FIX, 'tiny_resnet.onnx');
const CKPT = join(FIX, 'tiny_resnet_ckpt.pt');
const dir = mkdtempSync(join(tmpdir(), 'ns-model-train-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const ctx = testHostContext;

// Four samples of the tiny ResNet's input (3×8×8), and class indices for its 5 outputs.
const X_SHAPE = [4, 3, 8, 8];
const xData = Float32Array.from({ length: 4 * 3 * 8 * 8 }, (_, i) => Math.sin(i * 0.37) * 1.5);
const X = join(dir, 'x.npy');
writeFileSync(X, writeNpy({ shape: X_SHAPE, dtype: 'float32', data: xData }));
const Y = join(dir, 'y.npy');
writeFileSync(Y, writeNpy({ shape: [4], dtype: 'float64', data: Float64Array.from([0, 3, 1, 4]) }));

const request = (over: Partial<ModelTrainRequest> = {}): ModelTrainRequest => ({
  jobId: 't1',
  loss: 'cross-entropy',
  target: Y,
  seed: 0,
  steps: 3,
  lr: 0.05,
  momentum: 0.9,
  weightDecay: 1e-3,
  batchSize: 2,
  ...over,
});

async function opened(c: TestHostContext = ctx()): Promise<Handlers> {
  const h = await createHandlers(c);
  await call(h, 'model.open', { path: ONNX, jobId: 'j' });
  await call(h, 'model.weights', { path: CKPT });
  await call(h, 'model.setInput', { path: X, batch: 1, seed: 0 });
  return h;
}

/** The state dict the host would save, read back as a fresh engine model holding it. */
async function exported(h: Handlers, name: string): Promise<GraphModule> {
  const out = join(dir, name);
  await call(h, 'model.export', { path: out, format: 'pt' });
  const m = loadOnnxFile(ONNX);
  const ck = loadCheckpoint(out);
  try {
    applyWeights(m, ck);
  } finally {
    ck.close();
  }
  return m;
}

function expectSameState(a: GraphModule, b: GraphModule): void {
  const sb = b.stateDict();
  for (const [k, t] of a.stateDict())
    expect([...(t.hostView() as Float32Array)], k).toEqual([...sb.get(k)!.hostView()]);
}

describe('model.train', () => {
  it('leaves exactly the weights and statistics of the engine’s trainSteps, with momentum and weight decay', async () => {
    const c = ctx();
    const h = await opened(c);
    const r: ModelTraining = await call(h, 'model.train', request());
    // The engine path `normscope model train` takes, on the same files and options.
    const ref = loadOnnxFile(ONNX);
    const ck = loadCheckpoint(CKPT);
    try {
      applyWeights(ref, ck);
    } finally {
      ck.close();
    }
    ref.setDropout(false);
    const x = new Tensor(xData, X_SHAPE, 'float32');
    const y = new Tensor(BigInt64Array.from([0n, 3n, 1n, 4n]), [4], 'int64');
    const want = trainSteps(ref, x, y, {
      loss: 'cross-entropy',
      lr: 0.05,
      momentum: 0.9,
      weightDecay: 1e-3,
      steps: 3,
      batchSize: 2,
    });
    expect(r.losses).toEqual(want.losses);
    expect(r).toMatchObject({ cancelled: false, batchSize: 2, steps: 3, target: Y, step: 3 });
    expectSameState(await exported(h, 'trained.pt'), ref);
    // Momentum changes the result (the options reach the optimizer).
    const plain = await opened();
    const p: ModelTraining = await call(plain, 'model.train', request({ momentum: 0, weightDecay: 0 }));
    expect(p.losses[0]).toBe(r.losses[0]);
    expect(p.losses[2]).not.toBe(r.losses[2]);
    // Every layer with parameters moved; the changes name them.
    expect(r.changes.map((ch) => ch.layer)).toContain('fc');
    expect(r.changes.every((ch) => ch.maxAbsDelta > 0 && ch.relativeChange! > 0)).toBe(true);
  });

  it('reports progress and every loss as events; the views show the trained state', async () => {
    const c = ctx();
    const h = await opened(c);
    const before = await call(h, 'model.inspect', { path: 'layer1.0.bn1' });
    const r: ModelTraining = await call(h, 'model.train', request({ jobId: 't2', steps: 5 }));
    const progress = c.events.filter(([e, p]) => e === 'progress' && (p as { jobId: string }).jobId === 't2');
    expect(progress.at(-1)![1]).toMatchObject({ done: 5, total: 5, label: 'training' });
    const streamed = c.events
      .filter(([e]) => e === 'modelTrain')
      .map(([, p]) => p as ModelTrainProgress)
      .sort((a, b) => a.from - b.from);
    expect(streamed.every((p) => p.jobId === 't2' && p.steps === 5)).toBe(true);
    expect(streamed.flatMap((p) => p.losses)).toEqual(r.losses);
    // BatchNorm rows, counters, running statistics, the inspector's timeline: the new state.
    expect(r.batchNorm.find((b) => b.name === 'layer1.0.bn1')!.numBatchesTracked).toBe(before.numBatchesTracked + 5);
    expect(r.batchNorm.every((b) => b.training)).toBe(true);
    const after = await call(h, 'model.inspect', { path: 'layer1.0.bn1' });
    expect(after.numBatchesTracked).toBe(before.numBatchesTracked + 5);
    expect([...after.runningMean]).not.toEqual([...before.runningMean]);
    expect([...after.weight]).not.toEqual([...before.weight]);
    expect(after.timeline.steps.length).toBe(before.timeline.steps.length + 5);
    expect(after.batchMean).toBeNull(); // the last pass's batch statistics were of the old weights
  });

  it('generates a target when none is given: seeded class indices, zeros for mse', async () => {
    const h = await opened();
    const a = await call(h, 'model.train', request({ target: null, seed: 7, steps: 1 }));
    expect(a.target).toBe('generated (seed 7)');
    const h2 = await opened();
    const b = await call(h2, 'model.train', request({ target: null, seed: 7, steps: 1 }));
    expect(b.losses).toEqual(a.losses);
    const m = await call(h2, 'model.train', request({ loss: 'mse', target: null, steps: 2, batchSize: null }));
    expect(m).toMatchObject({ target: 'generated (zeros)', batchSize: 4 });
    expect(m.losses).toHaveLength(2);
  });

  it('a cancelled run changes nothing: parameters, statistics, counters and timeline as they were', async () => {
    const c = ctx();
    const h = await opened(c);
    const before = await exported(h, 'before.pt');
    const inspected = await call(h, 'model.inspect', { path: 'bn1' });
    // Cancel as the first losses arrive (what the window's Cancel does while the worker runs).
    c.onEvent = (e) => e === 'modelTrain' && c.cancel('t3');
    const r: ModelTraining = await call(h, 'model.train', request({ jobId: 't3', steps: 1000 }));
    expect(r.cancelled).toBe(true);
    expect(r.losses.length).toBeGreaterThan(0);
    expect(r.losses.length).toBeLessThan(1000);
    expect(r.changes).toEqual([]);
    expect(r.step).toBe(0);
    expectSameState(await exported(h, 'after-cancel.pt'), before);
    const again = await call(h, 'model.inspect', { path: 'bn1' });
    expect(again.numBatchesTracked).toBe(inspected.numBatchesTracked);
    expect(again.timeline.steps).toEqual(inspected.timeline.steps);
  });

  it('refuses bad input with a clear error and changes nothing', async () => {
    const none = await createHandlers(ctx());
    expect((await failure(none, 'model.train', request())).message).toContain('no model is open');
    const h = await opened();
    const before = await exported(h, 'before-bad.pt');
    const bad = async (over: Record<string, unknown>) => failure(h, 'model.train', { ...request(), ...over });
    expect(await bad({ lr: 'fast' })).toMatchObject({
      name: 'PayloadError',
      message: 'model.train: lr must be a finite number',
    });
    expect((await bad({ lr: -0.1 })).message).toBe('model.train: lr must be ≥ 0');
    expect((await bad({ lr: NaN })).name).toBe('PayloadError');
    expect((await bad({ steps: 0 })).message).toBe('model.train: steps must be ≥ 1');
    expect((await bad({ steps: 2.5 })).message).toBe('model.train: steps must be an integer');
    expect((await bad({ steps: 1e9 })).message).toBe(
      'model.train: steps must be ≤ 100000 (the training budget: at most 100000 steps per run)',
    );
    expect((await bad({ momentum: -1 })).message).toBe('model.train: momentum must be ≥ 0');
    expect((await bad({ weightDecay: 2 })).message).toBe('model.train: weightDecay must be ≤ 1');
    expect((await bad({ batchSize: 0 })).message).toBe('model.train: batchSize must be ≥ 1');
    expect((await bad({ loss: 'hinge' })).message).toBe('model.train: loss must be one of mse, cross-entropy');
    expect((await bad({ extra: 1 })).name).toBe('PayloadError');
    // Targets: missing, not .npy, not class indices, the wrong number of samples, the wrong classes.
    expect((await bad({ target: join(dir, 'missing.npy') })).message).toMatch(/ENOENT|no such file/);
    const text = join(dir, 'notes.npy');
    writeFileSync(text, 'not an array\n');
    expect((await bad({ target: text })).message.length).toBeGreaterThan(10);
    const floats = join(dir, 'floats.npy');
    writeFileSync(floats, writeNpy({ shape: [4], dtype: 'float32', data: Float32Array.from([0.5, 1, 2, 3]) }));
    expect((await bad({ target: floats })).message).toContain('is not a class index');
    const three = join(dir, 'three.npy');
    writeFileSync(three, writeNpy({ shape: [3], dtype: 'float64', data: Float64Array.from([0, 1, 2]) }));
    expect((await bad({ target: three })).message).toBe('X has 4 samples but Y has 3 along dimension 0');
    const big = join(dir, 'big.npy');
    writeFileSync(big, writeNpy({ shape: [4], dtype: 'float64', data: Float64Array.from([0, 1, 2, 9]) }));
    expect((await bad({ target: big })).name).toBe('IndexError');
    expect((await bad({ loss: 'mse', target: Y })).message.length).toBeGreaterThan(10);
    expectSameState(await exported(h, 'after-bad.pt'), before);
  });
});

const fx = modelFixtures();
describe.skipIf('skip' in fx)('model.train → export → PyTorch', () => {
  it('the trained state dict loads strict into the PyTorch model', async () => {
    if ('skip' in fx) return;
    const m = (f: string) => join(fx.dir, 'tiny', f);
    const h = await createHandlers(ctx());
    await call(h, 'model.open', { path: m('model.onnx'), jobId: 'j' });
    await call(h, 'model.weights', { path: m('checkpoint.pt') });
    await call(h, 'model.setInput', { path: m('x.npy'), batch: 1, seed: 0 });
    const before = readFileSync(m('x.npy'));
    expect(readNpy(before, 'x').shape[0]).toBe(4);
    const r = await call(h, 'model.train', request({ target: m('y.npy'), steps: 2, lr: 0.1 }));
    expect(r.cancelled).toBe(false);
    const out = join(dir, 'tiny-trained.pt');
    await call(h, 'model.export', { path: out, format: 'pt' });
    expect(checkStateInTorch(fx, 'tiny', out)).toMatchObject({ missing: [], unexpected: [], bnVersions: [2] });
  });

  // torch.optim.SGD with momentum and weight decay, 3 steps over batches of 2 (wrapping), as trainSteps runs.
  const TORCH_SGD = `
import importlib.util, json, sys
import numpy as np, torch
spec = importlib.util.spec_from_file_location('gen', sys.argv[1]); gen = importlib.util.module_from_spec(spec)
spec.loader.exec_module(gen)
d = sys.argv[2]
m = gen.build_tiny()
m.load_state_dict(torch.load(d + '/checkpoint.pt')['state_dict'])
x = torch.from_numpy(np.load(d + '/x.npy')); y = torch.from_numpy(np.load(d + '/y.npy'))
m.train()
opt = torch.optim.SGD(m.parameters(), lr=0.05, momentum=0.9, weight_decay=1e-3)
losses = []
for step in range(3):
    s = (step % 2) * 2
    opt.zero_grad()
    loss = torch.nn.functional.cross_entropy(m(x[s:s + 2]), y[s:s + 2])
    loss.backward()
    opt.step()
    losses.append(loss.item())
print(json.dumps({'losses': losses, 'state': {k: v.double().flatten().tolist() for k, v in m.state_dict().items()}}))
`;

  it('momentum and weight decay give torch.optim.SGD’s losses and parameters', async () => {
    if ('skip' in fx) return;
    const m = (f: string) => join(fx.dir, 'tiny', f);
    const r = spawnSync(fx.python, ['-W', 'ignore', '-c', TORCH_SGD, GENERATOR, join(fx.dir, 'tiny')], {
      encoding: 'utf8',
      timeout: 300_000,
      env: { ...process.env, OMP_NUM_THREADS: '1' },
    });
    expect(r.status, r.stderr).toBe(0);
    const torch = JSON.parse(r.stdout) as { losses: number[]; state: Record<string, number[]> };
    const h = await createHandlers(ctx());
    await call(h, 'model.open', { path: m('model.onnx'), jobId: 'j' });
    await call(h, 'model.weights', { path: m('checkpoint.pt') });
    await call(h, 'model.setInput', { path: m('x.npy'), batch: 1, seed: 0 });
    const t: ModelTraining = await call(h, 'model.train', request({ target: m('y.npy'), steps: 3, batchSize: 2 }));
    t.losses.forEach((l, i) => expect(Math.abs(l - torch.losses[i]!), `loss ${i + 1}`).toBeLessThan(1e-5));
    const out = join(dir, 'tiny-momentum.pt');
    await call(h, 'model.export', { path: out, format: 'pt' });
    const ck = loadCheckpoint(out);
    try {
      const sd = ck.stateDict();
      expect([...sd.keys()].sort()).toEqual(Object.keys(torch.state).sort());
      for (const [k, want] of Object.entries(torch.state)) {
        const got = sd.get(k)!.toArray();
        const worst = Math.max(...want.map((w, i) => Math.abs(Number(got[i]) - w) / Math.max(1, Math.abs(w))));
        expect(worst, k).toBeLessThan(1e-5);
      }
    } finally {
      ck.close();
    }
  });
});
