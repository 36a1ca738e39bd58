#!/usr/bin/env node
// `npm test`: everything CI checks, in order, stopping at the first failure.
//   1. typecheck   2. lint   3. native addon build (a missing compiler is reported, not fatal)
//   4. unit, parity and differential tests (vitest)   5. app build + e2e in browser mode (when present)
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const steps = [
  ['typecheck', 'npm', ['run', '-s', 'typecheck']],
  ['lint', 'npm', ['run', '-s', 'lint']],
  ['native addon', 'node', ['tools/build-native.mjs'], { optional: true }],
  ['unit and parity tests', 'npx', ['vitest', 'run']],
];
if (existsSync('e2e/run.mjs')) {
  steps.push(['app build', 'npm', ['run', '-s', 'build']]);
  steps.push(['e2e (browser mode)', 'node', ['e2e/run.mjs']]);
}

for (const [name, cmd, args, opts = {}] of steps) {
  if (cmd === 'node' && !existsSync(args[0])) continue;
  console.log(`\n== ${name} ==`);
  const t0 = Date.now();
  const r = spawnSync(cmd, args, { stdio: 'inherit' });
  const secs = ((Date.now() - t0) / 1000).toFixed(1);
  if (r.status !== 0) {
    if (opts.optional) {
      console.log(`== ${name}: unavailable (exit ${r.status}); continuing on the TypeScript backend (${secs}s)`);
      continue;
    }
    console.error(`== ${name} FAILED (exit ${r.status}, ${secs}s)`);
    process.exit(r.status ?? 1);
  }
  console.log(`== ${name} ok (${secs}s)`);
}
