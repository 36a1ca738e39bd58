/**
 * The WebAssembly backend's loading and reporting (its numbers are checked kernel by kernel in
 * nativeBackend.test.ts and, through the public API, by the parity suite on every available backend).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { forEachPiece, loadWasmBackend, type Piece } from './wasmLoader.js';
import { backendInfo, getBackend, setBackend } from './registry.js';
import { tsBackend } from './tsKernels.js';
import { RuntimeError, ValueError } from '../errors.js';

const slot = loadWasmBackend();

afterEach(() => {
  delete process.env.NORMSCOPE_WASM;
});

describe('wasm backend', () => {
  it('loads from the committed module and says how it runs', () => {
    expect(slot.reason).toBeNull();
    expect(slot.status).toMatchObject({ name: 'wasm', available: true, threads: 1 });
    const row = backendInfo().backends.find((b) => b.name === 'wasm');
    expect(row?.available).toBe(true);
  });

  it('is chosen by name, and auto prefers the native cpu kernels to it', () => {
    const before = backendInfo().requested;
    try {
      expect(setBackend('wasm').name).toBe('wasm');
      expect(getBackend().name).toBe('wasm');
      const auto = setBackend('auto').name;
      const cpu = backendInfo().backends.find((b) => b.name === 'cpu')!;
      const cuda = backendInfo().backends.find((b) => b.name === 'cuda')!;
      if (!cuda.available) expect(auto).toBe(cpu.available ? 'cpu' : 'wasm');
      expect(() => setBackend('webgpu' as never)).toThrow(ValueError);
      expect(() => setBackend('webgpu' as never)).toThrow(/auto, ts, wasm, cpu, cuda/);
    } finally {
      setBackend(before);
    }
  });

  it('reports a module that does not compile as unavailable, with the reason', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ns-wasm-'));
    const bad = join(dir, 'bad.wasm');
    writeFileSync(bad, Buffer.from('\0asm\x01\0\0\0garbage'));
    process.env.NORMSCOPE_WASM = bad;
    const s = loadWasmBackend();
    expect(s.backend).toBeNull();
    expect(s.status.available).toBe(false);
    expect(s.reason).toMatch(/failed to load from .*bad\.wasm/);
  });

  it("passes the kernels' own errors on as RuntimeErrors, and keeps working afterwards", () => {
    const b = slot.backend!;
    expect(() => b.gatherStatsWithCounts(new Float64Array(3), 1, -1, 1e-5)).toThrow(RuntimeError);
    expect(() => b.gatherStatsWithCounts(new Float64Array(3), 1, -1, 1e-5)).toThrow(
      /negative world size or channel count/,
    );
    expect(() => b.gatherStatsWithCounts(new Float64Array(4), 2, 1, 1e-5)).toThrow(/shorter than worldSize/);
    const st = b.batchStats(new Float32Array([1, 2, 3, 4]), { n: 2, c: 1, s: 2 });
    expect(Array.from(st.mean)).toEqual([2.5]);
    expect(Array.from(st.varBiased)).toEqual([1.25]);
  });

  it('the committed module was built from the current kernel sources', () => {
    const r = spawnSync(process.execPath, ['tools/build-wasm.mjs', '--check'], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });
});

describe('forEachPiece (how streamed calls split (N, C, S))', () => {
  const split = (n: number, c: number, s: number, max: number): Piece[] => {
    const out: Piece[] = [];
    forEachPiece({ n, c, s }, max, (p) => (out.push(p), 0));
    return out;
  };
  /** Pieces cover every element once, in memory order, within `max`, and name their first channel. */
  const covers = (n: number, c: number, s: number, max: number): void => {
    let next = 0;
    const bad: string[] = [];
    for (const p of split(n, c, s, max)) {
      const len = p.n * p.c * p.s;
      const ok = p.off === next && len > 0 && len <= max && Math.floor(p.off / s) % c === p.c0 && p.c0 + p.c <= c;
      if (!ok) bad.push(JSON.stringify(p));
      next += len;
    }
    expect(bad, `(${n},${c},${s})`).toEqual([]);
    expect(next).toBe(n * c * s);
  };

  it('covers the array in memory order with pieces the kernels can run alone', () => {
    for (const [n, c, s] of [
      [256, 1024, 1],
      [32, 64, 3136],
      [3, 2, 100_000],
      [5, 7, 9],
      [1, 1, 1],
      [2048, 300, 1],
      [4, 3, 128],
    ] as const) {
      covers(n, c, s, 1024);
    }
  });

  it('takes whole rows in multiples of 8 (the row plans), runs of channels, or 64-aligned runs of a plane', () => {
    expect(split(100, 10, 1, 1024).map((p) => p.n)).toEqual([96, 4]);
    expect(split(2, 10, 300, 1024).map((p) => [p.c0, p.c])).toEqual([
      [0, 3],
      [3, 3],
      [6, 3],
      [9, 1],
      [0, 3],
      [3, 3],
      [6, 3],
      [9, 1],
    ]);
    expect(split(1, 2, 2500, 1024).map((p) => [p.c0, p.off, p.s])).toEqual([
      [0, 0, 1024],
      [0, 1024, 1024],
      [0, 2048, 452],
      [1, 2500, 1024],
      [1, 3524, 1024],
      [1, 4548, 452],
    ]);
  });

  it('gives an empty or malformed shape to the kernel once, so it checks the dimensions itself', () => {
    expect(split(0, 4, 5, 1024)).toEqual([{ off: 0, n: 0, c: 4, s: 5, c0: 0 }]);
    expect(split(-1, 2, 0, 1024)).toEqual([{ off: 0, n: -1, c: 2, s: 0, c0: 0 }]);
    const b = slot.backend!;
    expect(() =>
      b.forwardEval({
        x: new Float32Array(0),
        y: new Float32Array(0),
        dims: { n: -1, c: 2, s: 0 },
        weight: null,
        bias: null,
        mean: new Float64Array(2),
        invstd: new Float64Array(2),
      }),
    ).toThrow(RuntimeError);
  });

  it('stops at the first kernel error', () => {
    let calls = 0;
    expect(forEachPiece({ n: 8, c: 4, s: 1000 }, 1024, () => (++calls === 3 ? -1 : 0))).toBe(-1);
    expect(calls).toBe(3);
  });

  it('streams tensors larger than the module would hold at once, with sums over all pieces', () => {
    // 2 × 3 × 300 000 float64 values: each array is 14 MB, split into pieces of 256 KiB.
    const dims = { n: 2, c: 3, s: 300_000 };
    const total = dims.n * dims.c * dims.s;
    const x = Float64Array.from({ length: total }, (_, i) => Math.sin(i) * 3 + (i % 7));
    const dy = Float64Array.from({ length: total }, (_, i) => Math.cos(i * 0.37));
    const mean = new Float64Array([1, 2, 3]);
    const invstd = new Float64Array([0.5, 1, 2]);
    const b = slot.backend!;
    const got = b.backwardReduce({ dy, x, dims, mean });
    const want = tsBackend.backwardReduce({ dy, x, dims, mean });
    for (let ch = 0; ch < 3; ch++) {
      expect(got.sumDy[ch]).toBeCloseTo(want.sumDy[ch]!, 8);
      expect(got.sumDyXmu[ch]).toBeCloseTo(want.sumDyXmu[ch]!, 8);
    }
    const y = new Float64Array(total);
    const yRef = new Float64Array(total);
    const ev = { x, dims, weight: null, bias: null, mean, invstd };
    b.forwardEval({ ...ev, y });
    tsBackend.forwardEval({ ...ev, y: yRef });
    let mismatches = 0;
    for (let i = 0; i < total; i++) if (y[i] !== yRef[i]) mismatches++;
    expect(mismatches).toBe(0);
  });
});
