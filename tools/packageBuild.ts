/**
 * Helpers for tools/package-content.test.ts: run electron-builder's `--dir` target with the project's
 * electron-builder.yml into a scratch folder, and read back what it produced (asar listing, unpacked
 * files, the fuse wire of the executable).
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createRequire } from 'node:module';
import { readFuseWire } from './electronStandIn.js';

const run = promisify(execFile);

// @electron/asar is electron-builder's own archive library (a dependency of app-builder-lib).
const require = createRequire(import.meta.url);
const asar = require('@electron/asar') as typeof import('@electron/asar');

export interface PackagedApp {
  appOutDir: string;
  asarPath: string;
  unpackedDir: string;
  /** Every path in the asar, '/'-separated, without a leading slash. */
  entries: Set<string>;
  /** Asar paths whose header marks them as unpacked (stored in app.asar.unpacked/). */
  unpacked: Set<string>;
  fuses: { version: number; states: string } | null;
  log: string;
}

/**
 * Runs `electron-builder --dir` for Linux in `projectDir` (where electron-builder.yml and tools/fuses.mjs
 * are), packaging against `electronDist`, writing into `outDir`. Rejects with the builder's output on failure.
 */
export async function buildDir(
  projectDir: string,
  builderCli: string,
  electronDist: string,
  outDir: string,
  env: Record<string, string | undefined> = {},
): Promise<PackagedApp> {
  const args = [
    builderCli,
    '--config',
    'electron-builder.yml',
    '--linux',
    'dir',
    '--x64',
    '--publish',
    'never',
    `-c.electronDist=${electronDist}`,
    `-c.directories.output=${outDir}`,
  ];
  let log: string;
  try {
    const r = await run(process.execPath, args, {
      cwd: projectDir,
      env: { ...process.env, CI: 'true', ...env },
      maxBuffer: 32 * 1024 * 1024,
      timeout: 150_000,
    });
    log = r.stdout + r.stderr;
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string; message: string };
    throw new Error(`electron-builder --dir failed: ${err.message}\n${err.stdout ?? ''}\n${err.stderr ?? ''}`);
  }
  const appOutDir = join(outDir, 'linux-unpacked');
  const asarPath = join(appOutDir, 'resources', 'app.asar');
  const unpackedDir = join(appOutDir, 'resources', 'app.asar.unpacked');
  const { entries, unpacked } = listAsar(asarPath);
  const exe = join(appOutDir, 'normscope');
  return {
    appOutDir,
    asarPath,
    unpackedDir,
    entries,
    unpacked,
    fuses: existsSync(exe) ? readFuseWire(exe) : null,
    log,
  };
}

/** Walks the asar header: all paths, and those flagged `unpacked`. */
export function listAsar(asarPath: string): { entries: Set<string>; unpacked: Set<string> } {
  const entries = new Set<string>();
  const unpacked = new Set<string>();
  type Node = { files?: Record<string, Node>; unpacked?: boolean };
  const walk = (node: Node, prefix: string): void => {
    for (const [name, child] of Object.entries(node.files ?? {})) {
      const p = prefix === '' ? name : `${prefix}/${name}`;
      entries.add(p);
      if (child.unpacked === true) unpacked.add(p);
      if (child.files !== undefined) walk(child, p);
    }
  };
  walk(asar.getRawHeader(asarPath).header as Node, '');
  return { entries, unpacked };
}

/** A file's bytes from inside the asar. */
export function readFromAsar(asarPath: string, path: string): Buffer {
  return asar.extractFile(asarPath, path);
}

export function sha256(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

/** The asar paths outside node_modules that break the "only built output" rule, with the reason. */
export function forbiddenEntries(entries: Iterable<string>): string[] {
  const bad: string[] = [];
  const rules: [RegExp, string][] = [
    [/\.(ts|tsx|mts|cts)$/, 'TypeScript source'],
    [/\.(test|spec)\.[cm]?[jt]sx?$/, 'test file'],
    [/(^|\/)(testSupport|vite\.config)\.[cm]?[jt]s$/, 'test helper or build config'],
    [/\.map$/, 'source map'],
    [/(^|\/)(fixtures|__fixtures__|testdata|test-fixtures|artifacts)(\/|$)/, 'test fixture folder'],
    [/\.(pt|pth|ckpt|safetensors|npy|npz)$/, 'tensor/checkpoint file'],
    [/^(engine|app|renderer|e2e|tools|bench|docs|\.ci|test-results|coverage|release)(\/|$)/, 'source or dev folder'],
    [/^dist\/(tools|bench|e2e)(\/|$)/, 'build output of dev-only code'],
    [/\.(cc|cpp|cu|cuh|h|hpp|gyp|o|a|mk)$/, 'native source or object'],
  ];
  // The only native paths that may ship: the Release folders of the two addon builds and their files,
  // the native build's record of what it built, and the WebAssembly kernels (the portable fallback).
  const nativeAllowed =
    /^native(\/gloo)?(\/build(\/Release(\/[^/]+)?|\/build-info\.json)?)?$|^native\/wasm(\/normscope_kernels\.wasm)?$/;
  for (const e of entries) {
    if (e === 'node_modules' || e.startsWith('node_modules/')) continue;
    if ((e === 'native' || e.startsWith('native/')) && !nativeAllowed.test(e)) {
      bad.push(`${e} (native source or intermediate build file)`);
      continue;
    }
    for (const [re, why] of rules) {
      if (re.test(e)) {
        bad.push(`${e} (${why})`);
        break;
      }
    }
  }
  return bad;
}

/** Dev-only packages that must never be bundled. */
export const DEV_ONLY_PACKAGES = [
  'electron',
  'electron-builder',
  'app-builder-lib',
  'vitest',
  'vite',
  'typescript',
  'eslint',
  'tsx',
  'playwright-core',
  'node-gyp',
  '@doyensec',
  '@electron',
];
