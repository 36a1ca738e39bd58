#!/usr/bin/env node
// The `normscope` launcher: runs the compiled CLI (dist/app/cli/main.js) when the package is built and
// the build is not older than the TypeScript sources next to it; otherwise the sources through tsx, so a
// fresh clone (or a checkout edited since the last build) runs what is on disk.
// NORMSCOPE_FROM_SOURCE=1 forces the sources.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const built = join(root, 'dist', 'app', 'cli', 'main.js');
const source = join(root, 'app', 'cli', 'main.ts');

/** Newest modification time of the .ts files under `dir` (0 when there are none). */
function newestSource(dir) {
  let newest = 0;
  if (!existsSync(dir)) return 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) {
      if (e.name !== 'node_modules' && e.name !== 'fixtures') newest = Math.max(newest, newestSource(p));
    } else if (e.name.endsWith('.ts') && !e.name.endsWith('.test.ts')) newest = Math.max(newest, statSync(p).mtimeMs);
  }
  return newest;
}

function useBuilt() {
  if (!existsSync(built)) return false;
  if (!existsSync(source)) return true; // packaged: no sources
  if (process.env.NORMSCOPE_FROM_SOURCE === '1') return false;
  const builtAt = statSync(built).mtimeMs;
  return newestSource(join(root, 'app')) <= builtAt && newestSource(join(root, 'engine')) <= builtAt;
}

let entry = built;
if (!useBuilt()) {
  try {
    const { register } = await import('tsx/esm/api');
    register();
  } catch {
    process.stderr.write(
      'normscope: not built (dist/app/cli/main.js missing or stale) and tsx is not installed; run `npm run build` or `npm install`\n',
    );
    process.exit(2);
  }
  entry = source;
  // Said once per run on stderr (stdout stays the command's own, e.g. --json), unless asked for.
  if (process.env.NORMSCOPE_FROM_SOURCE !== '1') {
    process.stderr.write(
      `normscope: running the TypeScript sources (${existsSync(built) ? 'the build is older than them' : 'not built'}); \`npm run build\` makes the compiled CLI start faster\n`,
    );
  }
}
const { runCli } = await import(pathToFileURL(entry).href);
try {
  process.exitCode = await runCli(process.argv.slice(2));
} catch (e) {
  process.stderr.write(`normscope: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exitCode = 2;
}
