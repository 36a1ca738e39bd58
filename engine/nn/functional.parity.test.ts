/**
 * Parity with torch.nn.functional.batch_norm (SPEC.md checklist item 5 and the numbers behind the
 * modules): size checks and the order in which they fire, eval without running stats, the
 * one-value-per-channel rule, forward values, running-stat updates and gradients, on every backend.
 */
import { describe, expect, it } from 'vitest';
import { functional } from '../index.js';
import { captureEngine, loadFixture, toTensor, type EncError, type EncTensor } from './testing/fixtures.js';
import { compareError, compareTensor } from './testing/compare.js';
import { availableBackends, withBackend } from './testing/backends.js';
import { replayScenario, type Scenario } from './testing/scenario.js';

interface FnCase {
  name: string;
  input: EncTensor;
  gradOut: EncTensor | null;
  runningMean: EncTensor | null;
  runningVar: EncTensor | null;
  weight: EncTensor | null;
  bias: EncTensor | null;
  training: boolean;
  momentum: number;
  eps: number;
  expect: {
    error?: EncError;
    output?: EncTensor;
    runningMean?: EncTensor | null;
    runningVar?: EncTensor | null;
    gradInput?: EncTensor;
    gradWeight?: EncTensor | null;
    gradBias?: EncTensor | null;
  };
}

function run(c: FnCase): string[] {
  const problems: string[] = [];
  const grad = c.gradOut !== null;
  const x = toTensor(c.input, grad);
  const rm = c.runningMean ? toTensor(c.runningMean) : null;
  const rv = c.runningVar ? toTensor(c.runningVar) : null;
  const w = c.weight ? toTensor(c.weight, grad) : null;
  const b = c.bias ? toTensor(c.bias, grad) : null;
  const r = captureEngine(() =>
    functional.batchNorm(x, rm, rv, { weight: w, bias: b, training: c.training, momentum: c.momentum, eps: c.eps }),
  );
  compareError(problems, 'error', r.error, c.expect.error ?? null);
  if (r.error || !r.value) return problems;
  const y = r.value;
  compareTensor(problems, 'output', y, c.expect.output);
  compareTensor(problems, 'runningMean', rm, c.expect.runningMean);
  compareTensor(problems, 'runningVar', rv, c.expect.runningVar);
  if (grad) {
    y.backward(toTensor(c.gradOut!));
    compareTensor(problems, 'gradInput', x.grad, c.expect.gradInput);
    compareTensor(problems, 'gradWeight', w ? w.grad : null, c.expect.gradWeight);
    compareTensor(problems, 'gradBias', b ? b.grad : null, c.expect.gradBias);
  }
  return problems;
}

const fx = loadFixture<{
  cases: FnCase[];
  mixedDtype: { functional: FnCase[]; modules: Scenario[] };
  oneDimInput: FnCase[];
}>('functional.json');

describe.each(availableBackends())('functional.batchNorm parity on the %s backend', (backend) => {
  it('has cases', () => {
    expect(fx.cases.length).toBeGreaterThan(20);
  });
  for (const c of fx.cases) {
    it(c.name, () => {
      expect(withBackend(backend, () => run(c))).toEqual([]);
    });
  }
});

/**
 * Mixed float dtypes in one call (a float64 input into a float32 module, or the reverse): PyTorch
 * refuses every combination with a RuntimeError (1.13's texts: "mixed dtype (CPU): expect input to
 * have scalar type of BFloat16" / "... expect parameter to have scalar type of Float"), after the
 * module has bumped its counter, and leaves the running stats untouched.
 *
 * functional.batchNorm checks that running stats, weight and bias share the input's dtype, after the
 * size checks, as 1.13's CPU kernel does.
 */
describe('mixed float dtypes are refused like PyTorch', () => {
  for (const c of fx.mixedDtype.functional) {
    it(`functional: ${c.name}`, () => {
      expect(run(c)).toEqual([]);
    });
  }
  for (const sc of fx.mixedDtype.modules) {
    it(`module: ${sc.name}`, () => {
      expect(replayScenario(sc)).toEqual([]);
    });
  }
});

/**
 * A 1-D input to functional.batchNorm: PyTorch 1.13 answers RuntimeError "running_mean should
 * contain 0 elements not 3" (it reads C from a missing dimension); the engine raises its own
 * ValueError "batch_norm expected at least 2D input (got 1D input)" only when no size check fires
 * first. Modules never get here (their dimension checks run first).
 */
describe('1-D input to functional.batchNorm fails like PyTorch', () => {
  for (const c of fx.oneDimInput) {
    it(c.name, () => {
      expect(run(c)).toEqual([]);
    });
  }
});
