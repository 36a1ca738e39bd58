/**
 * The model budget on the ranks path (issue 13): every local rank holds a copy of the stack and runs
 * its own forward, so the coordinator sizes both against the budget (times the ranks here) before a
 * rank allocates anything.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { RankCoordinator } from './coordinator.js';
import { shards } from './testSupport.js';
import type { StackSpec } from '../../engine/index.js';

const started: RankCoordinator[] = [];
afterAll(async () => {
  await Promise.all(started.map((c) => c.stop()));
});

describe('ranks: model budget', () => {
  it('refuses two 16384×16384 Linear layers on 4 ranks before building, naming the budget', async () => {
    const c = new RankCoordinator({ world: 4, backend: 'ipc' });
    const giant: StackSpec = {
      layers: [
        { type: 'Linear', inFeatures: 16384, outFeatures: 16384 },
        { type: 'Linear', inFeatures: 16384, outFeatures: 16384 },
      ],
    };
    await expect(c.build(giant)).rejects.toThrow(
      'the stack has 536,903,680 parameters × 4 ranks, over the budget of 50,000,000 parameters',
    );
  });

  it('refuses a step whose shards would exceed the activation budget, and the group stays usable', async () => {
    const c = new RankCoordinator({
      world: 2,
      backend: 'ipc',
      stackBudget: { maxParameters: 1000, maxActivationBytes: 4096 },
    });
    started.push(c);
    await c.start();
    const spec: StackSpec = { dtype: 'float64', layers: [{ type: 'SyncBatchNorm', numFeatures: 4 }] };
    await c.build(spec, { seed: 1 });
    const big = shards([100, 100], [4], 3, 'float64');
    await expect(c.step({ step: 1, inputs: big })).rejects.toThrow(
      /^one forward of the stack keeps 6\.3 KiB of activations × 2 ranks, over the budget of 4\.0 KiB$/,
    );
    const small = shards([3, 2], [4], 3, 'float64');
    expect((await c.step({ step: 1, inputs: small })).ok).toBe(true);
  }, 60_000);
});
