// Runs only in `npm test`'s emulated-CUDA stage: the window's training steps, through the same host
// handlers the UI calls, keep the stack on the device. What comes back per step is the loss and the
// per-layer summaries (computed on the device) and running statistics, not the activations.
import { describe, expect, it } from 'vitest';
import { createHandlers } from './handlers.js';
import { getBackend, setBackend } from '../../engine/testing.js';
import { transfersBetween, type TransferCounts } from '../../engine/testing.js';
import type { StepResult } from '../shared/contract.js';
import { testHostContext } from './testing/testHost.js';

const ctx = testHostContext;

const N = 16;
const cnn = {
  layers: [
    { type: 'Conv2d' as const, inChannels: 3, outChannels: 8, kernelSize: 3, padding: 1 },
    { type: 'BatchNorm2d' as const, numFeatures: 8 },
    { type: 'ReLU' as const },
    { type: 'Flatten' as const },
    { type: 'Linear' as const, inFeatures: 8 * 16 * 16, outFeatures: 10 },
    { type: 'BatchNorm1d' as const, numFeatures: 10 },
    { type: 'ReLU' as const },
  ],
};
// float32 bytes of every layer's output: what the window would download per step without device summaries.
const activationBytes = 4 * N * (3 * 8 * 16 * 16 + 8 * 16 * 16 + 3 * 10);

async function steps(backend: 'cuda' | 'cpu', count: number) {
  setBackend(backend);
  const h = await createHandlers(ctx());
  await h['stack.build']({ spec: cnn, inputShape: [N, 3, 16, 16], seed: 3 });
  const results: StepResult[] = [];
  const moved: TransferCounts[] = [];
  for (let i = 0; i < count; i++) {
    const dev = getBackend().device;
    const a = dev?.transferStats();
    results.push(await h['step.train']({ lr: 0.05 }));
    const b = dev?.transferStats();
    if (a && b) moved.push(transfersBetween(a, b));
  }
  return { results, moved };
}

describe('training steps in the window keep the stack on the device', () => {
  it('shows the same numbers as the CPU backend and downloads summaries, not activations', async () => {
    const gpu = await steps('cuda', 4);
    const cpu = await steps('cpu', 4);
    setBackend('cuda');
    gpu.results.forEach((r, i) => {
      const want = cpu.results[i]!;
      expect(Math.abs(r.loss! - want.loss!)).toBeLessThanOrEqual(1e-4 * Math.abs(want.loss!));
      r.layers.forEach((l, k) => {
        const w = want.layers[k]!;
        for (const key of ['mean', 'std', 'min', 'max'] as const) {
          const [got, ref] = [l.output[key]!, w.output[key]!];
          expect(Math.abs(got - ref), `step ${i} layer ${l.path} ${key}`).toBeLessThanOrEqual(
            1e-4 * Math.max(1, Math.abs(ref)),
          );
        }
      });
    });
    // After the first step: only the backward seed goes up (the input batch and the loss's target
    // went up with the first step and stay); what comes down is small and the same every step.
    const later = gpu.moved.slice(1);
    for (const s of later) {
      expect(s).toEqual(later[0]);
      expect(s.hostToDeviceBytes).toBe(4);
      // 764 bytes here: the loss, 7 layer summaries, 2 × 2 running-stat vectors and their summaries.
      expect(s.deviceToHostBytes).toBeLessThan(activationBytes / 500);
    }
  });
});
