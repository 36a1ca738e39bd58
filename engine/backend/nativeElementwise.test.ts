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
import { data, elementwiseParityCases, expectSame } from './testing/elementwiseCases.js';
import type { DeviceBuffer } from '../tensor/storage.js';

const cpu = loadNativeBackends().cpu.backend;
const ew = cpu?.elementwise;
if (!ew)
  console.log(
    `native elementwise tests skipped: ${cpu ? 'addon lacks them' : (loadAddon().error ?? 'no native cpu backend')}`,
  );

describe.skipIf(!ew)('native elementwise kernels vs hostKernels.ts', () => {
  const k = ew!;
  elementwiseParityCases(k);

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
