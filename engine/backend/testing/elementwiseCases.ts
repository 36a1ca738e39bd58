/**
 * The elementwise kernels' parity cases against hostKernels.ts (the TypeScript reference), shared by
 * every backend that compiles them (nativeElementwise.test.ts: the addon; wasmElementwise.test.ts: the
 * WebAssembly module): special values (NaN, ±inf, −0, denormals), n = 0, odd lengths and lengths that
 * span several pool chunks or stream pieces, float32 and float64, null gx/gt. Call inside a describe.
 */
import { expect, it } from 'vitest';
import type { ElementwiseKernels } from '../backend.js';
import * as ref from '../hostKernels.js';
import type { FloatArray } from '../../tensor/dtype.js';

export type Ctor = Float32ArrayConstructor | Float64ArrayConstructor;
const SPECIAL = [NaN, Infinity, -Infinity, -0, 0, 5e-324, -5e-324, 1e-40, -1e-40, 1.5e-45, 3.4e38, -3.4e38, 1, -1];

/** Special values first, then a deterministic mix of signs and magnitudes. */
export function data(C: Ctor, n: number, seed: number): FloatArray {
  const a = new C(n);
  for (let i = 0; i < n; i++) {
    a[i] =
      i < SPECIAL.length ? SPECIAL[(i + seed) % SPECIAL.length]! : Math.sin(i * 0.731 + seed) * 10 ** ((i % 7) - 3);
  }
  return a;
}

/** Same bits, NaN payloads aside (both sides produce the default NaN of the arithmetic). */
export function expectSame(got: FloatArray, want: FloatArray): void {
  expect(got.length).toBe(want.length);
  let bad = -1;
  for (let i = 0; i < want.length && bad < 0; i++) {
    const w = want[i]!;
    if (Number.isNaN(w) ? !Number.isNaN(got[i]!) : !Object.is(got[i]!, w)) bad = i;
  }
  expect(bad < 0 ? 'same' : `index ${bad}: ${got[bad]} vs ${want[bad]}`).toBe('same');
}

/** a with its non-finite values replaced by `v`. */
function finite(C: Ctor, a: FloatArray, v: number): FloatArray {
  const out = new C(a.length);
  for (let i = 0; i < a.length; i++) out[i] = Number.isFinite(a[i]!) ? a[i]! : v;
  return out;
}

export const LENGTHS = [0, 1, 7, 33, 1001, (1 << 16) * 2 + 13];

/** Registers the parity cases of kernels `k` for each of `lengths` (default LENGTHS). */
export function elementwiseParityCases(k: ElementwiseKernels, lengths: readonly number[] = LENGTHS): void {
  for (const C of [Float32Array, Float64Array] as Ctor[]) {
    for (const n of lengths) {
      const name = `${C.name} n=${n}`;
      const a = data(C, n, 1);
      const b = data(C, n, 5);
      it(`relu and reluBackward, ${name}`, () => {
        const [got, want] = [new C(n), new C(n)];
        k.relu(a, got, n);
        ref.relu(a, want, n);
        expectSame(got, want);
        const [dg, dw] = [new C(n), new C(n)];
        k.reluBackward(a, b, dg, n);
        ref.reluBackward(a, b, dw, n);
        expectSame(dg, dw);
      });
      it(`add, sub, mul, scale, ${name}`, () => {
        for (const op of ['add', 'sub', 'mul'] as const) {
          const [got, want] = [new C(n), new C(n)];
          k[op](a, b, got, n);
          ref[op](a, b, want, n);
          expectSame(got, want);
        }
        for (const s of [0.1, -3, 1e-310, Infinity]) {
          const [got, want] = [new C(n), new C(n)];
          k.scale(a, s, got, n);
          ref.scale(a, s, want, n);
          expectSame(got, want);
        }
      });
      it(`sum, mseForward, mseBackward, ${name}`, () => {
        // finite inputs too, so the sums are numbers and not just NaN
        const fa = finite(C, a, 0.5);
        const fb = finite(C, b, -0.25);
        for (const [x, t] of [
          [a, b],
          [fa, fb],
        ] as const) {
          const [got, want] = [new C(1), new C(1)];
          k.sum(x, got, n);
          ref.sum(x, want, n);
          expectSame(got, want);
          k.mseForward(x, t, got, n);
          ref.mseForward(x, t, want, n);
          expectSame(got, want);
          const g = C.of(0.75);
          const [gx, gt, wx, wt] = [new C(n), new C(n), new C(n), new C(n)];
          k.mseBackward(x, t, g, gx, gt, n);
          ref.mseBackward(x, t, g, wx, wt, n);
          expectSame(gx, wx);
          expectSame(gt, wt);
          const [only, onlyT] = [new C(n), new C(n)];
          k.mseBackward(x, t, g, only, null, n);
          expectSame(only, wx);
          k.mseBackward(x, t, g, null, onlyT, n);
          expectSame(onlyT, wt);
          k.mseBackward(x, t, g, null, null, n);
        }
      });
    }
  }
}
