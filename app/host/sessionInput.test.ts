import { describe, expect, it } from 'vitest';
import type { InputConfig } from '../shared/contract.js';
import { generateInput, MAX_INPUT_ELEMENTS } from './sessionInput.js';

const cfg = (over: Partial<InputConfig> = {}): InputConfig => ({
  shape: [512, 3],
  distribution: 'normal',
  mean: 0,
  std: 1,
  channelShift: 0,
  seed: 7,
  ...over,
});

/** Mean of channel c (dimension 1) of a [N, C, ...] batch. */
function channelMean(values: number[], shape: number[], c: number): number {
  const C = shape[1]!;
  const S = shape.slice(2).reduce((a, b) => a * b, 1);
  let sum = 0;
  let n = 0;
  values.forEach((v, i) => {
    if (Math.floor(i / S) % C !== c) return;
    sum += v;
    n++;
  });
  return sum / n;
}

describe('stepping input batch', () => {
  it('has the configured shape, float32, and the same values for the same seed', () => {
    const a = generateInput(cfg({ shape: [4, 3, 2, 2] }));
    expect(a.shape).toEqual([4, 3, 2, 2]);
    expect(a.dtype).toBe('float32');
    expect(generateInput(cfg({ shape: [4, 3, 2, 2] })).toArray()).toEqual(a.toArray());
    expect(generateInput(cfg({ shape: [4, 3, 2, 2], seed: 8 })).toArray()).not.toEqual(a.toArray());
  });

  it('shifts channel c by c·channelShift around the configured mean and std', () => {
    const shape = [2000, 3];
    const x = generateInput(cfg({ shape, mean: 1, std: 0.5, channelShift: 10 }))
      .toArray()
      .flat() as number[];
    for (const c of [0, 1, 2]) expect(channelMean(x, shape, c)).toBeCloseTo(1 + 10 * c, 1);
  });

  it('uniform values stay within mean ± √3·std (mean 0, std 1 before scaling)', () => {
    const x = generateInput(cfg({ distribution: 'uniform', mean: 2, std: 3 }))
      .toArray()
      .flat() as number[];
    const bound = Math.sqrt(3) * 3 + 1e-5;
    expect(x.every((v) => Math.abs(v - 2) <= bound)).toBe(true);
    expect(Math.max(...x.map((v) => Math.abs(v - 2)))).toBeGreaterThan(bound * 0.9);
  });

  it('refuses a batch over the element budget before allocating it, naming the limit', () => {
    expect(MAX_INPUT_ELEMENTS).toBe(16_777_216);
    expect(() => generateInput(cfg({ shape: [1 << 20, 1 << 20] }))).toThrow(
      new RangeError('input of 1099511627776 elements is too large for the stepping view (limit 16,777,216)'),
    );
    expect(() => generateInput(cfg({ shape: [MAX_INPUT_ELEMENTS + 1] }))).toThrow(/limit 16,777,216/);
  });
});
