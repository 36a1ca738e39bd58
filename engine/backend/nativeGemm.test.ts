/**
 * The native cpu backend's GEMM (OpenBLAS through native/addon/gemm_binding.cc) against the TypeScript
 * reference gemmABtTs, on odd shapes and all four transposes, float32 and float64; the binding's
 * argument checks (wrong lengths, mixed types, bad dimensions → TypeError/RangeError, never a crash);
 * and gemmABt's dispatch to the active backend. Skipped, with the reason printed, when the addon or
 * OpenBLAS is missing (the engine then multiplies in TypeScript).
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { loadAddon, loadNativeBackends } from './nativeLoader.js';
import { getBackend, setBackend } from './registry.js';
import { gemmABt, gemmABtTs, transpose } from '../nn/functional/gemm.js';
import type { FloatArray } from '../tensor/dtype.js';

const cpu = loadNativeBackends().cpu.backend;
const gemm = cpu?.gemm;
const addon = loadAddon().addon;
if (!gemm) console.log(`native gemm tests skipped: ${cpu ? addon?.info().gemmReason : 'no native cpu backend'}`);

type Ctor = Float32ArrayConstructor | Float64ArrayConstructor;
function fill(C: Ctor, n: number, seed: number): FloatArray {
  const out = new C(n);
  for (let i = 0; i < n; i++) out[i] = Math.sin(i * 0.37 + seed) * 2 - 0.5;
  return out;
}

/** op(A)·op(B) via the TS reference: transposes stored operands back to A (m×k) and B (n×k). */
function reference(
  ta: boolean,
  tb: boolean,
  m: number,
  n: number,
  k: number,
  a: FloatArray,
  b: FloatArray,
): Float64Array {
  const a64 = Float64Array.from(ta ? transpose(a, k, m) : a);
  const b64 = Float64Array.from(tb ? b : transpose(b, k, n));
  const c = new Float64Array(m * n);
  gemmABtTs(a64, b64, m, n, k, c);
  return c;
}

describe.skipIf(!gemm)('native cpu gemm (OpenBLAS)', () => {
  const shapes = [
    [1, 1, 1],
    [7, 13, 5],
    [5, 3, 7],
    [3, 2, 4099], // large k
    [33, 65, 17],
    [64, 9, 300],
    [2, 3, 0], // k = 0: C is zeros
  ] as const;
  for (const C of [Float32Array, Float64Array]) {
    const f32 = C === Float32Array;
    it(`matches gemmABtTs on odd shapes, all transposes (${C.name})`, () => {
      for (const [m, n, k] of shapes) {
        for (const ta of [false, true]) {
          for (const tb of [false, true]) {
            const a = fill(C, m * k, m);
            const b = fill(C, k * n, n + 1);
            const c = new C(m * n).fill(Number.NaN); // must be overwritten, not accumulated into
            gemm!(ta, tb, m, n, k, a, b, c);
            const want = reference(ta, tb, m, n, k, a, b);
            for (let i = 0; i < m * n; i++) {
              // float32: OpenBLAS accumulates in float; the bound grows with √k·Σ|terms|
              const tol = f32 ? 2e-6 * Math.max(1, k) + 1e-5 * Math.abs(want[i]!) : 1e-12 * Math.max(1, k);
              if (!(Math.abs(c[i]! - want[i]!) <= tol)) {
                throw new Error(`${C.name} ${m}×${n}×${k} ta=${ta} tb=${tb} [${i}]: ${c[i]} vs ${want[i]}`);
              }
            }
          }
        }
      }
    });
  }

  it('refuses malformed arguments with TypeError/RangeError and leaves c untouched', () => {
    const g = addon!.cpu.gemm!;
    const a = new Float32Array(6);
    const b = new Float32Array(6);
    const c = new Float32Array(4).fill(7);
    const bad: [unknown[], ErrorConstructor, RegExp][] = [
      [[false, true, 2, 2, 4, a, b, c], RangeError, /a has 6 elements, needs 8/],
      [[false, true, 2, 4, 3, a, b, c], RangeError, /b has 6 elements, needs 12/],
      [[false, true, 3, 2, 2, a, b, c], RangeError, /c has 4 elements, needs 6/],
      [[false, true, 2, 2, 3, a, new Float64Array(6), c], TypeError, /same array type/],
      [[false, true, 2, 2, 3, a, new Int32Array(6), c], TypeError, /b must be a Float32Array or Float64Array/],
      [[false, true, -1, 2, 3, a, b, c], RangeError, /m must be a non-negative integer/],
      [[false, true, 2.5, 2, 3, a, b, c], RangeError, /m must be a non-negative integer/],
      [[false, true, 2 ** 31, 1, 1, a, b, c], RangeError, /< 2\^31/],
      [[false, true, 2 ** 30, 2 ** 30, 2 ** 30, a, b, c], RangeError, /a has 6 elements/],
      [[1, true, 2, 2, 3, a, b, c], TypeError, /transA must be a boolean/],
      [[false, true, 2, 2, 3, a, b], TypeError, /expected \(transA/],
    ];
    for (const [args, E, msg] of bad) {
      expect(() => (g as (...x: unknown[]) => void)(...args)).toThrow(E);
      expect(() => (g as (...x: unknown[]) => void)(...args)).toThrow(msg);
    }
    expect(Array.from(c)).toEqual([7, 7, 7, 7]);
  });
});

describe.skipIf(!gemm)('gemmABt dispatch', () => {
  const before = getBackend().name;
  afterEach(() => {
    setBackend(before);
    vi.restoreAllMocks();
  });

  it("runs on the active backend's gemm above the size threshold, and on TypeScript without one", () => {
    const [m, n, k] = [16, 24, 20];
    const a = fill(Float32Array, m * k, 1);
    const b = fill(Float32Array, n * k, 2);
    const want = new Float32Array(m * n);
    gemmABtTs(a, b, m, n, k, want);
    const spy = vi.spyOn(setBackend('cpu'), 'gemm');
    const got = new Float32Array(m * n);
    gemmABt(a, b, m, n, k, got);
    expect(spy.mock.calls[0]![5]).toBeInstanceOf(Float64Array);
    for (let i = 0; i < m * n; i++) expect(got[i]).toBeCloseTo(want[i]!, 4);
    // float32 operands run in float64 (double accumulation, like the TypeScript loop)
    const mixed = new Float64Array(m * n);
    gemmABt(Float64Array.from(a), b, m, n, k, mixed);
    expect(spy).toHaveBeenCalledTimes(2);
    expect(spy.mock.calls[1]![5]).toBeInstanceOf(Float64Array);
    for (let i = 0; i < m * n; i++) expect(mixed[i]).toBeCloseTo(want[i]!, 4);
    setBackend('ts');
    const viaTs = new Float32Array(m * n);
    gemmABt(a, b, m, n, k, viaTs);
    expect(Array.from(viaTs)).toEqual(Array.from(want));
  });
});
