import { describe, expect, it } from 'vitest';
import { createHandlers } from './handlers.js';
import { testHostContext } from './testing/testHost.js';

const ctx = testHostContext;

describe('stack.convertSync (issue 15 item 3)', () => {
  it('converts the built stack in place, keeping weight, bias, statistics and the counter', async () => {
    const h = await createHandlers(ctx());
    await h['stack.build']({
      spec: {
        layers: [
          { type: 'Conv2d', inChannels: 3, outChannels: 4, kernelSize: 3, stride: 1, padding: 1 },
          { type: 'BatchNorm2d', numFeatures: 4, eps: 1e-3, momentum: 0.2 },
          { type: 'ReLU' },
        ],
      },
      inputShape: [4, 3, 5, 5],
      seed: 0,
    });
    await h['step.train']({ lr: 0.1 });
    await h['step.train']({ lr: 0.1 });
    const before = await h['inspect.layer']({ path: '1' });
    expect(before.type).toBe('BatchNorm2d');
    expect(before.numBatchesTracked).toBe(2);

    const r = await h['stack.convertSync']({});
    expect(r.converted).toEqual(['1']);
    expect(r.spec.layers[1]).toMatchObject({ type: 'SyncBatchNorm', numFeatures: 4, eps: 1e-3, momentum: 0.2 });
    expect(r.summary.repr).toContain(
      'SyncBatchNorm(4, eps=0.001, momentum=0.2, affine=True, track_running_stats=True)',
    );
    expect(r.summary.normLayers).toEqual(['1']);

    const after = await h['inspect.layer']({ path: '1' });
    expect(after.type).toBe('SyncBatchNorm');
    expect(after.numBatchesTracked).toBe(2);
    expect(Array.from(after.runningMean!)).toEqual(Array.from(before.runningMean!));
    expect(Array.from(after.runningVar!)).toEqual(Array.from(before.runningVar!));
    expect(Array.from(after.weight!)).toEqual(Array.from(before.weight!));
    expect(Array.from(after.bias!)).toEqual(Array.from(before.bias!));
    // Stepping goes on with the converted module (a single process: SyncBatchNorm normalizes locally).
    const s = await h['step.train']({ lr: 0.1 });
    expect(s.step).toBe(3);
    expect(s.layers.find((l) => l.path === '1')?.type).toBe('SyncBatchNorm');
    expect((await h['inspect.layer']({ path: '1' })).numBatchesTracked).toBe(3);
  });

  it('refuses before a stack is built', async () => {
    const h = await createHandlers(ctx());
    await expect(h['stack.convertSync']({})).rejects.toThrow(/no stack is built yet/);
  });
});
