#!/usr/bin/env node
// Root postinstall. npm 11 runs no dependency install scripts unless package.json approves them, so
// this script does what those would: fetch Electron's binary (where that fails — no network to
// GitHub, ELECTRON_SKIP_BINARY_DOWNLOAD — it warns and goes on; `npm start` then offers browser
// mode), and build the native addon (a missing compiler is reported; the engine then runs on
// TypeScript). It never fails the install.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

function step(name, cmd, args) {
  const r = spawnSync(cmd, args, { stdio: 'inherit', timeout: 15 * 60_000 });
  if (r.status !== 0) console.warn(`normscope postinstall: ${name} did not complete (exit ${r.status}); continuing.`);
  return r.status === 0;
}

if (process.env.ELECTRON_SKIP_BINARY_DOWNLOAD) {
  console.warn('normscope postinstall: ELECTRON_SKIP_BINARY_DOWNLOAD is set; no Electron binary (npm start offers browser mode).');
} else if (existsSync('node_modules/electron/install.js')) {
  if (!step('Electron binary download', process.execPath, ['node_modules/electron/install.js'])) {
    console.warn('normscope postinstall: Electron binary unavailable; `npm start` will offer browser mode.');
  }
}
if (existsSync('tools/build-native.mjs')) step('native addon build', process.execPath, ['tools/build-native.mjs']);
if (existsSync('tools/build-gloo.mjs')) step('gloo collectives addon build', process.execPath, ['tools/build-gloo.mjs']);
// The committed WebAssembly kernels are rebuilt only when their sources changed and clang is present.
if (existsSync('tools/build-wasm.mjs')) step('WebAssembly kernels build', process.execPath, ['tools/build-wasm.mjs']);
