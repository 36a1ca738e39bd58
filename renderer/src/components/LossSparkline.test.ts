import { describe, expect, it } from 'vitest';
import { bucketMeans } from './LossSparkline';

describe('loss sparkline buckets', () => {
  it('keeps every value when there are fewer than the buckets', () => {
    expect(bucketMeans([3, 2, 1], 240)).toEqual([3, 2, 1]);
    expect(bucketMeans([], 240)).toEqual([]);
  });

  it('averages runs of steps into at most `buckets` points, covering every step once', () => {
    const values = Array.from({ length: 100_000 }, (_, i) => i);
    const b = bucketMeans(values, 240);
    expect(b).toHaveLength(240);
    expect(b[0]).toBeCloseTo((0 + Math.floor(100_000 / 240) - 1) / 2, 9);
    expect(b.every((v, i) => i === 0 || v > b[i - 1]!)).toBe(true);
    expect(bucketMeans([1, 2, 3, 4, 5], 2)).toEqual([1.5, 4]);
  });

  it('leaves out non-finite losses; a bucket of only those is NaN', () => {
    expect(bucketMeans([1, NaN, 3, Infinity], 2)).toEqual([1, 3]);
    expect(bucketMeans([NaN, NaN, 2, 4], 2)).toEqual([NaN, 3]);
  });
});
