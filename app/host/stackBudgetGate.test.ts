import { describe, expect, it } from 'vitest';
import { dispatch } from './dispatch.js';
import { createHandlers } from './handlers.js';
import { withStackBudget } from './stackBudgetGate.js';
import { testHostContext } from './testing/testHost.js';

const ctx = testHostContext;

const giant = {
  layers: [
    { type: 'Linear' as const, inFeatures: 16384, outFeatures: 16384 },
    { type: 'Linear' as const, inFeatures: 16384, outFeatures: 16384 },
  ],
};
const small = {
  layers: [
    { type: 'Linear' as const, inFeatures: 4, outFeatures: 3 },
    { type: 'BatchNorm1d' as const, numFeatures: 3 },
  ],
};

describe('the model budget in front of the handlers (issue 13)', () => {
  it('refuses two 16384×16384 Linear layers before building, with the budget and the flag in the error', async () => {
    const h = withStackBudget(await createHandlers(ctx()), {
      raiseWith: 'raise it with `normscope serve --max-parameters N`',
    });
    const before = process.memoryUsage().rss;
    const out = await dispatch(h, 'stack.build', { spec: giant, inputShape: [2, 16384], seed: 0 });
    expect(out).toMatchObject({
      ok: false,
      error: {
        name: 'ValueError',
        message:
          'the stack has 536,903,680 parameters, over the budget of 50,000,000 parameters (raise it with `normscope serve --max-parameters N`)',
      },
    });
    // Nothing was allocated for it: well under the 2.1 GB its weights would take.
    expect(process.memoryUsage().rss - before).toBeLessThan(256 * 2 ** 20);
    expect(await dispatch(h, 'step.state', {})).toMatchObject({ ok: true, value: { built: false } });
  });

  it('a raised budget lets the same spec through the gate (the flag works)', async () => {
    const h = withStackBudget(await createHandlers(ctx()), {
      budget: { maxParameters: 1000, maxActivationBytes: 1 << 30 },
    });
    expect(await dispatch(h, 'stack.build', { spec: small, inputShape: [8, 4], seed: 0 })).toMatchObject({ ok: true });
    const tight = withStackBudget(await createHandlers(ctx()), {
      budget: { maxParameters: 10, maxActivationBytes: 1 << 30 },
    });
    expect(await dispatch(tight, 'stack.build', { spec: small, inputShape: [8, 4], seed: 0 })).toMatchObject({
      ok: false,
      error: { message: 'the stack has 21 parameters, over the budget of 10 parameters' },
    });
  });

  it('checks a new input shape against the built stack, and ranks as one copy per rank', async () => {
    const h = withStackBudget(await createHandlers(ctx()), {
      budget: { maxParameters: 300, maxActivationBytes: 64 * 1024 },
    });
    expect(await dispatch(h, 'stack.build', { spec: small, inputShape: [8, 4], seed: 0 })).toMatchObject({ ok: true });
    const input = { distribution: 'normal', mean: 0, std: 1, channelShift: 0, seed: 0 };
    expect(await dispatch(h, 'step.setInput', { ...input, shape: [1 << 16, 4] })).toMatchObject({
      ok: false,
      error: {
        message: expect.stringMatching(
          /^one forward of the stack keeps 2.5 MiB of activations, over the budget of 64\.0 KiB$/,
        ),
      },
    });
    expect(await dispatch(h, 'step.setInput', { ...input, shape: [16, 4] })).toMatchObject({ ok: true });
    const ranks = await dispatch(h, 'ranks.start', { worldSize: 16, shards: [], subgroups: [] });
    expect(ranks).toMatchObject({
      ok: false,
      error: { message: 'the stack has 21 parameters × 16 ranks, over the budget of 300 parameters' },
    });
  });
});
