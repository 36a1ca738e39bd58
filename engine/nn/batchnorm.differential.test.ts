/**
 * Differential test against live PyTorch: a few hundred random BatchNorm scenarios (see
 * testing/randomScenarios.ts) are generated here with a seeded generator, sent in ONE batch to one
 * Python process running real torch (tools/batchnorm_oracle.py), and replayed on the engine on
 * every available backend. Forward outputs, running stats, counters, input grads and weight/bias
 * grads are compared step by step (tolerance: testing/compare.ts).
 *
 * Skips with a printed reason when no python3 with torch is found. NORMSCOPE_DIFF_CASES and
 * NORMSCOPE_DIFF_SEED change the count and the seed (the seed is printed, so a failure can be rerun).
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { findTorchPython, runTorchPython } from '../../tools/torchPython.js';
import { randomScenarios } from './testing/randomScenarios.js';
import { replayScenario, type StepResult } from './testing/scenario.js';
import { availableBackends, withBackend } from './testing/backends.js';
import { worstScaledError } from './testing/compare.js';

const COUNT = Number(process.env.NORMSCOPE_DIFF_CASES ?? 300);
const SEED = Number(process.env.NORMSCOPE_DIFF_SEED ?? 20261129);
const ORACLE = fileURLToPath(new URL('../../tools/batchnorm_oracle.py', import.meta.url));

const python = findTorchPython();
if (!python) console.log('differential: skipped — no python3 that can import torch (apt-get install python3-torch)');

describe.skipIf(!python)('BatchNorm differential test against live PyTorch', () => {
  const scenarios = randomScenarios(SEED, COUNT);
  let torchVersion = '';
  let results: (StepResult[] | { oracleError: string })[] = [];

  it('gets one answer per scenario from one PyTorch process', () => {
    const script = `import runpy, sys; sys.argv = [${JSON.stringify(ORACLE)}]; runpy.run_path(sys.argv[0], run_name='__main__')`;
    const out = JSON.parse(runTorchPython(script, JSON.stringify({ cases: scenarios }))) as {
      torch: string;
      results: typeof results;
    };
    torchVersion = out.torch;
    results = out.results;
    expect(results.length).toBe(scenarios.length);
    expect(results.filter((r) => 'oracleError' in r)).toEqual([]);
  });

  for (const backend of availableBackends()) {
    it(`matches PyTorch on the ${backend} backend`, () => {
      expect(results.length).toBe(scenarios.length);
      const failures: string[] = [];
      let steps = 0;
      let errors = 0;
      worstScaledError.clear();
      withBackend(backend, () => {
        scenarios.forEach((sc, i) => {
          const res = results[i] as StepResult[];
          steps += sc.steps.filter((s) => s.op === 'forward').length;
          errors += res.filter((r) => r.error).length;
          const problems = replayScenario(sc, res);
          if (problems.length) failures.push(`${sc.name} (seed ${SEED}): ${problems.slice(0, 3).join(' | ')}`);
        });
      });
      console.log(
        `differential: compared ${scenarios.length} cases (${steps} forward steps, ${errors} expected errors) ` +
          `against torch ${torchVersion} on the ${backend} backend; ${failures.length} mismatched; ` +
          `worst |a-b|/max(1,|b|): float64 ${(worstScaledError.get(1e-6) ?? 0).toExponential(1)} (tol 1e-6), ` +
          `float32 ${(worstScaledError.get(1e-5) ?? 0).toExponential(1)} (tol 1e-5)`,
      );
      expect(failures).toEqual([]);
    });
  }
});
