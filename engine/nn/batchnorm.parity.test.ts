/**
 * Parity with PyTorch for the BatchNorm modules' numbers and errors (SPEC.md checklist items 2-7
 * and PyTorch's own BatchNorm module tests), replayed from fixtures that real PyTorch 1.13 wrote
 * (tools/make_parity_fixtures.py). Every case runs on every backend available here.
 *
 * SyncBatchNorm cases are the seed's local fallback (no process group): PyTorch 1.13 refuses CPU
 * input outright ("SyncBatchNorm expected input tensor to be on GPU"); the seed (2.x) runs plain
 * batch norm, which is what the fixture records and these tests pin.
 */
import { describe, expect, it } from 'vitest';
import { loadFixture } from './testing/fixtures.js';
import { replayScenario, type Scenario } from './testing/scenario.js';
import { availableBackends, withBackend } from './testing/backends.js';

const FILES = [
  'input_checks.json',
  'forward_train.json',
  'forward_eval.json',
  'zero_batch.json',
  'backward.json',
  'dtypes.json',
  'module_tests.json',
] as const;

const backends = availableBackends();

describe.each(backends)('BatchNorm parity with PyTorch on the %s backend', (backend) => {
  for (const file of FILES) {
    const fx = loadFixture<{ cases: Scenario[] }>(file);
    describe(`${file} (${fx.area})`, () => {
      it('has cases', () => {
        expect(fx.cases.length).toBeGreaterThan(0);
      });
      for (const sc of fx.cases) {
        it(sc.name, () => {
          const problems = withBackend(backend, () => replayScenario(sc));
          expect(problems).toEqual([]);
        });
      }
    });
  }
});
