#!/usr/bin/env node
// `npm test`: everything CI checks, in order, stopping at the first failure.
//   typecheck → lint → native addons (CPU/CUDA kernels, gloo) → security audit → app build →
//   unit, parity and differential tests (vitest) → e2e in browser mode.
// Outside CI a missing compiler or libgloo only skips the native backends (the engine falls back to
// TypeScript, ranks to the ipc backend); in CI (CI=true) the addons must build.
// Ends with one line `tests: N passed, N failed, N skipped` over vitest and e2e together.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';

const inCI = !!process.env.CI && process.env.CI !== 'false';
mkdirSync('.tmp', { recursive: true });
const VITEST_JSON = '.tmp/vitest-results.json';

const steps = [
  ['typecheck', 'npm', ['run', '-s', 'typecheck']],
  ['lint', 'npm', ['run', '-s', 'lint']],
  ['native addon (CPU/CUDA kernels)', 'node', ['tools/build-native.mjs'], { optional: !inCI }],
  ['native addon (gloo collectives)', 'node', ['tools/build-gloo.mjs'], { optional: !inCI }],
  ['security audit (Electronegativity)', 'node', ['tools/audit.mjs']],
  ['app build', 'npm', ['run', '-s', 'build']],
  ['unit, parity and differential tests', 'npx', ['vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${VITEST_JSON}`]],
  ['e2e (browser mode)', 'node', ['e2e/run.mjs'], { capture: true }],
];

const totals = { passed: 0, failed: 0, skipped: 0 };

function countVitest() {
  if (!existsSync(VITEST_JSON)) return;
  const r = JSON.parse(readFileSync(VITEST_JSON, 'utf8'));
  totals.passed += r.numPassedTests ?? 0;
  totals.failed += r.numFailedTests ?? 0;
  totals.skipped += (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
}

function countE2e(out) {
  const m = [...out.matchAll(/^(?:\w+: )?(\d+) passed, (\d+) failed(?:, (\d+) skipped)?\s*$/gm)].pop();
  if (!m) return;
  totals.passed += Number(m[1]);
  totals.failed += Number(m[2]);
  totals.skipped += Number(m[3] ?? 0);
}

function summary() {
  console.log(`\ntests: ${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`);
}

for (const [name, cmd, args, opts = {}] of steps) {
  if (cmd === 'node' && !existsSync(args[0])) continue;
  console.log(`\n== ${name} ==`);
  const t0 = Date.now();
  const r = spawnSync(cmd, args, {
    stdio: opts.capture ? ['inherit', 'pipe', 'inherit'] : 'inherit',
    encoding: 'utf8',
    maxBuffer: 1 << 28,
  });
  if (opts.capture) {
    process.stdout.write(r.stdout ?? '');
    countE2e(r.stdout ?? '');
  }
  if (args[0] === 'vitest') countVitest();
  const secs = ((Date.now() - t0) / 1000).toFixed(1);
  if (r.status !== 0) {
    if (opts.optional) {
      console.log(`== ${name}: unavailable (exit ${r.status}); continuing without it (${secs}s)`);
      continue;
    }
    console.error(`== ${name} FAILED (exit ${r.status ?? r.signal}, ${secs}s)`);
    summary();
    process.exit(r.status || 1);
  }
  console.log(`== ${name} ok (${secs}s)`);
}
summary();
