/**
 * The module-path benchmark's harness and report (not its timings): every available backend runs every
 * path on tiny shapes and the stack step, and the report has a ratio slot per backend and path, a goal
 * row per goal, and a table naming every shape. PyTorch is left out to keep the test fast.
 */
import { describe, expect, it } from 'vitest';
import { formatModuleTable, GOALS, PATHS, runModuleBench } from './module.bench.js';
import { backendInfo } from '../engine/index.js';

describe('runModuleBench', () => {
  it('times every path on every available backend and reports ratios and goals', () => {
    const requested = backendInfo().requested;
    const available = backendInfo()
      .backends.filter((b) => b.available && b.name !== 'cuda')
      .map((b) => b.name);
    const r = runModuleBench({
      shapes: [
        [4, 3, 5, 5],
        [16, 6],
        [2, 3, 2, 3, 4],
      ],
      minSeconds: 0.005,
      noTorch: true,
      stackShape: [2, 4, 3, 3],
      log: () => {},
    });
    expect([...r.backends].sort()).toEqual(available.filter((b) => ['cpu', 'wasm', 'ts'].includes(b)).sort());
    expect(r.shapes).toHaveLength(3);
    for (const s of r.shapes) {
      expect(s.copy.median).toBeGreaterThanOrEqual(0);
      for (const p of PATHS) {
        expect(s.times[p].torch).toBeNull();
        for (const b of r.backends) {
          expect(s.times[p][b]!.median).toBeGreaterThan(0);
          expect(s.times[p][b]!.min).toBeLessThanOrEqual(s.times[p][b]!.median);
          expect(s.vsTorch[p][b]).toBeNull();
        }
      }
    }
    expect(r.stack?.layers).toBe(10);
    for (const b of r.backends) expect(r.stack!.times[b]!.median).toBeGreaterThan(0);
    const goalRows = r.backends.filter((b) => GOALS[b]).length * PATHS.length;
    expect(r.goals).toHaveLength(goalRows);
    for (const g of r.goals) expect(g).toMatchObject({ met: 0, of: 0, worst: null });
    expect(r.notes).toContain('PyTorch skipped (--no-torch)');
    const table = formatModuleTable(r);
    for (const s of ['(4,3,5,5)', '(16,6)', '(2,3,2,3,4)', 'backwardOp', 'stack (2,4,3,3)', 'note: PyTorch skipped'])
      expect(table).toContain(s);
    // the bench leaves the backend it found
    expect(backendInfo().requested).toBe(requested);
  });
});
