import { describe, expect, it } from 'vitest';
import { gemmABtTs as gemmABt, transpose } from './gemm.js';

describe('gemmABtTs', () => {
  it('matches the naive product for every tail shape of the 4×2 blocking', () => {
    for (const [m, n, k] of [
      [1, 1, 1],
      [4, 2, 3],
      [5, 3, 7],
      [7, 5, 1],
      [9, 9, 16],
      [3, 8, 0],
    ] as const) {
      const a = Float64Array.from({ length: m * k }, (_, i) => Math.sin(i + 1));
      const b = Float64Array.from({ length: n * k }, (_, i) => Math.cos(i * 0.7));
      const c = new Float64Array(m * n);
      gemmABt(a, b, m, n, k, c);
      for (let i = 0; i < m; i++) {
        for (let j = 0; j < n; j++) {
          let s = 0;
          for (let p = 0; p < k; p++) s += a[i * k + p]! * b[j * k + p]!;
          expect(c[i * n + j]).toBeCloseTo(s, 12);
        }
      }
    }
  });

  it('transposes into the same array kind', () => {
    const t = transpose(Float32Array.from([1, 2, 3, 4, 5, 6]), 2, 3);
    expect(t).toBeInstanceOf(Float32Array);
    expect(Array.from(t)).toEqual([1, 4, 2, 5, 3, 6]);
  });
});
