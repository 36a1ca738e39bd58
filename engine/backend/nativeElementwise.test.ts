/**
 * The native cpu backend's elementwise ops and losses (native/kernels/cpu_elementwise.cc) against the
 * TypeScript reference hostKernels.ts: bit-identical results on NaN, ±inf, −0, denormals, n = 0, odd
 * lengths and lengths that span several pool chunks, float32 and float64; null gx/gt; the argument
 * checks (short arrays, bad n → RuntimeError; the addon's own TypeError/RangeError, never a crash);
 * mixed float32/float64 calls running the reference; and that the host device
 * of the cpu backend runs them. Skipped, with the reason printed, when the addon is missing.
 */
import { describe, expect, it } from 'vitest';
import { loadAddon, loadNativeBackends } from './nativeLoader.js';
import { createHostDevice } from './hostDevice.js';
import * as ref from './hostKernels.js';
import type { FloatArray } from '../tensor/dtype.js';
import type { DeviceBuffer } from '../tensor/storage.js';

const cpu = loadNativeBackends().cpu.backend;
const ew = cpu?.elementwise;
if (!ew)
  console.log(
    `native elementwise tests skipped: ${cpu ? 'addon lacks them' : (loadAddon().error ?? 'no native cpu backend')}`,
  );

type Ctor = Float32ArrayConstructor | Float64ArrayConstructor;
const SPECIAL = [NaN, Infinity, -Infinity, -0, 0, 5e-324, -5e-324, 1e-40, -1e-40, 1.5e-45, 3.4e38, -3.4e38, 1, -1];

/** Special values first, then a deterministic mix of signs and magnitudes. */
function data(C: Ctor, n: number, seed: number): FloatArray {
  const a = new C(n);
  for (let i = 0; i < n; i++) {
    a[i] =
      i < SPECIAL.length ? SPECIAL[(i + seed) % SPECIAL.length]! : Math.sin(i * 0.731 + seed) * 10 ** ((i % 7) - 3);
  }
  return a;
}

/** Same bits, NaN payloads aside (both sides produce the default NaN of the arithmetic). */
function expectSame(got: FloatArray, want: FloatArray): void {
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

const LENGTHS = [0, 1, 7, 33, 1001, (1 << 16) * 2 + 13];

describe.skipIf(!ew)('native elementwise kernels vs hostKernels.ts', () => {
  const k = ew!;
  for (const C of [Float32Array, Float64Array] as Ctor[]) {
    for (const n of LENGTHS) {
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

  it('computes in place (out aliasing an input)', () => {
    const a = data(Float32Array, 101, 3);
    const want = new Float32Array(101);
    ref.relu(a, want, 101);
    k.relu(a, a, 101);
    expectSame(a, want);
  });

  it('rejects short arrays and bad n with RuntimeError before touching memory', () => {
    const f32 = new Float32Array(4);
    expect(() => k.relu(f32, new Float32Array(3), 4)).toThrow(/3 elements is shorter than n = 4/);
    expect(() => k.relu(f32, f32, -1)).toThrow(/non-negative integer/);
    expect(() => k.relu(f32, f32, 1.5)).toThrow(/non-negative integer/);
    expect(() => k.sum(f32, new Float32Array(0), 4)).toThrow(/scalar array is empty/);
    expect(() => k.mseBackward(f32, f32, new Float32Array(0), f32, null, 4)).toThrow(/scalar array is empty/);
  });

  it("the addon's own checks hold without the wrapper's (TypeError/RangeError, no crash)", () => {
    const raw = loadAddon().addon!.cpu;
    const f32 = new Float32Array(4);
    expect(() => raw.relu!(f32, new Float32Array(2), 4)).toThrow(RangeError);
    expect(() => raw.relu!(f32, new Float64Array(4) as unknown as Float32Array, 4)).toThrow(TypeError);
    expect(() => raw.relu!([1, 2] as unknown as Float32Array, f32, 2)).toThrow(TypeError);
    expect(() => raw.relu!(f32, f32, -2)).toThrow(RangeError);
    expect(() => raw.mseForward!(f32, f32, new Float32Array(0), 4)).toThrow(RangeError);
    expect(() => raw.mseBackward!(f32, f32, f32, 'x' as unknown as Float32Array, null, 4)).toThrow(TypeError);
    expect(() => (raw.scale as unknown as (...a: unknown[]) => void)(f32, 'two', f32, 4)).toThrow(TypeError);
    expect(() => (raw.add as unknown as (...a: unknown[]) => void)(f32, f32, f32)).toThrow(TypeError);
  });

  it("the cpu backend's host device runs them", () => {
    const dev = createHostDevice(cpu!);
    const x = Float32Array.of(-1, 2, NaN, -0);
    const y = new Float32Array(4);
    const calls: string[] = [];
    const spied = createHostDevice({
      ...cpu!,
      elementwise: { ...k, relu: (...args) => (calls.push('relu'), k.relu(...args)) },
    });
    spied.relu('float32', x as unknown as DeviceBuffer, y as unknown as DeviceBuffer, 4);
    expect(calls).toEqual(['relu']);
    expectSame(y, Float32Array.of(0, 2, 0, 0));
    dev.relu('float32', x as unknown as DeviceBuffer, y as unknown as DeviceBuffer, 4);
    expectSame(y, Float32Array.of(0, 2, 0, 0));
  });
});

describe.skipIf(!ew)('native elementwise kernels with mixed array types', () => {
  it('run the reference (same result as the ts backend), not an error', () => {
    const k = ew!;
    const x = Float32Array.of(1, 2, 3.5);
    const t = Float64Array.of(0.1, -2, 1e-300);
    const [got, want] = [new Float32Array(1), new Float32Array(1)];
    k.mseForward(x, t as unknown as Float32Array, got, 3);
    ref.mseForward(x, t as unknown as Float32Array, want, 3);
    expectSame(got, want);
    const [gx, wx] = [new Float32Array(3), new Float32Array(3)];
    k.mseBackward(x, t as unknown as Float32Array, Float32Array.of(1), gx, null, 3);
    ref.mseBackward(x, t as unknown as Float32Array, Float32Array.of(1), wx, null, 3);
    expectSame(gx, wx);
    const [s, w] = [new Float64Array(3), new Float64Array(3)];
    k.add(x, t as unknown as Float32Array, s, 3);
    ref.add(x, t as unknown as Float32Array, w, 3);
    expectSame(s, w);
  });
});
