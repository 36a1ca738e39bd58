#!/usr/bin/env node
// The `normscope` launcher: runs the compiled CLI (dist/app/cli/main.js) when the package is built,
// otherwise the TypeScript source through tsx, so a fresh clone works without a build step.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const built = join(root, 'dist', 'app', 'cli', 'main.js');
let entry = built;
if (!existsSync(built)) {
  try {
    const { register } = await import('tsx/esm/api');
    register();
  } catch {
    process.stderr.write(
      'normscope: not built (dist/app/cli/main.js missing) and tsx is not installed; run `npm run build` or `npm install`\n',
    );
    process.exit(2);
  }
  entry = join(root, 'app', 'cli', 'main.ts');
}
const { runCli } = await import(pathToFileURL(entry).href);
try {
  process.exitCode = await runCli(process.argv.slice(2));
} catch (e) {
  process.stderr.write(`normscope: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exitCode = 2;
}
