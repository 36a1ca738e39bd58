/**
 * Part of the Node check (nodeCheck.ts): a layer stack trained on a backend with device ops (CUDA)
 * against the same stack on a host backend. Checks that the losses and the final parameters agree,
 * and that each step after the first moves only the boundary across the bus — the input batch, the
 * targets and the backward seed up, the loss value down — by the addon's transfer counters. Times a
 * step on each backend (the device one includes those copies and the loss read).
 */
import { getBackend, setBackend } from '../../engine/backend/registry.js';
import type { BackendName } from '../../engine/backend/backend.js';
import { buildStack, type StackSpec } from '../../engine/nn/stackSpec.js';
import { crossEntropy } from '../../engine/nn/functional/losses.js';
import { SGD } from '../../engine/optim/sgd.js';
import { manualSeed } from '../../engine/tensor/random.js';
import { randn, tensor } from '../../engine/tensor/creation.js';
import type { Tensor } from '../../engine/tensor/tensor.js';
import { transfersBetween, type TransferCounts } from '../../engine/tensor/device.js';

export interface ResidencyReport {
  shape: number[];
  steps: number;
  worstLoss: number;
  worstParam: number;
  /** Bytes up and down per step after the first, and what the boundary alone needs. */
  perStep: { up: number; down: number; boundaryUp: number; boundaryDown: number }[];
  deviceStepMs: number;
  hostStepMs: number;
  ok: boolean;
}

function stackSpec(c: number, hw: number, classes: number): StackSpec {
  return {
    dtype: 'float32',
    layers: [
      { type: 'Conv2d', inChannels: 3, outChannels: c, kernelSize: 3, padding: 1 },
      { type: 'BatchNorm2d', numFeatures: c },
      { type: 'ReLU' },
      { type: 'Conv2d', inChannels: c, outChannels: c, kernelSize: 3, stride: 2, padding: 1 },
      { type: 'BatchNorm2d', numFeatures: c },
      { type: 'ReLU' },
      { type: 'Flatten' },
      { type: 'Linear', inFeatures: c * (hw / 2) * (hw / 2), outFeatures: 64 },
      { type: 'BatchNorm1d', numFeatures: 64 },
      { type: 'ReLU' },
      { type: 'Linear', inFeatures: 64, outFeatures: classes },
    ],
  };
}

function rel(a: number, b: number): number {
  return Math.abs(a - b) / Math.max(1, Math.abs(b));
}

/** `device` must be a backend with device ops, `host` one without; both available. */
export function checkResidency(device: BackendName, host: BackendName, small: boolean): ResidencyReport {
  const [n, c, hw, classes, steps] = small ? [4, 4, 8, 5, 3] : [32, 16, 32, 10, 6];
  manualSeed(5);
  const batches = Array.from({ length: steps }, (_, i) => ({
    x: randn([n, 3, hw, hw]),
    t: tensor(
      Array.from({ length: n }, (_, r) => (r * 7 + i) % classes),
      { dtype: 'int64' },
    ),
  }));
  const run = (name: BackendName) => {
    setBackend(name);
    manualSeed(9);
    const m = buildStack(stackSpec(c, hw, classes));
    const opt = new SGD(m.parameters(), { lr: 0.02, momentum: 0.9 });
    const dev = getBackend().device ?? null;
    const losses: number[] = [];
    const moved: TransferCounts[] = [];
    const ms: number[] = [];
    for (const { x, t } of batches) {
      const before = dev?.transferStats();
      const t0 = performance.now();
      opt.zeroGrad();
      const loss = crossEntropy(m.call(x.clone()), t);
      loss.backward();
      opt.step();
      losses.push(loss.item());
      ms.push(performance.now() - t0);
      if (dev && before) moved.push(transfersBetween(before, dev.transferStats()));
    }
    const params = m.parameters().map((p: Tensor) => Array.from(p.hostView() as Float32Array));
    const steady = ms.slice(1).sort((a, b) => a - b);
    return { losses, moved, params, stepMs: steady[Math.floor(steady.length / 2)] ?? ms[0]! };
  };
  try {
    const d = run(device);
    const h = run(host);
    const worstLoss = Math.max(...d.losses.map((v, i) => rel(v, h.losses[i]!)));
    let worstParam = 0;
    d.params.forEach((p, i) => p.forEach((v, k) => (worstParam = Math.max(worstParam, rel(v, h.params[i]![k]!)))));
    const boundaryUp = n * 3 * hw * hw * 4 + n * 8 + 4;
    const perStep = d.moved.slice(1).map((s) => ({
      up: s.hostToDeviceBytes,
      down: s.deviceToHostBytes,
      boundaryUp,
      boundaryDown: 4,
    }));
    const ok =
      worstLoss <= 1e-3 &&
      worstParam <= 1e-3 &&
      perStep.length === steps - 1 &&
      perStep.every((s) => s.up === s.boundaryUp && s.down === s.boundaryDown);
    return {
      shape: [n, 3, hw, hw],
      steps,
      worstLoss,
      worstParam,
      perStep,
      deviceStepMs: d.stepMs,
      hostStepMs: h.stepMs,
      ok,
    };
  } finally {
    setBackend('auto');
  }
}
