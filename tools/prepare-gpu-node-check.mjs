#!/usr/bin/env node
// Packs what native/gpu-check/node-run.sh needs on a GPU machine that has no Node or npm, into
// native/gpu-check/carry/ (git-ignored; name it in the device tool's `carry`):
//   node.xz          this machine's Node binary, xz-compressed
//   normscope.node   the built addon (run `npm run build:native` first: CPU + CUDA when nvcc was found)
//   node-check.mjs   native/gpu-check/nodeCheck.ts bundled with the engine (esbuild)
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSync } from 'esbuild';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const carry = join(root, 'native', 'gpu-check', 'carry');
const addon = join(root, 'native', 'build', 'Release', 'normscope.node');
const info = join(root, 'native', 'build', 'build-info.json');
if (!existsSync(addon)) {
  console.error('prepare-gpu-node-check: the addon is not built (npm run build:native)');
  process.exit(1);
}
const built = JSON.parse(readFileSync(info, 'utf8'));
if (!built.cuda) console.warn(`prepare-gpu-node-check: this addon has no CUDA kernels (${built.cudaReason ?? 'nvcc not found'})`);
mkdirSync(carry, { recursive: true });
copyFileSync(addon, join(carry, 'normscope.node'));
buildSync({
  entryPoints: [join(root, 'native', 'gpu-check', 'nodeCheck.ts')],
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  outfile: join(carry, 'node-check.mjs'),
  logLevel: 'warning',
});
const xz = spawnSync('xz', ['-T2', '-6', '-c', realpathSync(process.execPath)], { maxBuffer: 1 << 30 });
if (xz.status !== 0) {
  console.error(`prepare-gpu-node-check: xz failed: ${xz.stderr}`);
  process.exit(1);
}
writeFileSync(join(carry, 'node.xz'), xz.stdout);
console.log(`prepare-gpu-node-check: ready in ${carry} (node ${process.version}, addon cuda=${built.cuda})`);
