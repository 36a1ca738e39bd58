import { describe, expect, it } from 'vitest';
import { buildStack, manualSeed, noGrad, randn } from '../../engine/index.js';
import { MAX_TIMELINE, StepTimelines } from './sessionTimeline.js';
import { tracedForward } from './trace.js';

function stack() {
  manualSeed(0);
  const model = buildStack({
    layers: [
      { type: 'Linear', inFeatures: 3, outFeatures: 4 },
      { type: 'BatchNorm1d', numFeatures: 4 },
      { type: 'BatchNorm1d', numFeatures: 4, trackRunningStats: false },
    ],
  });
  return { model, x: randn([8, 3]) };
}

describe('stepping timelines', () => {
  it('records the mean running statistics of each tracking norm layer per step', () => {
    const { model, x } = stack();
    const tl = new StepTimelines();
    for (let step = 1; step <= 3; step++)
      tl.record(
        noGrad(() => tracedForward(model, x)),
        step,
      );
    const bn = tl.get('1')!;
    expect(bn.steps).toEqual([1, 2, 3]);
    const rm = model.stateDict().get('1.running_mean')!.toArray() as number[];
    expect(bn.mean.at(-1)).toBeCloseTo(rm.reduce((a, b) => a + b, 0) / rm.length, 6);
    expect(bn.mean[0]).not.toBe(bn.mean[2]);
    expect(tl.get('0')).toBeNull(); // not a norm layer
    expect(tl.get('2')).toBeNull(); // no running statistics
  });

  it('a rollback drops the points after its step; clear drops everything', () => {
    const { model, x } = stack();
    const tl = new StepTimelines();
    for (let step = 1; step <= 4; step++)
      tl.record(
        noGrad(() => tracedForward(model, x)),
        step,
      );
    tl.dropAfter(2);
    const bn = tl.get('1')!;
    expect(bn.steps).toEqual([1, 2]);
    expect(bn.mean).toHaveLength(2);
    expect(bn.var).toHaveLength(2);
    tl.clear();
    expect(tl.get('1')).toBeNull();
  });

  it('keeps the first MAX_TIMELINE points and no more', () => {
    const { model, x } = stack();
    const trace = noGrad(() => tracedForward(model, x));
    const tl = new StepTimelines();
    for (let step = 1; step <= MAX_TIMELINE + 10; step++) tl.record(trace, step);
    expect(tl.get('1')!.steps).toHaveLength(MAX_TIMELINE);
    expect(tl.get('1')!.steps.at(-1)).toBe(MAX_TIMELINE);
  });
});
