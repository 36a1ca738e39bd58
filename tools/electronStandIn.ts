/**
 * The Electron distribution electron-builder packages against, for tests that must run where the
 * Electron binary cannot be downloaded (CI, this machine): the real one from node_modules/electron/dist
 * when it is installed, otherwise a stand-in folder with the files electron-builder touches on Linux.
 *
 * The stand-in's `electron` is a shell script that refuses to run, carrying an Electron fuse wire
 * (sentinel + version + length + states) with Electron's default fuse states, so the fuses hook flips a
 * real wire and the test can read back exactly what a release build would get.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** @electron/fuses' sentinel: the fuse wire follows it in every Electron binary since 12. */
export const FUSE_SENTINEL = 'dL7pKGdnNz796PbbjQWNKmHXBZaB9tsX';

/** Electron's default fuse states (FuseV1Options order), '1' enabled / '0' disabled. */
export const ELECTRON_DEFAULT_WIRE = '10110001';

export interface ElectronDist {
  dir: string;
  standIn: boolean;
  /** Why the stand-in was used, or where the real distribution is. */
  note: string;
}

/** The installed Electron distribution for this platform, or null when its binary was never downloaded. */
export function findRealElectronDist(projectDir: string): string | null {
  const dir = join(projectDir, 'node_modules', 'electron', 'dist');
  const exe =
    process.platform === 'win32' ? 'electron.exe' : process.platform === 'darwin' ? 'Electron.app' : 'electron';
  return existsSync(join(dir, exe)) ? dir : null;
}

/** Writes a Linux stand-in Electron distribution into `dir` (which must be empty or absent). */
export function makeElectronStandIn(dir: string, electronVersion: string): void {
  mkdirSync(join(dir, 'resources'), { recursive: true });
  mkdirSync(join(dir, 'locales'), { recursive: true });
  const script = [
    '#!/bin/sh',
    'echo "This is the NormScope package-content STAND-IN for the Electron binary, not Electron." >&2',
    'exit 1',
    `# fuse wire: ${FUSE_SENTINEL}`,
  ].join('\n');
  const exe = Buffer.concat([
    Buffer.from(script, 'ascii'),
    Buffer.from([1, ELECTRON_DEFAULT_WIRE.length]),
    Buffer.from(ELECTRON_DEFAULT_WIRE, 'ascii'),
    Buffer.from('\n', 'ascii'),
  ]);
  writeFileSync(join(dir, 'electron'), exe);
  chmodSync(join(dir, 'electron'), 0o755);
  writeFileSync(join(dir, 'version'), electronVersion);
  writeFileSync(join(dir, 'LICENSE'), 'Stand-in for the Electron license file.\n');
  writeFileSync(join(dir, 'locales', 'en-US.pak'), '');
}

/** Picks the real Electron distribution when installed, else writes a stand-in under `scratchDir`. */
export function electronDistForPackaging(
  projectDir: string,
  scratchDir: string,
  electronVersion: string,
): ElectronDist {
  const real = findRealElectronDist(projectDir);
  if (real !== null) return { dir: real, standIn: false, note: `real Electron distribution at ${real}` };
  if (process.platform !== 'linux') {
    throw new Error('no Electron binary installed, and the stand-in distribution only models the Linux layout');
  }
  const dir = join(scratchDir, 'electron-stand-in');
  makeElectronStandIn(dir, electronVersion);
  return {
    dir,
    standIn: true,
    note: `node_modules/electron/dist has no Electron binary (it cannot be downloaded here), so a STAND-IN Electron distribution at ${dir} was used`,
  };
}

/** The fuse wire of an Electron binary: version and one '0'/'1'/'r' per fuse; null when there is none. */
export function readFuseWire(binaryPath: string): { version: number; states: string } | null {
  const bytes = readFileSync(binaryPath);
  const at = bytes.indexOf(FUSE_SENTINEL);
  if (at < 0) return null;
  const p = at + FUSE_SENTINEL.length;
  const length = bytes[p + 1];
  return { version: bytes[p], states: bytes.toString('latin1', p + 2, p + 2 + length) };
}
