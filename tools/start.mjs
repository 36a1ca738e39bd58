#!/usr/bin/env node
// `npm start`: launch the Electron app when its binary is installed and a display is available;
// otherwise say why and start browser mode (`normscope serve`), which prints the URL to open.
// `npm run serve` (= `node tools/start.mjs --browser`) always starts browser mode.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const forceBrowser = args.includes('--browser');
const passThrough = args.filter((a) => a !== '--browser');

function electronBinary() {
  const pkg = join(root, 'node_modules', 'electron');
  const pathFile = join(pkg, 'path.txt');
  if (!existsSync(pathFile))
    return { path: null, why: 'the Electron binary is not installed (node_modules/electron has no downloaded dist)' };
  const bin = join(pkg, 'dist', readFileSync(pathFile, 'utf8').trim());
  return existsSync(bin) ? { path: bin, why: null } : { path: null, why: `the Electron binary is missing at ${bin}` };
}

function displayMissing() {
  if (process.platform !== 'linux') return null;
  return process.env.DISPLAY || process.env.WAYLAND_DISPLAY
    ? null
    : 'no display is available (neither DISPLAY nor WAYLAND_DISPLAY is set)';
}

function ensureBuilt() {
  const need = [
    join(root, 'dist', 'app', 'main', 'main.js'),
    join(root, 'dist', 'app', 'cli', 'serve.js'),
    join(root, 'dist', 'renderer', 'index.html'),
  ];
  if (need.every((f) => existsSync(f))) return;
  console.log('NormScope: building the app first (npm run build)…');
  const r = spawnSync('npm', ['run', '-s', 'build'], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) {
    console.error('NormScope: the build failed; see the messages above.');
    process.exit(r.status ?? 1);
  }
}

function run(cmd, argv) {
  const child = spawn(cmd, argv, { cwd: root, stdio: 'inherit' });
  for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 0 : 1)));
}

ensureBuilt();
const electron = forceBrowser ? { path: null, why: null } : electronBinary();
const noDisplay = forceBrowser ? null : displayMissing();
if (electron.path && !noDisplay) {
  run(electron.path, [root, ...passThrough]);
} else {
  if (!forceBrowser) console.log(`NormScope: ${electron.why ?? noDisplay}; starting browser mode instead.`);
  run(process.execPath, [join(root, 'dist', 'app', 'cli', 'serve.js'), ...passThrough]);
}
