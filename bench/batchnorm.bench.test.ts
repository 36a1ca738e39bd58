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
    for (const s of r.shapes) {
      expect(s.copy.bestGBps).toBeGreaterThan(0);
      for (const op of OPS) {
        for (const e of r.engines) {
          expect(s.ops[op].ms[e]).toBeGreaterThan(0);
          expect(s.ops[op].ofCopy[e]).toBeGreaterThan(0);
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
