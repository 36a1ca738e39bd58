/**
 * The wasm backend's elementwise ops and losses (wasmElementwise.ts) against the TypeScript reference
 * hostKernels.ts: the shared parity cases (elementwiseCases.ts) on the streamed kernels themselves and
 * on the backend's picks (small and mixed calls on the reference), at the stream's piece boundaries
 * (n one short of, at, and one past a piece, and spanning several, in both element sizes); that sum and
 * mseForward carry one chain across the pieces (data on which adding per-piece partial sums would give
 * other bits); in-place calls across pieces; the argument checks; and that the host device runs them.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { loadWasmBackend, wasmCandidates, WasmKernels } from './wasmLoader.js';
import { SMALL_N, streamedElementwise } from './wasmElementwise.js';
import { data, elementwiseParityCases, expectSame, LENGTHS } from './testing/elementwiseCases.js';
import { createHostDevice } from './hostDevice.js';
import * as ref from './hostKernels.js';
import { RuntimeError } from '../errors.js';
import type { DeviceBuffer } from '../tensor/storage.js';

const slot = loadWasmBackend();
const picked = slot.backend?.elementwise;
const WA = (globalThis as unknown as { WebAssembly: { Module: new (b: Uint8Array) => unknown } }).WebAssembly;
const streamed = streamedElementwise(
  new WasmKernels(new WA.Module(readFileSync(wasmCandidates()[0]!)) as ConstructorParameters<typeof WasmKernels>[0]),
);

/** Elements per stream piece (wasmLoader.ts's 256 KiB pieces) for float32 and float64. */
const F32_PIECE = (256 * 1024) / 4;
const F64_PIECE = (256 * 1024) / 8;
const BOUNDARIES = [F64_PIECE - 1, F64_PIECE, F64_PIECE + 1, F32_PIECE - 1, F32_PIECE + 1, 3 * F32_PIECE + 17];

describe('wasm elementwise kernels, streamed, vs hostKernels.ts', () => {
  elementwiseParityCases(streamed, [...LENGTHS, ...BOUNDARIES]);

  it('sum and mseForward carry one chain across pieces (per-piece partials would differ)', () => {
    // Large values then small ones: a piece's partial sum of the small ones alone is exact, but the
    // chain adds each small value to a large running sum and rounds every time.
    const n = 2 * F64_PIECE + 5;
    const x = new Float64Array(n);
    for (let i = 0; i < n; i++) x[i] = i < F64_PIECE ? 1e16 + (i % 3) : 1 + (i % 5) * 0.25;
    const t = new Float64Array(n);
    let partials = 0;
    for (let p0 = 0; p0 < n; p0 += F64_PIECE) {
      let s = 0;
      for (let i = p0; i < Math.min(n, p0 + F64_PIECE); i++) s += x[i]!;
      partials += s;
    }
    const want = new Float64Array(1);
    ref.sum(x, want, n);
    expect(partials).not.toBe(want[0]); // the data tells the two orders apart
    const got = new Float64Array(1);
    streamed.sum(x, got, n);
    expectSame(got, want);
    ref.mseForward(x, t, want, n);
    streamed.mseForward(x, t, got, n);
    expectSame(got, want);
  });

  it('computes in place (out aliasing an input) across pieces', () => {
    const n = 2 * F32_PIECE + 3;
    const a = data(Float32Array, n, 3);
    const b = data(Float32Array, n, 4);
    const want = new Float32Array(n);
    ref.add(a, b, want, n);
    streamed.add(a, b, a, n);
    expectSame(a, want);
  });

  it('rejects short arrays and bad n with RuntimeError', () => {
    const f32 = new Float32Array(4);
    expect(() => streamed.relu(f32, new Float32Array(3), 4)).toThrow(RuntimeError);
    expect(() => streamed.relu(f32, new Float32Array(3), 4)).toThrow(/3 elements is shorter than n = 4/);
    expect(() => streamed.relu(f32, f32, -1)).toThrow(/non-negative integer/);
    expect(() => streamed.add(f32, f32, f32, 1.5)).toThrow(/non-negative integer/);
    expect(() => streamed.sum(f32, new Float32Array(0), 4)).toThrow(/scalar array is empty/);
    expect(() => streamed.mseBackward(f32, f32, new Float32Array(0), f32, null, 4)).toThrow(/scalar array is empty/);
    const big = new Float64Array(SMALL_N + 10);
    expect(() => picked!.mul(big, big, new Float64Array(SMALL_N), SMALL_N + 10)).toThrow(RuntimeError);
  });
});

describe('the wasm backend picks the streamed kernels or the reference', () => {
  it('has elementwise kernels', () => {
    expect(slot.reason).toBeNull();
    expect(picked).toBeDefined();
  });

  elementwiseParityCases(picked!, [0, 7, SMALL_N - 1, SMALL_N, F32_PIECE + 1]);

  it('runs mixed float32/float64 calls on the reference', () => {
    const n = SMALL_N + 3;
    const x = data(Float32Array, n, 1);
    const t = data(Float64Array, n, 2);
    const [got, want] = [new Float32Array(1), new Float32Array(1)];
    picked!.mseForward(x, t, got, n);
    ref.mseForward(x, t, want, n);
    expectSame(got, want);
    const [s, w] = [new Float64Array(n), new Float64Array(n)];
    picked!.add(x, t, s, n);
    ref.add(x, t, w, n);
    expectSame(s, w);
  });

  it("the wasm backend's host device runs them", () => {
    const n = SMALL_N + 1;
    const x = data(Float32Array, n, 1);
    const [y, want] = [new Float32Array(n), new Float32Array(n)];
    const calls: string[] = [];
    const spied = createHostDevice({
      ...slot.backend!,
      elementwise: { ...picked!, relu: (...args) => (calls.push('relu'), picked!.relu(...args)) },
    });
    spied.relu('float32', x as unknown as DeviceBuffer, y as unknown as DeviceBuffer, n);
    expect(calls).toEqual(['relu']);
    ref.relu(x, want, n);
    expectSame(y, want);
  });
});
