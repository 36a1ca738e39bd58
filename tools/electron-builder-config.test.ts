/**
 * electron-builder.yml agrees with the app and with what the issue asks of the installers: targets per
 * platform, icons that exist, file associations for exactly the extensions the app opens, the hook that
 * flips the fuses, and the addons kept out of the asar.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CHECKPOINT_EXTENSIONS } from '../app/main/security.js';
import { builderArgs, installedElectronDist } from './dist.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
// js-yaml is the YAML parser electron-builder itself reads this file with.
const fromBuilder = createRequire(createRequire(import.meta.url).resolve('app-builder-lib/package.json'));
const yaml = fromBuilder('js-yaml') as { load: (s: string) => unknown };

interface Assoc {
  ext: string | string[];
  mimeType?: string;
  rank?: string;
  role?: string;
}
interface PlatformConfig {
  target: string[];
  icon: string;
  fileAssociations?: Assoc[];
}
interface Config {
  appId: string;
  productName: string;
  files: string[];
  asarUnpack: string[];
  afterPack: string;
  directories: { output: string; buildResources: string };
  fileAssociations: Assoc[];
  linux: PlatformConfig & { executableName: string };
  mac: PlatformConfig;
  win: PlatformConfig;
  nsis: { installerIcon: string };
}

const config = yaml.load(readFileSync(join(ROOT, 'electron-builder.yml'), 'utf8')) as Config;
const exts = (list: Assoc[] | undefined) => (list ?? []).flatMap((a) => (Array.isArray(a.ext) ? a.ext : [a.ext]));

describe('electron-builder.yml', () => {
  it('names the app and builds AppImage + deb, NSIS and dmg', () => {
    expect(config.productName).toBe('NormScope');
    expect(config.appId).toMatch(/^[a-z0-9-]+(\.[a-z0-9-]+)+$/i);
    expect(config.linux.target).toEqual(['AppImage', 'deb']);
    expect(config.win.target).toEqual(['nsis']);
    expect(config.mac.target).toEqual(['dmg']);
    expect(config.linux.executableName).toBe('normscope');
  });

  it('writes installers to release/, never into dist/ (the build output it packages)', () => {
    expect(config.directories.output).toBe('release');
    expect(config.files.every((f) => !f.startsWith('release'))).toBe(true);
  });

  it('points at icons that exist', () => {
    for (const icon of [config.linux.icon, config.mac.icon, config.win.icon, config.nsis.installerIcon]) {
      expect(existsSync(join(ROOT, icon)), icon).toBe(true);
    }
    expect(existsSync(join(ROOT, config.linux.icon, '256x256.png'))).toBe(true);
  });

  it('associates exactly the extensions the app opens, on each platform', () => {
    const app = [...CHECKPOINT_EXTENSIONS].sort();
    expect([...exts(config.fileAssociations), ...exts(config.linux.fileAssociations)].sort()).toEqual(app);
    expect([...exts(config.fileAssociations), ...exts(config.mac.fileAssociations)].sort()).toEqual(app);
    // Windows: everything but the generic .bin (NSIS would make NormScope its default program).
    expect([...exts(config.fileAssociations), ...exts(config.win.fileAssociations)].sort()).toEqual(
      app.filter((e) => e !== 'bin'),
    );
    for (const a of [...config.fileAssociations, ...(config.linux.fileAssociations ?? [])]) {
      expect(a.mimeType, `Linux needs a MIME type for ${String(a.ext)}`).toMatch(/^[a-z]+\/[a-z0-9.+-]+$/);
    }
    expect(config.mac.fileAssociations?.every((a) => a.rank === 'Alternate')).toBe(true);
  });

  it('runs the fuses hook after packing and keeps the addons out of the asar', () => {
    expect(config.afterPack).toBe('./tools/fuses.mjs');
    expect(existsSync(join(ROOT, config.afterPack))).toBe(true);
    expect(config.asarUnpack).toEqual(expect.arrayContaining(['native/**/*.node', 'native/**/*.so*']));
    expect(config.files).toEqual(expect.arrayContaining(['!**/*.ts', '!**/*.test.*', '!**/*.map']));
  });
});

describe('npm run dist', () => {
  it('runs tools/dist.mjs, which builds first and packages with electron-builder.yml', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    expect(pkg.scripts.dist).toBe('node tools/dist.mjs');
    expect(pkg.scripts['dist:dir']).toBe('node tools/dist.mjs --dir');
    expect(builderArgs()).toEqual(['--config', 'electron-builder.yml', '--publish', 'never']);
    expect(builderArgs({ dir: true, electronDist: '/e/dist', extra: ['--linux', 'deb'] })).toEqual([
      '--config',
      'electron-builder.yml',
      '--publish',
      'never',
      '--dir',
      '-c.electronDist=/e/dist',
      '--linux',
      'deb',
    ]);
  });

  it('uses an installed Electron distribution only when its binary is there', () => {
    const dir = mkdtempSync(join(tmpdir(), 'normscope-dist-'));
    try {
      expect(installedElectronDist(dir, 'linux')).toBeNull();
      mkdirSync(join(dir, 'node_modules', 'electron', 'dist'), { recursive: true });
      expect(installedElectronDist(dir, 'linux')).toBeNull();
      writeFileSync(join(dir, 'node_modules', 'electron', 'dist', 'electron'), '');
      expect(installedElectronDist(dir, 'linux')).toBe(join(dir, 'node_modules', 'electron', 'dist'));
      expect(installedElectronDist(dir, 'win32')).toBeNull();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
