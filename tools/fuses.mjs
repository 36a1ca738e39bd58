// Electron fuses for packaged NormScope builds, applied by electron-builder's afterPack hook
// (electron-builder.yml: `afterPack: ./tools/fuses.mjs`), i.e. after the app is copied and before signing.
//
// Why a hook and not electron-builder's built-in `electronFuses` option: the built-in option is one static
// set, while the e2e build (NORMSCOPE_E2E_BUILD=1) needs one switch kept on for Playwright. The flipping
// itself is still electron-builder's (`packager.addElectronFuses`, which uses its own @electron/fuses 1.x;
// 1.x runs on Node >= 10, 2.x needs Node 22).
//
// Playwright's `_electron.launch` starts Electron with `--inspect=0 --remote-debugging-port=0` and waits
// for "Debugger listening on ws://..." from the Node inspector: that needs EnableNodeCliInspectArguments.
// It deletes NODE_OPTIONS and never sets ELECTRON_RUN_AS_NODE, so RunAsNode and NodeOptions stay off
// even in the e2e build. A packaged app is launched with `executablePath` and no app path, so
// OnlyLoadAppFromAsar stays on too.

/** Fuse wire indices of @electron/fuses' FuseV1Options (the order is part of Electron's fuse wire format). */
export const FUSE_INDEX = Object.freeze({
  RunAsNode: 0,
  EnableCookieEncryption: 1,
  EnableNodeOptionsEnvironmentVariable: 2,
  EnableNodeCliInspectArguments: 3,
  EnableEmbeddedAsarIntegrityValidation: 4,
  OnlyLoadAppFromAsar: 5,
  LoadBrowserProcessSpecificV8Snapshot: 6,
  GrantFileProtocolExtraPrivileges: 7,
});

/** Electron platforms where the embedded asar integrity check exists (macOS >= 16, Windows >= 30). */
const ASAR_INTEGRITY_PLATFORMS = new Set(['darwin', 'mas', 'win32']);

/** True when the environment asks for the e2e fuse set. */
export function isE2eBuild(env = process.env) {
  const v = env.NORMSCOPE_E2E_BUILD;
  return v !== undefined && v !== '' && v !== '0' && v.toLowerCase() !== 'false';
}

/**
 * The fuse settings, by FuseV1Options name, for a platform ('linux' | 'win32' | 'darwin' | 'mas').
 * LoadBrowserProcessSpecificV8Snapshot keeps Electron's default (off). GrantFileProtocolExtraPrivileges
 * is off: the window is served from app://, and app/main/main.ts answers app:// by reading the renderer
 * files itself (no net.fetch of file:// URLs), so nothing relies on file:// privileges.
 */
export function fuseSettings(platform, { e2e = false } = {}) {
  return {
    RunAsNode: false,
    EnableCookieEncryption: true,
    EnableNodeOptionsEnvironmentVariable: false,
    EnableNodeCliInspectArguments: e2e,
    // On Linux the fuse does nothing (no integrity check is implemented there), so it stays at its default.
    EnableEmbeddedAsarIntegrityValidation: ASAR_INTEGRITY_PLATFORMS.has(platform),
    OnlyLoadAppFromAsar: true,
    GrantFileProtocolExtraPrivileges: false,
  };
}

/** The settings as an @electron/fuses V1 config object ({ version: '1', [index]: boolean }). */
export function toFuseConfig(settings, { resetAdHocDarwinSignature = false } = {}) {
  const config = { version: '1', resetAdHocDarwinSignature };
  for (const [name, value] of Object.entries(settings)) {
    const index = FUSE_INDEX[name];
    if (index === undefined) throw new Error(`unknown Electron fuse "${name}"`);
    config[index] = value;
  }
  return config;
}

/** electron-builder Arch enum values for arm64 and universal (their mac binaries carry an ad-hoc signature). */
const ARCH_ARM64 = 3;
const ARCH_UNIVERSAL = 4;

/** electron-builder afterPack hook. */
export async function afterPack(context) {
  const platform = context.electronPlatformName;
  const e2e = isE2eBuild();
  const settings = fuseSettings(platform, { e2e });
  const isMac = platform === 'darwin' || platform === 'mas';
  const config = toFuseConfig(settings, {
    // Flipping fuses invalidates the ad-hoc signature Electron's arm64 mac binaries ship with.
    resetAdHocDarwinSignature: isMac && (context.arch === ARCH_ARM64 || context.arch === ARCH_UNIVERSAL),
  });
  const on = Object.entries(settings)
    .filter(([, v]) => v)
    .map(([k]) => k);
  const off = Object.entries(settings)
    .filter(([, v]) => !v)
    .map(([k]) => k);
  console.log(
    `[fuses] ${e2e ? 'E2E' : 'release'} fuse set for ${platform}: on ${on.join(', ')}; off ${off.join(', ')}`,
  );
  await context.packager.addElectronFuses(context, config);
}

export default afterPack;
