/**
 * mseLoss's backward computes only the gradients that are needed: the input's, the target's, or both
 * (gt = −gx), on every available backend (the native cpu backend runs the compiled MSE kernels).
 * Values against PyTorch are in functional.parity.test.ts and gradcheck.test.ts; here the routing.
 */
import { describe, expect, it } from 'vitest';
import { mseLoss, tensor } from '../../index.js';
import { availableBackends, withBackend } from '../testing/backends.js';

const X = [0.5, -1.25, 3, 0.75, -0.5];
const T = [1, 0.25, -2, 0.75, 4];
/** ∂/∂x of Σ(x − t)²/n = 2(x − t)/n, with the kernels' rounding (2·g/n first, g = 1). */
const GX = X.map((x, i) => (2 / X.length) * (x - T[i]!));

describe('mseLoss backward routing', () => {
  for (const backend of availableBackends()) {
    for (const [xg, tg] of [
      [true, false],
      [false, true],
      [true, true],
    ] as const) {
      it(`${backend}: input requires grad ${xg}, target ${tg}`, () =>
        withBackend(backend, () => {
          const x = tensor(Float64Array.from(X), { shape: [5], requiresGrad: xg });
          const t = tensor(Float64Array.from(T), { shape: [5], requiresGrad: tg });
          mseLoss(x, t).backward();
          if (xg) expect(Array.from(x.grad!.data as Float64Array)).toEqual(GX);
          else expect(x.grad).toBeNull();
          if (tg) expect(Array.from(t.grad!.data as Float64Array)).toEqual(GX.map((v) => -v));
          else expect(t.grad).toBeNull();
        }));
    }
  }
});
