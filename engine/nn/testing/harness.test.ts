/**
 * Negative controls for the parity harness: the comparison helpers, the scenario replay and the
 * gradient check must report a difference when there is one. Without these, a harness bug (a
 * comparison that skips everything) would make every parity test pass vacuously.
 */
import { describe, expect, it } from 'vitest';
import { add, mul, noGrad, sum, tensor, ValueError } from '../../index.js';
import { close, compareError, compareTensor } from './compare.js';
import { captureEngine, loadFixture } from './fixtures.js';
import { replayScenario, type Scenario } from './scenario.js';
import { gradcheck } from './gradcheck.js';
import { TestRng } from './random.js';

describe('comparison helpers', () => {
  it('use |a−b| <= tol·max(1,|b|)', () => {
    expect(close(1 + 0.9e-6, 1, 1e-6)).toBe(true);
    expect(close(1 + 1.1e-6, 1, 1e-6)).toBe(false);
    expect(close(1000 + 0.9e-3, 1000, 1e-6)).toBe(true);
    expect(close(1000 + 1.1e-3, 1000, 1e-6)).toBe(false);
    expect(close(1e-9, 0, 1e-6)).toBe(true);
    expect(close(NaN, 0, 1e-6)).toBe(false);
  });

  it('report dtype, shape, value and None mismatches', () => {
    const p: string[] = [];
    const t = tensor(Float64Array.from([1, 2, 3]), { shape: [3] });
    compareTensor(p, 'dtype', t, { dtype: 'float32', shape: [3], data: [1, 2, 3] });
    compareTensor(p, 'shape', t, { dtype: 'float64', shape: [1, 3], data: [1, 2, 3] });
    compareTensor(p, 'value', t, { dtype: 'float64', shape: [3], data: [1, 2, 3.001] });
    compareTensor(p, 'none', t, null);
    compareTensor(p, 'missing', null, { dtype: 'float64', shape: [3], data: [1, 2, 3] });
    expect(p.map((s) => s.split(':')[0])).toEqual(['dtype', 'shape', 'value', 'none', 'missing']);
    const ok: string[] = [];
    compareTensor(ok, 'same', t, { dtype: 'float64', shape: [3], data: [1, 2, 3] });
    expect(ok).toEqual([]);
  });

  it('compare error types and texts exactly', () => {
    const err = captureEngine(() => {
      throw new ValueError('expected 4D input (got 3D input)');
    }).error;
    const p: string[] = [];
    compareError(p, 'same', err, { type: 'ValueError', message: 'expected 4D input (got 3D input)' });
    compareError(p, 'type', err, { type: 'RuntimeError', message: 'expected 4D input (got 3D input)' });
    compareError(p, 'text', err, { type: 'ValueError', message: 'expected 4D input (got 3D input).' });
    compareError(p, 'none expected', err, null);
    compareError(p, 'none raised', null, { type: 'ValueError', message: 'x' });
    expect(p.map((s) => s.split(':')[0])).toEqual(['type', 'text', 'none expected', 'none raised']);
  });
});

describe('scenario replay', () => {
  it('reports perturbed outputs, gradients, running stats and counters', () => {
    const fx = loadFixture<{ cases: Scenario[] }>('forward_train.json');
    const sc = structuredClone(fx.cases.find((c) => c.steps.length >= 2 && c.args.dtype === 'float64')!);
    expect(replayScenario(sc)).toEqual([]);
    const s0 = sc.steps[0]!.expect!;
    const s1 = sc.steps[1]!.expect!;
    s0.output!.data[1]! += 1e-4;
    s1.gradInput!.data[0]! -= 1e-3;
    s1.state.runningVar!.data[0]! *= 1.001;
    s1.state.numBatchesTracked = 7;
    const problems = replayScenario(sc);
    expect(problems.some((p) => p.startsWith('step 0 (forward train) output'))).toBe(true);
    expect(problems.some((p) => p.startsWith('step 1 (forward train) gradInput'))).toBe(true);
    expect(problems.some((p) => p.includes('state runningVar'))).toBe(true);
    expect(problems.some((p) => p.includes('numBatchesTracked: got 2, expected 7'))).toBe(true);
  });
});

describe('gradcheck', () => {
  it('passes a correct gradient and catches one that autograd does not see', () => {
    const rng = new TestRng(1);
    const x = tensor(Float64Array.from([0.5, -1.5, 2]), { shape: [3], requiresGrad: true });
    const g = tensor(Float64Array.from([1, 2, 3]), { shape: [3] });
    expect(gradcheck(() => sum(mul(x, g)), { x }, rng)).toEqual([]);
    // Σx² enters as a constant computed without autograd: its 2x never reaches x.grad.
    const hiddenTerm = () =>
      add(
        sum(mul(x, g)),
        noGrad(() => sum(mul(x, x))),
      );
    expect(gradcheck(hiddenTerm, { x }, rng)).toHaveLength(3);
  });
});
