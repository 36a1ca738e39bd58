#!/usr/bin/env node
// `npm test`: everything CI checks, in order, stopping at the first failure.
//   typecheck → lint → native addons (CPU/CUDA kernels, gloo) → WebAssembly kernels → security audit → app build →
//   CUDA kernels for the CPU emulator → unit, parity and differential tests (vitest) → the parity
//   suite on the emulated CUDA backend → e2e in browser mode.
// Outside CI a missing compiler or libgloo only skips the native backends (the engine falls back to
// TypeScript, ranks to the ipc backend); in CI (CI=true) the addons must build.
// Ends with one line `tests: N passed, N failed, N skipped` over vitest and e2e together.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { resolve } from 'node:path';

const inCI = !!process.env.CI && process.env.CI !== 'false';
mkdirSync('.tmp', { recursive: true });
const VITEST_JSON = '.tmp/vitest-results.json';
const EMU_JSON = '.tmp/vitest-cuda-emu.json';
const EMU_ADDON = 'native/build/cuda-emu/Release/normscope.node';
const EMU_FILES = [
  'native/cuda-emu/emulatedCuda.emu.test.ts',
  'engine/backend/cudaResidency.emu.test.ts',
  'app/host/stepResidency.emu.test.ts',
  'engine/backend/nativeBackend.test.ts',
  'engine/nn/batchnorm.parity.test.ts',
  'engine/nn/syncBatchNorm.parity.test.ts',
  'engine/nn/lazy.parity.test.ts',
  'engine/nn/functional.parity.test.ts',
  'engine/nn/gradcheck.test.ts',
  'engine/nn/batchnorm.differential.test.ts',
  'bench/batchnorm.bench.test.ts',
  // Imported models on the cuda backend: the tiny torch exports (outputs, running stats, gradients) and the
  // window's Models handlers.
  'engine/model/graphModule.test.ts',
  'app/host/models.test.ts',
  'app/host/modelTraining.test.ts',
];

const steps = [
  ['typecheck', 'npm', ['run', '-s', 'typecheck']],
  ['lint', 'npm', ['run', '-s', 'lint']],
  ['native addon (CPU/CUDA kernels)', 'node', ['tools/build-native.mjs'], { optional: !inCI }],
  ['native addon (gloo collectives)', 'node', ['tools/build-gloo.mjs'], { optional: !inCI }],
  // The WebAssembly fallback is committed; CI rebuilds it from the kernel sources (clang + lld) and the
  // parity suite then runs on it like any other available backend.
  ['WebAssembly kernels (wasm backend)', 'node', ['tools/build-wasm.mjs'], { optional: !inCI }],
  ['security audit (Electronegativity)', 'node', ['tools/audit.mjs']],
  ['app build', 'npm', ['run', '-s', 'build']],
  ['CUDA kernels on the CPU emulator (build)', 'node', ['tools/build-cuda-emu.mjs'], { optional: !inCI }],
  [
    'unit, parity and differential tests',
    'npx',
    ['vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${VITEST_JSON}`],
  ],
  // The parity suite again, on the `cuda` backend of the addon whose CUDA kernels run on the emulator:
  // no GPU here, but the CUDA kernels and the engine's CUDA path run end to end.
  [
    'parity on the emulated CUDA backend',
    'npx',
    ['vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${EMU_JSON}`, ...EMU_FILES],
    {
      requires: EMU_ADDON,
      json: EMU_JSON,
      env: { NORMSCOPE_ADDON: resolve(EMU_ADDON), NORMSCOPE_CUDA_EMU_STAGE: '1', NORMSCOPE_TEST_BACKENDS: 'cuda' },
    },
  ],
  ['e2e (browser mode)', 'node', ['e2e/run.mjs'], { capture: true }],
];

const totals = { passed: 0, failed: 0, skipped: 0 };

function countVitest(file) {
  if (!existsSync(file)) return;
  const r = JSON.parse(readFileSync(file, 'utf8'));
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
  if (opts.requires && !existsSync(opts.requires)) {
    console.log(`\n== ${name}: skipped (${opts.requires} was not built)`);
    continue;
  }
  console.log(`\n== ${name} ==`);
  if (args[0] === 'vitest') rmSync(opts.json ?? VITEST_JSON, { force: true }); // never count a stale run
  const t0 = Date.now();
  const r = spawnSync(cmd, args, {
    stdio: opts.capture ? ['inherit', 'pipe', 'inherit'] : 'inherit',
    encoding: 'utf8',
    maxBuffer: 1 << 28,
    env: opts.env ? { ...process.env, ...opts.env } : process.env,
  });
  if (opts.capture) {
    process.stdout.write(r.stdout ?? '');
    countE2e(r.stdout ?? '');
  }
  if (args[0] === 'vitest') countVitest(opts.json ?? VITEST_JSON);
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
