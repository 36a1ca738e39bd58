#!/usr/bin/env node
// `npm run dist` / `npm run dist:dir`: builds the app (npm run build), then runs electron-builder with
// electron-builder.yml for the current platform. When the Electron binary is already installed
// (node_modules/electron/dist, e.g. after `node node_modules/electron/install.js`), electron-builder is
// pointed at it instead of downloading the Electron zip again, so a machine that has Electron can package
// `--dir` offline. Extra arguments go to electron-builder (e.g. `npm run dist -- --linux deb`).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

/** The installed Electron distribution for this platform, or null. */
export function installedElectronDist(root = ROOT, platform = process.platform) {
  const dir = join(root, 'node_modules', 'electron', 'dist');
  const exe = platform === 'win32' ? 'electron.exe' : platform === 'darwin' ? 'Electron.app' : 'electron';
  return existsSync(join(dir, exe)) ? dir : null;
}

/** electron-builder's command line for `dist` (dir = only the unpacked app). */
export function builderArgs({ dir = false, electronDist = null, extra = [] } = {}) {
  return [
    '--config',
    'electron-builder.yml',
    '--publish',
    'never',
    ...(dir ? ['--dir'] : []),
    ...(electronDist ? [`-c.electronDist=${electronDist}`] : []),
    ...extra,
  ];
}

function main() {
  const argv = process.argv.slice(2);
  const dir = argv.includes('--dir');
  const extra = argv.filter((a) => a !== '--dir');
  const build = spawnSync('npm', ['run', '-s', 'build'], { cwd: ROOT, stdio: 'inherit' });
  if (build.status !== 0) {
    console.error('dist: npm run build failed; nothing was packaged');
    process.exit(build.status ?? 1);
  }
  const electronDist = installedElectronDist();
  console.log(
    electronDist
      ? `dist: packaging with the installed Electron at ${electronDist}`
      : 'dist: no Electron binary in node_modules/electron/dist; electron-builder downloads the Electron zip',
  );
  const cli = join(ROOT, 'node_modules', 'electron-builder', 'cli.js');
  const r = spawnSync(process.execPath, [cli, ...builderArgs({ dir, electronDist, extra })], {
    cwd: ROOT,
    stdio: 'inherit',
  });
  process.exit(r.status ?? 1);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) main();
