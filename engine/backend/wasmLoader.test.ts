/**
 * The WebAssembly backend's loading and reporting (its numbers are checked kernel by kernel in
 * nativeBackend.test.ts and, through the public API, by the parity suite on every available backend).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadWasmBackend } from './wasmLoader.js';
import { backendInfo, getBackend, setBackend } from './registry.js';
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
