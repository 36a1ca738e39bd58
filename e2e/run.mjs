#!/usr/bin/env node
// What tools/run-tests.mjs runs after `npm run build`: the e2e suite in browser mode (and the
// Electron project when the Electron binary is installed). The suite is TypeScript, run through tsx.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

if (!existsSync('dist/app/cli/serve.js') || !existsSync('dist/renderer/index.html')) {
  console.error(
    'e2e: the app is not built (dist/app/cli/serve.js or dist/renderer/index.html missing); run `npm run build` first',
  );
  process.exit(1);
}
const r = spawnSync(process.execPath, ['--import', 'tsx', 'e2e/suite.ts', ...process.argv.slice(2)], {
  stdio: 'inherit',
});
process.exit(r.status ?? 1);
