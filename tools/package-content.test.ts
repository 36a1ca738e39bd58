/**
 * What ships is what was tested: builds the app bundle with electron-builder's `--dir` target and the
 * project's electron-builder.yml, lists the asar, and asserts what must and must not be inside.
 *
 * Runs without the Electron binary: when node_modules/electron/dist has none (CI, this machine), the
 * bundle is packaged against a stand-in Electron distribution (tools/electronStandIn.ts) and the test
 * says so in its output. The asar, the unpacked addons and the fuse wire are then real; only the
 * executable is not Electron.
 *
 * Two parts:
 *  1. Packaging rules, on a scratch project seeded with the real config and hook, placeholder build
 *     output, and bait (sources, tests, source maps, fixtures, native sources): always runs on Linux.
 *  2. The real project's build output (engine + app via tsc, renderer via vite, the native addons):
 *     builds what is missing with `npm run build`, and asserts on main, preload, renderer and the addons.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync, cpSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ELECTRON_DEFAULT_WIRE, electronDistForPackaging, type ElectronDist } from './electronStandIn.js';
import {
  DEV_ONLY_PACKAGES,
  buildDir,
  forbiddenEntries,
  readFromAsar,
  sha256,
  type PackagedApp,
} from './packageBuild.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const BUILDER_CLI = join(ROOT, 'node_modules', 'electron-builder', 'cli.js');
const ELECTRON_VERSION = (
  JSON.parse(readFileSync(join(ROOT, 'node_modules', 'electron', 'package.json'), 'utf8')) as { version: string }
).version;

// Release fuse wire on Linux, FuseV1Options order:
// RunAsNode 0, CookieEncryption 1, NodeOptions 0, CliInspect 0, AsarIntegrity 0 (no-op on Linux),
// OnlyLoadAppFromAsar 1, V8 snapshot 0 (default), GrantFileProtocolExtraPrivileges 0.
const RELEASE_WIRE_LINUX = '01000100';
// The e2e build differs in one switch: --inspect is allowed for Playwright's Electron launch.
const E2E_WIRE_LINUX = '01010100';

const onLinux = process.platform === 'linux';
if (!onLinux)
  console.log(
    `[package-content] skipped: the stand-in Electron distribution models Linux only (this is ${process.platform})`,
  );

let scratch = '';
let electron: ElectronDist;

beforeAll(() => {
  if (!onLinux) return;
  scratch = mkdtempSync(join(tmpdir(), 'normscope-package-'));
  electron = electronDistForPackaging(ROOT, scratch, ELECTRON_VERSION);
  const banner = electron.standIn ? 'STAND-IN USED' : 'real Electron';
  console.log(`[package-content] ${banner}: ${electron.note}`);
});

afterAll(() => {
  if (scratch !== '') rmSync(scratch, { recursive: true, force: true });
});

function write(dir: string, rel: string, content: string | Buffer): void {
  mkdirSync(dirname(join(dir, rel)), { recursive: true });
  writeFileSync(join(dir, rel), content);
}

describe.skipIf(!onLinux)('packaging rules (scratch project with placeholder output and bait)', () => {
  let release: PackagedApp;
  let e2e: PackagedApp;
  const addonBytes = Buffer.from('placeholder bytes standing for normscope.node\n');

  beforeAll(async () => {
    const proj = join(scratch, 'project');
    mkdirSync(proj);
    for (const f of ['package.json', 'electron-builder.yml', 'tools/fuses.mjs']) cpSync(join(ROOT, f), join(proj, f));
    cpSync(join(ROOT, 'build', 'icons'), join(proj, 'build', 'icons'), { recursive: true });
    symlinkSync(join(ROOT, 'node_modules'), join(proj, 'node_modules'), 'dir');
    // What a build produces (placeholders, named as the real outputs are).
    write(proj, 'dist/app/main/main.js', '// placeholder main\n');
    write(proj, 'dist/app/preload/preload.cjs', '// placeholder preload\n');
    write(proj, 'dist/app/ranks/worker.js', '// placeholder rank worker\n');
    write(proj, 'dist/engine/index.js', '// placeholder engine\n');
    write(proj, 'dist/renderer/index.html', '<!doctype html><title>NormScope</title>\n');
    write(proj, 'dist/renderer/assets/index-abc123.js', '// placeholder bundle\n');
    write(proj, 'native/build/Release/normscope.node', addonBytes);
    write(proj, 'native/build/build-info.json', '{"cpu": true, "cuda": false}\n');
    write(proj, 'native/gloo/build/Release/normscope_gloo.node', 'placeholder gloo addon\n');
    write(proj, 'native/gloo/build/Release/libgloo.so.0', 'placeholder bundled library\n');
    write(proj, 'native/wasm/normscope_kernels.wasm', 'placeholder wasm kernels\n');
    write(proj, 'native/wasm/runtime.cc', '// bait: a native source\n');
    // Bait: none of this may ship.
    for (const bait of [
      'dist/app/main/main.test.js',
      'dist/app/host/host.spec.js',
      'dist/app/ranks/testSupport.js',
      'dist/app/preload/vite.config.js',
      'dist/app/main/security.ts',
      'dist/app/main/main.js.map',
      'dist/renderer/assets/index-abc123.js.map',
      'dist/tools/run-tests.js',
      'dist/bench/run.js',
      'dist/e2e/stack.spec.js',
      'dist/engine/io/fixtures/bn_v1.pth',
      'e2e/fixtures/resnet_bn.pt',
      'e2e/artifacts/stack.png',
      'tools/fixtures/bn.safetensors',
      'engine/index.ts',
      'app/main/main.ts',
      'renderer/src/App.tsx',
      'native/addon/addon.cc',
      'native/kernels/bn.cu',
      'native/binding.gyp',
      'native/build/Release/obj.target/normscope/addon.o',
      'native/build/config.gypi',
      'native/build/Makefile',
      'docs/index.md',
    ]) {
      write(proj, bait, 'bait\n');
    }
    release = await buildDir(proj, BUILDER_CLI, electron.dir, join(scratch, 'out-release'), {
      NORMSCOPE_E2E_BUILD: '',
    });
    e2e = await buildDir(proj, BUILDER_CLI, electron.dir, join(scratch, 'out-e2e'), { NORMSCOPE_E2E_BUILD: '1' });
  }, 170_000);

  it('puts main, preload, renderer, engine and package.json inside the asar', () => {
    for (const p of [
      'package.json',
      'dist/app/main/main.js',
      'dist/app/preload/preload.cjs',
      'dist/app/ranks/worker.js',
      'dist/engine/index.js',
      'dist/renderer/index.html',
      'dist/renderer/assets/index-abc123.js',
      'native/wasm/normscope_kernels.wasm',
    ]) {
      expect(release.entries, p).toContain(p);
    }
  });

  it('keeps sources, tests, source maps, fixtures and native sources out', () => {
    expect(forbiddenEntries(release.entries)).toEqual([]);
    // forbiddenEntries is what the real-project test relies on: make sure it sees every bait file.
    const baitListing = new Set([
      ...release.entries,
      'dist/app/main/x.test.js',
      'e2e/fixtures/a.pt',
      'native/addon/a.cc',
      'dist/a.js.map',
    ]);
    expect(forbiddenEntries(baitListing)).toHaveLength(4);
  });

  it('stores the native addons and their libraries outside the asar, byte for byte', () => {
    for (const p of [
      'native/build/Release/normscope.node',
      'native/build/build-info.json',
      'native/gloo/build/Release/normscope_gloo.node',
      'native/gloo/build/Release/libgloo.so.0',
    ]) {
      expect(release.unpacked, p).toContain(p);
      expect(existsSync(join(release.unpackedDir, p)), `${p} in app.asar.unpacked`).toBe(true);
    }
    expect(readFileSync(join(release.unpackedDir, 'native/build/Release/normscope.node')).equals(addonBytes)).toBe(
      true,
    );
  });

  it('ships production dependencies only', () => {
    const top = [...release.entries]
      .filter((e) => /^node_modules\/(@[^/]+|[^@/][^/]*)$/.test(e))
      .map((e) => e.slice('node_modules/'.length));
    for (const dev of DEV_ONLY_PACKAGES) expect(top, dev).not.toContain(dev);
  });

  it('writes the package.json main entry the app starts from', () => {
    const pkg = JSON.parse(readFromAsar(release.asarPath, 'package.json').toString('utf8')) as { main: string };
    expect(pkg.main).toBe('dist/app/main/main.js');
  });

  it('flips the release fuses, and the e2e build keeps only --inspect on', () => {
    // A real Electron 41 wire may be longer than the 8 fuses @electron/fuses 1.x knows; those keep defaults.
    expect(release.fuses?.version).toBe(1);
    expect(release.fuses?.states.slice(0, 8)).toBe(RELEASE_WIRE_LINUX);
    expect(e2e.fuses?.states.slice(0, 8)).toBe(E2E_WIRE_LINUX);
    expect(release.log).toMatch(/\[fuses\] release fuse set for linux/);
    expect(e2e.log).toMatch(/\[fuses\] E2E fuse set for linux/);
    if (electron.standIn) expect(ELECTRON_DEFAULT_WIRE).not.toBe(RELEASE_WIRE_LINUX);
  });
});

/** The real build outputs the package is made of, by what they are. */
const APP_OUTPUTS = {
  main: 'dist/app/main/main.js',
  preload: 'dist/app/preload/preload.cjs',
  renderer: 'dist/renderer/index.html',
} as const;
const ADDONS = [
  'native/build/Release/normscope.node',
  'native/build/build-info.json',
  'native/gloo/build/Release/normscope_gloo.node',
];

/** What `npm run build` and electron-builder read, copied to `dir` (node_modules linked), built addons included. */
function stageProject(dir: string): string {
  const copy = [
    'package.json',
    'tsconfig.json',
    'tsconfig.base.json',
    'tsconfig.build.json',
    'electron-builder.yml',
    'engine',
    'app',
    'renderer',
    'tools/fuses.mjs',
    'build/icons',
    ...ADDONS,
  ];
  for (const rel of copy) {
    if (!existsSync(join(ROOT, rel))) continue;
    mkdirSync(dirname(join(dir, rel)), { recursive: true });
    cpSync(join(ROOT, rel), join(dir, rel), {
      recursive: true,
      filter: (src) => !/[\\/]node_modules$/.test(src),
    });
  }
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
  return dir;
}

describe.skipIf(!onLinux)('the real app bundle', () => {
  let app: PackagedApp | null = null;
  let notBuilt = '';
  /** The packaged app; skips the test (saying why) only while the app build does not exist at all. */
  const packaged = (ctx: { skip: () => void }): PackagedApp => {
    if (app === null && notBuilt.startsWith('package.json has no')) {
      console.log(`[package-content] SKIPPED: ${notBuilt}`);
      ctx.skip();
    }
    expect(app, notBuilt).not.toBeNull();
    return app as PackagedApp;
  };

  beforeAll(async () => {
    const missing = Object.values(APP_OUTPUTS).filter((p) => !existsSync(join(ROOT, p)));
    const scripts = (
      JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }
    ).scripts;
    let projectDir = ROOT;
    // NORMSCOPE_PACKAGE_FRESH=1 packages a fresh build of the sources even when dist/ exists.
    const fresh = process.env.NORMSCOPE_PACKAGE_FRESH === '1';
    if (missing.length > 0 || fresh) {
      if (scripts.build === undefined) {
        notBuilt = 'package.json has no `build` script yet (the app build is issue 6)';
        console.log(`[package-content] the real bundle cannot be packaged: ${notBuilt}`);
        return;
      }
      // Build a copy, so the project's own dist/ never changes under other tests running in parallel
      // (the CLI launcher, for one, switches to dist/ as soon as it appears).
      projectDir = stageProject(join(scratch, 'real-project'));
      console.log(
        `[package-content] ${fresh ? 'NORMSCOPE_PACKAGE_FRESH=1' : `dist/ is not built (missing: ${missing.join(', ')})`}: running npm run build in a copy of the project at ${projectDir}`,
      );
      const r = spawnSync('npm', ['run', '-s', 'build'], { cwd: projectDir, encoding: 'utf8', timeout: 150_000 });
      if (r.status !== 0) throw new Error(`npm run build failed (exit ${r.status}):\n${r.stdout}\n${r.stderr}`);
    } else {
      console.log(
        '[package-content] packaging the existing build output in dist/ (delete dist/ to package a fresh build)',
      );
    }
    if (!existsSync(join(projectDir, APP_OUTPUTS.main))) {
      notBuilt = `${APP_OUTPUTS.main} was not produced by npm run build`;
      console.log(`[package-content] the real bundle cannot be packaged: ${notBuilt}`);
      return;
    }
    app = await buildDir(projectDir, BUILDER_CLI, electron.dir, join(scratch, 'out-real'));
  }, 175_000);

  it('packages main, preload and renderer into the asar', (ctx) => {
    const a = packaged(ctx);
    for (const p of Object.values(APP_OUTPUTS)) expect(a.entries, p).toContain(p);
    expect(
      [...a.entries].some((e) => /^dist\/renderer\/assets\/[^/]+\.js$/.test(e)),
      'a renderer script bundle',
    ).toBe(true);
    const pkg = JSON.parse(readFromAsar(a.asarPath, 'package.json').toString('utf8')) as {
      main: string;
      type?: string;
    };
    expect(a.entries).toContain(pkg.main);
    // main.js is an ES module: the packaged package.json must keep "type": "module".
    const own = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { type?: string };
    expect(pkg.type).toBe(own.type);
  });

  it('contains no sources, tests, source maps, fixtures or dev-only packages', (ctx) => {
    const a = packaged(ctx);
    expect(forbiddenEntries(a.entries)).toEqual([]);
    const top = [...a.entries]
      .filter((e) => /^node_modules\/(@[^/]+|[^@/][^/]*)$/.test(e))
      .map((e) => e.slice('node_modules/'.length));
    for (const dev of DEV_ONLY_PACKAGES) expect(top, dev).not.toContain(dev);
  });

  it('ships each built native addon outside the asar, identical to the build', (ctx) => {
    // (The addons are compared with the project's own build, also when a copy of the project was packaged.)
    const a = packaged(ctx);
    // No shared object may be packed inside the archive, whatever was built.
    const packedNative = [...a.entries].filter((e) => /\.(node|so(\.\d+)*|dll|dylib)$/.test(e) && !a.unpacked.has(e));
    expect(packedNative).toEqual([]);
    const built = ADDONS.filter((p) => existsSync(join(ROOT, p)));
    for (const p of ADDONS.filter((q) => !built.includes(q))) {
      console.log(
        `[package-content] ${p} is not built here: its packaging is covered by the scratch-project test only`,
      );
    }
    for (const p of built) {
      expect(a.unpacked, p).toContain(p);
      expect(sha256(join(a.unpackedDir, p)), p).toBe(sha256(join(ROOT, p)));
    }
  });

  it('loads each packaged addon from its unpacked place (no dependency on the build tree)', (ctx) => {
    const a = packaged(ctx);
    const addons = ADDONS.filter((p) => p.endsWith('.node') && existsSync(join(a.unpackedDir, p)));
    if (addons.length === 0) {
      console.log('[package-content] SKIPPED: no native addon is built here');
      ctx.skip();
    }
    for (const p of addons) {
      // A fresh Node process: dlopen resolves the addon's libraries from the packaged location only.
      const r = spawnSync(process.execPath, ['-e', `require(${JSON.stringify(join(a.unpackedDir, p))})`], {
        cwd: scratch,
        encoding: 'utf8',
        timeout: 30_000,
      });
      expect(r.status, `${p}: ${r.stderr}`).toBe(0);
    }
  });

  it('imports at run time only what the package holds: built-ins, electron, bundled dependencies', (ctx) => {
    const a = packaged(ctx);
    const bundled = new Set(
      [...a.entries].filter((e) => /^node_modules\/(@[^/]+\/[^/]+|[^@/][^/]*)$/.test(e)).map((e) => e.slice(13)),
    );
    const builtins = new Set(builtinModules);
    const missing: string[] = [];
    for (const file of [...a.entries].filter((e) => /^dist\/(app|engine)\/.*\.(m?js|cjs)$/.test(e))) {
      const code = readFromAsar(a.asarPath, file).toString('utf8');
      // Static imports and re-exports only: dynamic import() fallbacks (tsx, esbuild) are guarded at run time.
      for (const m of code.matchAll(
        /^\s*(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|^\s*import\s*['"]([^'"]+)['"]/gm,
      )) {
        const spec = (m[1] ?? m[2])!;
        if (spec.startsWith('.') || spec.startsWith('/')) continue;
        const name = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!;
        if (builtins.has(name) || spec.startsWith('node:') || name === 'electron' || bundled.has(name)) continue;
        missing.push(`${file}: ${spec}`);
      }
    }
    expect(missing).toEqual([]);
  });

  it('flips the release fuses on the packaged executable', (ctx) => {
    expect(packaged(ctx).fuses?.states.slice(0, 8)).toBe(RELEASE_WIRE_LINUX);
  });
});
