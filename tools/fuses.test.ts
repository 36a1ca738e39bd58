/**
 * The fuse sets tools/fuses.mjs applies, checked against @electron/fuses itself (the library
 * electron-builder flips them with): indices, the wire it writes, and what the hook asks for.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FUSE_INDEX, afterPack, fuseSettings, isE2eBuild, toFuseConfig } from './fuses.mjs';
import { ELECTRON_DEFAULT_WIRE, makeElectronStandIn, readFuseWire } from './electronStandIn.js';

// @electron/fuses is a dependency of electron-builder (app-builder-lib), resolved the way it resolves it.
const fromBuilder = createRequire(createRequire(import.meta.url).resolve('app-builder-lib/package.json'));
const fuses = fromBuilder('@electron/fuses') as {
  FuseV1Options: Record<string, number | string>;
  flipFuses: (path: string, config: object) => Promise<number>;
};

const scratch = mkdtempSync(join(tmpdir(), 'normscope-fuses-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function standInBinary(name: string): string {
  const dir = join(scratch, name);
  makeElectronStandIn(dir, '41.7.2');
  return join(dir, 'electron');
}

describe('fuse sets', () => {
  it('uses the fuse wire indices of @electron/fuses', () => {
    for (const [name, index] of Object.entries(FUSE_INDEX)) expect(fuses.FuseV1Options[name], name).toBe(index);
  });

  it('turns off run-as-node, NODE_OPTIONS and --inspect, and on cookie encryption and asar-only loading', () => {
    for (const platform of ['linux', 'win32', 'darwin']) {
      expect(fuseSettings(platform)).toMatchObject({
        RunAsNode: false,
        EnableCookieEncryption: true,
        EnableNodeOptionsEnvironmentVariable: false,
        EnableNodeCliInspectArguments: false,
        OnlyLoadAppFromAsar: true,
        GrantFileProtocolExtraPrivileges: false,
      });
    }
  });

  it('validates embedded asar integrity where Electron implements it (macOS, Windows), not on Linux', () => {
    expect(fuseSettings('darwin').EnableEmbeddedAsarIntegrityValidation).toBe(true);
    expect(fuseSettings('mas').EnableEmbeddedAsarIntegrityValidation).toBe(true);
    expect(fuseSettings('win32').EnableEmbeddedAsarIntegrityValidation).toBe(true);
    expect(fuseSettings('linux').EnableEmbeddedAsarIntegrityValidation).toBe(false);
  });

  it('differs in the e2e build only by allowing --inspect (Playwright waits for the Node inspector)', () => {
    for (const platform of ['linux', 'win32', 'darwin']) {
      const release = fuseSettings(platform);
      const e2e = fuseSettings(platform, { e2e: true });
      expect({ ...e2e, EnableNodeCliInspectArguments: false }).toEqual(release);
      expect(e2e.EnableNodeCliInspectArguments).toBe(true);
      expect(e2e.RunAsNode).toBe(false);
    }
  });

  it('reads NORMSCOPE_E2E_BUILD', () => {
    expect(isE2eBuild({})).toBe(false);
    expect(isE2eBuild({ NORMSCOPE_E2E_BUILD: '' })).toBe(false);
    expect(isE2eBuild({ NORMSCOPE_E2E_BUILD: '0' })).toBe(false);
    expect(isE2eBuild({ NORMSCOPE_E2E_BUILD: 'false' })).toBe(false);
    expect(isE2eBuild({ NORMSCOPE_E2E_BUILD: '1' })).toBe(true);
    expect(isE2eBuild({ NORMSCOPE_E2E_BUILD: 'yes' })).toBe(true);
  });

  it('refuses a fuse name it does not know', () => {
    expect(() => toFuseConfig({ RunAsNode: false, RunAsRoot: true } as never)).toThrow(
      /unknown Electron fuse "RunAsRoot"/,
    );
  });
});

describe('flipping a fuse wire with @electron/fuses', () => {
  it('writes the Windows release wire', async () => {
    const exe = standInBinary('win');
    expect(readFuseWire(exe)).toEqual({ version: 1, states: ELECTRON_DEFAULT_WIRE });
    await fuses.flipFuses(exe, toFuseConfig(fuseSettings('win32')));
    // RunAsNode 0, Cookie 1, NodeOptions 0, Inspect 0, AsarIntegrity 1, AsarOnly 1, V8 snapshot default 0,
    // GrantFileProtocolExtraPrivileges 0.
    expect(readFuseWire(exe)?.states).toBe('01001100');
  });

  it('writes the Linux e2e wire', async () => {
    const exe = standInBinary('linux-e2e');
    await fuses.flipFuses(exe, toFuseConfig(fuseSettings('linux', { e2e: true })));
    expect(readFuseWire(exe)?.states).toBe('01010100');
  });
});

describe('the afterPack hook', () => {
  /** A packager that flips fuses as electron-builder's does, recording what it was asked for. */
  function contextFor(platform: string, arch: number, exe: string, calls: object[]) {
    return {
      electronPlatformName: platform,
      arch,
      appOutDir: scratch,
      packager: {
        addElectronFuses: async (_ctx: unknown, config: object) => {
          calls.push(config);
          return fuses.flipFuses(exe, { ...config, resetAdHocDarwinSignature: false });
        },
      },
    };
  }

  it('applies the release set, or the e2e set when NORMSCOPE_E2E_BUILD is set', async () => {
    const saved = process.env.NORMSCOPE_E2E_BUILD;
    try {
      const calls: object[] = [];
      delete process.env.NORMSCOPE_E2E_BUILD;
      const rel = standInBinary('hook-release');
      await afterPack(contextFor('linux', 1, rel, calls));
      expect(readFuseWire(rel)?.states).toBe('01000100');
      process.env.NORMSCOPE_E2E_BUILD = '1';
      const e2e = standInBinary('hook-e2e');
      await afterPack(contextFor('linux', 1, e2e, calls));
      expect(readFuseWire(e2e)?.states).toBe('01010100');
    } finally {
      if (saved === undefined) delete process.env.NORMSCOPE_E2E_BUILD;
      else process.env.NORMSCOPE_E2E_BUILD = saved;
    }
  });

  it('asks for the ad-hoc signature to be reset on arm64 and universal macOS builds only', async () => {
    const calls: { resetAdHocDarwinSignature?: boolean }[] = [];
    const exe = standInBinary('hook-mac');
    await afterPack(contextFor('darwin', 3, exe, calls)); // Arch.arm64
    await afterPack(contextFor('darwin', 4, exe, calls)); // Arch.universal
    await afterPack(contextFor('darwin', 1, exe, calls)); // Arch.x64
    await afterPack(contextFor('linux', 3, exe, calls));
    expect(calls.map((c) => c.resetAdHocDarwinSignature)).toEqual([true, true, false, false]);
  });
});
