// Runs only in `npm test`'s emulated-CUDA stage (see native/cuda-emu/emulatedCuda.emu.test.ts): on the
// CUDA backend a stack's tensors stay on the device between steps. Trains the same stack on the cuda
// and ts backends and checks (1) the numbers agree, (2) each step after the first moves only the
// boundary across the bus — the input batch, the targets, the backward seed up, the loss value down —
// counted by the addon's transfer counters, and (3) reading values on the host costs what it should.
import { describe, expect, it } from 'vitest';
import { backendInfo, getBackend, setBackend } from './registry.js';
import { loadNativeBackends } from './nativeLoader.js';
import { buildStack } from '../nn/stackSpec.js';
import { crossEntropy, mseLoss } from '../nn/functional/losses.js';
import { SGD } from '../optim/sgd.js';
import { manualSeed } from '../tensor/random.js';
import { randn, tensor } from '../tensor/creation.js';
import type { Module } from '../nn/module.js';
import type { Sequential } from '../nn/layers/simple.js';
import type { Linear } from '../nn/layers/linear.js';
import { noGrad } from '../tensor/tensor.js';
import { transfersBetween, type TransferCounts, type TransferStats } from '../tensor/device.js';
import type { Tensor } from '../tensor/tensor.js';
import { RuntimeError } from '../errors.js';
import { SyncBatchNorm } from '../nn/syncBatchNorm.js';
import { destroyProcessGroup, initProcessGroup, type ProcessGroup } from '../dist/processGroup.js';

const N = 6;
const CLASSES = 5;
const spec = (dtype: 'float32' | 'float64') => ({
  dtype,
  layers: [
    { type: 'Conv2d', inChannels: 3, outChannels: 4, kernelSize: 3, padding: 1 },
    { type: 'BatchNorm2d', numFeatures: 4 },
    { type: 'ReLU' },
    { type: 'Flatten' },
    { type: 'Linear', inFeatures: 4 * 5 * 5, outFeatures: 12 },
    { type: 'BatchNorm1d', numFeatures: 12, momentum: null },
    { type: 'ReLU' },
    { type: 'Linear', inFeatures: 12, outFeatures: CLASSES },
  ],
});

interface Batch {
  x: Tensor;
  t: Tensor;
}

function batches(dtype: 'float32' | 'float64', count: number): Batch[] {
  manualSeed(7);
  return Array.from({ length: count }, (_, i) => ({
    x: randn([N, 3, 5, 5], { dtype }),
    t: tensor(
      Array.from({ length: N }, (_, r) => (r * 3 + i) % CLASSES),
      { dtype: 'int64' },
    ),
  }));
}

function model(dtype: 'float32' | 'float64'): Module {
  manualSeed(11);
  return buildStack(spec(dtype) as Parameters<typeof buildStack>[0]);
}

function stats(): TransferStats {
  return getBackend().device!.transferStats();
}

/** Trains on `batches`; returns the losses, the transfers of each step, and the model. */
function train(backend: 'ts' | 'cuda', dtype: 'float32' | 'float64', data: Batch[]) {
  setBackend(backend);
  const m = model(dtype);
  const opt = new SGD(m.parameters(), { lr: 0.05, momentum: 0.9, weightDecay: 1e-3 });
  const losses: number[] = [];
  const steps: TransferCounts[] = [];
  for (const { x, t } of data) {
    const before = backend === 'cuda' ? stats() : null;
    opt.zeroGrad();
    const loss = crossEntropy(m.call(x), t);
    loss.backward();
    opt.step();
    losses.push(loss.item());
    if (before) steps.push(transfersBetween(before, stats()));
  }
  return { losses, steps, m, opt };
}

function close(a: number[], b: number[], tol: number): string[] {
  const bad: string[] = [];
  a.forEach((v, i) => {
    if (!(Math.abs(v - b[i]!) <= tol * Math.max(1, Math.abs(b[i]!)))) bad.push(`[${i}] ${v} vs ${b[i]}`);
  });
  return bad;
}

function values(m: Module): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const [k, v] of m.stateDict()) out.set(k, Array.from(v.hostView() as ArrayLike<number | bigint>, Number));
  return out;
}

describe('CUDA residency: a stack stays on the device between steps', () => {
  for (const [dtype, tol] of [
    ['float64', 1e-10],
    ['float32', 2e-4],
  ] as const) {
    it(`trains like the ts backend in ${dtype}, moving only the boundary per step`, () => {
      const data = batches(dtype, 4);
      const ref = train('ts', dtype, data);
      const got = train('cuda', dtype, data);
      try {
        expect(close(got.losses, ref.losses, tol)).toEqual([]);
        const want = values(ref.m);
        for (const [k, v] of values(got.m)) expect(close(v, want.get(k)!, tol), k).toEqual([]);
      } finally {
        setBackend('cuda');
      }
      const size = dtype === 'float64' ? 8 : 4;
      const boundaryUp = N * 3 * 5 * 5 * size + N * 8 + size; // input batch, int64 targets, backward seed
      for (const [i, s] of got.steps.entries()) {
        if (i === 0) {
          // The first step uploads the parameters and buffers once.
          expect(s.hostToDeviceBytes).toBeGreaterThan(boundaryUp);
          continue;
        }
        expect(s, `step ${i}`).toEqual({
          hostToDeviceBytes: boundaryUp,
          hostToDeviceCopies: 3,
          deviceToHostBytes: size, // loss.item()
          deviceToHostCopies: 1,
        });
      }
      for (const p of got.m.parameters()) expect(p.storage.isOnDevice).toBe(true);
    });
  }

  it('reads on the host without giving up the device copy, and uploads what the host changed', () => {
    const data = batches('float32', 3);
    const { m, opt } = train('cuda', 'float32', data.slice(0, 2));
    const lin = (m as Sequential).at(4) as Linear;
    const bytes = lin.weight.numel() * 4;
    const step = () => {
      const before = stats();
      opt.zeroGrad();
      crossEntropy(m.call(data[2]!.x.clone()), data[2]!.t).backward(); // a fresh host batch each step
      opt.step();
      return transfersBetween(before, stats());
    };
    const base = step();
    // A read-only look (what the app's inspector does): downloaded once, nothing extra uploaded.
    let before = stats();
    expect(Array.from(lin.weight.hostView() as Float32Array).every(Number.isFinite)).toBe(true);
    expect(transfersBetween(before, stats()).deviceToHostBytes).toBe(bytes);
    expect(step()).toEqual(base);
    // `.data` hands the array out for writing: the next device read uploads it once and sees the write.
    before = stats();
    (lin.weight.data as Float32Array).fill(0);
    expect(transfersBetween(before, stats()).deviceToHostBytes).toBe(bytes);
    before = stats();
    const x = randn([2, 4 * 5 * 5]);
    const y = noGrad(() => lin.call(x)).hostView() as Float32Array;
    const s = transfersBetween(before, stats());
    expect(s.hostToDeviceBytes).toBe(x.numel() * 4 + bytes);
    const bias = Array.from(lin.bias!.hostView() as Float32Array);
    expect(Array.from(y)).toEqual([...bias, ...bias]);
    expect(step()).toEqual(base);
  });

  it('keeps eval steps and mseLoss on the device too', () => {
    setBackend('cuda');
    const m = model('float64');
    const x = randn([N, 3, 5, 5], { dtype: 'float64' });
    m.call(x); // running statistics move to the device
    m.eval();
    const target = randn([N, CLASSES], { dtype: 'float64' });
    m.call(x);
    const before = stats();
    const loss = mseLoss(m.call(x), target);
    const s = transfersBetween(before, stats());
    // The input went up with the first call and the parameters with the first eval call: only the
    // target crosses.
    expect(s.hostToDeviceBytes).toBe(N * CLASSES * 8);
    expect(s.deviceToHostBytes).toBe(0);
    setBackend('ts');
    try {
      const want = mseLoss(m.call(x), target).item();
      setBackend('cuda');
      expect(Math.abs(loss.item() - want)).toBeLessThan(1e-12 * Math.max(1, Math.abs(want)));
    } finally {
      setBackend('cuda');
    }
  });

  it('runs SyncBatchNorm with only per-channel values crossing the bus', () => {
    // Two ranks whose peer holds the same batch: the result is BatchNorm over the batch twice.
    const C = 3;
    const echo: ProcessGroup = {
      rank: 0,
      size: 2,
      backend: 'ipc',
      ranks: [0, 1],
      allGather: (row) => Float64Array.from([...row, ...row]),
      allReduceSum: (v) => v.map((a) => 2 * a),
      broadcast: (v) => v,
      barrier: () => {},
    };
    const run = (backend: 'ts' | 'cuda') => {
      setBackend(backend);
      manualSeed(3);
      const m = new SyncBatchNorm(C, { processGroup: echo, dtype: 'float64' });
      const x = randn([4, C, 5], { dtype: 'float64', requiresGrad: true });
      const dy = randn([4, C, 5], { dtype: 'float64' });
      initProcessGroup(echo);
      let moved: TransferCounts | null = null;
      let y: Tensor;
      try {
        y = m.call(x);
        const before = backend === 'cuda' ? stats() : null;
        y.backward(dy);
        moved = before ? transfersBetween(before, stats()) : null;
      } finally {
        destroyProcessGroup();
      }
      const out = [y, x.grad!, m.weight!.grad!, m.bias!.grad!, m.runningVar!].map((t) =>
        Array.from(t.hostView() as Float64Array),
      );
      return { out, moved, onDevice: y.storage.isOnDevice && x.grad!.storage.isOnDevice };
    };
    const ref = run('ts');
    const got = run('cuda');
    ref.out.forEach((v, i) => expect(close(got.out[i]!, v, 1e-12), `output ${i}`).toEqual([]));
    expect(got.onDevice).toBe(true);
    // Backward: dy goes up; down come the local sums (2C), up the reduced sums (2C).
    expect(got.moved).toEqual({
      hostToDeviceBytes: 4 * C * 5 * 8 + 2 * C * 8,
      hostToDeviceCopies: 3,
      deviceToHostBytes: 2 * C * 8,
      deviceToHostCopies: 2,
    });
  });

  it('says where tensors live, and NORMSCOPE_CUDA_RESIDENT=0 turns residency off', () => {
    setBackend('cuda');
    const status = backendInfo().backends.find((b) => b.name === 'cuda')!;
    expect(status.residency).toBe('tensors stay on the device between steps');
    expect(status.transfers!.hostToDeviceBytes).toBeGreaterThan(0);
    expect(status.transfers!.deviceBytesInUse).toBeGreaterThan(0);
    process.env.NORMSCOPE_CUDA_RESIDENT = '0';
    try {
      const off = loadNativeBackends().cuda;
      expect(off.backend!.device).toBeNull();
      expect(off.status.residency).toBe('copied per call (NORMSCOPE_CUDA_RESIDENT=0)');
    } finally {
      delete process.env.NORMSCOPE_CUDA_RESIDENT;
    }
  });

  it('counts live device memory, and release gives it back', () => {
    setBackend('cuda');
    const dev = getBackend().device!;
    // The collector may free dead buffers at any allocation, so only bounds are certain.
    const big = 64 << 20;
    const before = dev.transferStats().deviceBytesInUse;
    const b = dev.alloc(big);
    const during = dev.transferStats().deviceBytesInUse;
    expect(during).toBeGreaterThanOrEqual(big);
    expect(during).toBeLessThanOrEqual(before + big);
    dev.release(b);
    expect(dev.transferStats().deviceBytesInUse).toBeLessThanOrEqual(during - big);
    expect(() => dev.zero(b)).toThrow(/was released/);
  });

  it('reports device memory exhaustion as a RuntimeError and keeps the parameters usable', () => {
    setBackend('cuda');
    const m = model('float32');
    const x = randn([N, 3, 5, 5]);
    const ok = m.call(x).hostView().slice();
    process.env.NS_CUDA_EMU_MEM_MB = '0';
    try {
      expect(() => m.call(randn([64, 3, 5, 5]))).toThrow(RuntimeError);
      expect(() => m.call(randn([64, 3, 5, 5]))).toThrow(/out of memory.*when the event loop turns/);
    } finally {
      delete process.env.NS_CUDA_EMU_MEM_MB;
    }
    m.eval();
    m.train();
    expect(m.call(x).hostView().length).toBe(ok.length);
  });
});
