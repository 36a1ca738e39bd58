/**
 * The benchmark harness itself (not its timings): it runs every engine on tiny shapes (CUDA too where
 * available), reports a
 * time and a copy ratio for each op, and its table names every shape. PyTorch is left out here to
 * keep the test fast; `npm run bench` includes it.
 */
import { describe, expect, it } from 'vitest';
import { formatTable, OPS, runBatchNormBench } from './batchnorm.bench.js';

describe('runBatchNormBench', () => {
  it('measures every engine and op on the given shapes and formats a table', () => {
    const r = runBatchNormBench({
      shapes: [
        [4, 3, 5, 5],
        [16, 6],
      ],
      minSeconds: 0.01,
      noTorch: true,
      log: () => {},
    });
    expect(r.shapes).toHaveLength(2);
    expect(r.engines[0]).toBe('ts');
    // Floors per element (DESIGN.md's performance method): train 3·s, eval 2·s, backward 5·s; copy 2·s.
    const floor: Record<string, number> = { train: 3, eval: 2, backward: 5 };
    for (const s of r.shapes) {
      expect(s.elements).toBe(s.shape.reduce((a, b) => a * b, 1));
      const bestCopyMs = Math.min(s.copy.typedArraySetMs, s.copy.nativeMs ?? Infinity);
      expect(Number.isFinite(bestCopyMs) && bestCopyMs > 0).toBe(true);
      // The copy bandwidth is what the best copy time and 2·s bytes per element give…
      expect(s.copy.bestGBps).toBeCloseTo((2 * s.elements * s.bytesPerElement) / (bestCopyMs * 1e6), 9);
      for (const op of OPS) {
        for (const e of r.engines) {
          const ms = s.ops[op].ms[e]!;
          expect(Number.isFinite(ms) && ms > 0, `${op} ${e} time`).toBe(true);
          expect(s.ops[op].minMs[e]!).toBeLessThanOrEqual(ms);
          // …and "of copy" is the op's floor bandwidth over it, so a wrong byte count or time shows here.
          const floorGBps = (floor[op]! * s.elements * s.bytesPerElement) / (ms * 1e6);
          expect(s.ops[op].ofCopy[e]).toBeCloseTo(floorGBps / s.copy.bestGBps, 9);
          expect(s.ops[op].vsTorch[e]).toBeNull();
        }
      }
    }
    const table = formatTable(r);
    expect(table).toContain('(4,3,5,5)');
    expect(table).toContain('(16,6)');
    expect(table).toMatch(/note: PyTorch skipped/);
    // one column group per engine; CUDA is measured where it is available (the emulated-CUDA stage of
    // `npm test` runs this file with the emulator's addon) and otherwise says why not
    for (const e of r.engines.filter((n) => n !== 'torch')) expect(table).toContain(`${e} ms`);
    if (r.engines.includes('cuda')) {
      expect(r.machine.cudaDevice).toBeTruthy();
      expect(table).toContain(`cuda: ${r.machine.cudaDevice}; through Node, host↔device copies of every call included`);
      expect(r.engines).toContain('cuda-resident');
      expect(table).toContain('cuda-resident: the same kernels on tensors already on the device');
    } else {
      expect(r.machine.cudaDevice).toBeNull();
      expect(table).toMatch(/note: cuda not measured: /);
    }
  });
});
