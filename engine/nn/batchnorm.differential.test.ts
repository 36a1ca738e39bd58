/**
 * Differential test against live PyTorch: a few hundred random BatchNorm scenarios (see
 * testing/randomScenarios.ts) are generated here with a seeded generator, sent in ONE batch to one
 * Python process running real torch (tools/batchnorm_oracle.py), and replayed on the engine on
 * every available backend. Forward outputs, running stats, counters, input grads and weight/bias
 * grads are compared step by step (tolerance: testing/compare.ts). The same process also answers
 * random SyncBatchNorm cases over 1–5 simulated ranks (uneven and empty shards), which the engine's
 * real SyncBatchNorm must reproduce rank by rank (testing/simulatedRanks.ts), and 16 larger cases
 * (10k–60k elements) that reach the native kernels' blocked and threaded paths; big tensors travel
 * as base64 (testing/binaryJson.ts).
 *
 * Skips with a printed reason when no python3 with torch is found. NORMSCOPE_DIFF_CASES and
 * NORMSCOPE_DIFF_SEED change the count and the seed (the seed is printed, so a failure can be rerun).
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { findTorchPython, runTorchPython } from '../../tools/torchPython.js';
import { largeScenarios, randomConcatSpecs, randomScenarios } from './testing/randomScenarios.js';
import { BINARY_MIN, parseBinary, stringifyBinary } from './testing/binaryJson.js';
import { runConcat, type ConcatCase } from './testing/simulatedRanks.js';
import { replayScenario, type StepResult } from './testing/scenario.js';
import { availableBackends, withBackend } from './testing/backends.js';
import { worstScaledError } from './testing/compare.js';

const COUNT = Number(process.env.NORMSCOPE_DIFF_CASES ?? 300);
const SYNC_COUNT = Math.max(1, Math.round(COUNT / 5));
const SEED = Number(process.env.NORMSCOPE_DIFF_SEED ?? 20261129);
const ORACLE = fileURLToPath(new URL('../../tools/batchnorm_oracle.py', import.meta.url));

const python = findTorchPython();
if (!python) console.log('differential: skipped — no python3 that can import torch (apt-get install python3-torch)');

describe.skipIf(!python)('BatchNorm differential test against live PyTorch', () => {
  const scenarios = [...randomScenarios(SEED, COUNT), ...largeScenarios(SEED + 2)];
  const concatSpecs = randomConcatSpecs(SEED + 1, SYNC_COUNT);
  let torchVersion = '';
  let results: (StepResult[] | { oracleError: string })[] = [];
  let concat: (ConcatCase | { oracleError: string })[] = [];

  it('gets one answer per case from one PyTorch process', () => {
    const script = `import runpy, sys; sys.argv = [${JSON.stringify(ORACLE)}]; runpy.run_path(sys.argv[0], run_name='__main__')`;
    const request = stringifyBinary({ cases: scenarios, concat: concatSpecs, binaryMin: BINARY_MIN });
    const out = parseBinary<{
      torch: string;
      results: typeof results;
      concat: typeof concat;
    }>(runTorchPython(script, request));
    torchVersion = out.torch;
    results = out.results;
    concat = out.concat;
    expect(results.length).toBe(scenarios.length);
    expect(concat.length).toBe(concatSpecs.length);
    expect([...results, ...concat].filter((r) => 'oracleError' in r)).toEqual([]);
  }, 300_000); // one torch process for every case; generous for a loaded 2-core CI machine

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
          errors += res.filter((r) => r.error || r.backwardError).length;
          const problems = replayScenario(sc, res);
          if (problems.length) failures.push(`${sc.name} (seed ${SEED}): ${problems.slice(0, 3).join(' | ')}`);
        });
      });
      console.log(
        `differential: compared ${scenarios.length} cases (${steps} forward steps, ${errors} expected forward/backward errors) ` +
          `against torch ${torchVersion} on the ${backend} backend; ${failures.length} mismatched; ` +
          `worst |a-b|/max(1,|b|): float64 ${(worstScaledError.get(1e-6) ?? 0).toExponential(1)} (tol 1e-6), ` +
          `float32 ${(worstScaledError.get(1e-5) ?? 0).toExponential(1)} (tol 1e-5)`,
      );
      expect(failures).toEqual([]);
    });

    it(`SyncBatchNorm over simulated ranks matches PyTorch on the concatenation (${backend} backend)`, () => {
      expect(concat.length).toBe(concatSpecs.length);
      const failures: string[] = [];
      let rankSteps = 0;
      withBackend(backend, () => {
        for (const c of concat as ConcatCase[]) {
          rankSteps += c.steps.length * c.perRankBatch.length;
          const problems = runConcat(c);
          if (problems.length) failures.push(`${c.name} (seed ${SEED + 1}): ${problems.slice(0, 3).join(' | ')}`);
        }
      });
      console.log(
        `differential: compared ${concat.length} SyncBatchNorm cases (${rankSteps} rank-steps over 1-5 simulated ranks) ` +
          `against torch ${torchVersion} on the ${backend} backend; ${failures.length} mismatched`,
      );
      expect(failures).toEqual([]);
    });
  }
});
