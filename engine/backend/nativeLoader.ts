/**
 * Finds and loads the native addon (native/addon, built by tools/build-native.mjs) once, and hands out
 * its backends, `cpu` and `cuda`. This file is the native side's one door to Node's file system and
 * module loader; the addon's interface is in nativeAddonApi.ts, its kernels are wrapped by
 * nativeKernels.ts (and nativeGemm.ts), the `cuda` slot is built by nativeCuda.ts and the reasons a
 * backend cannot run are worded by nativeDiagnosis.ts. A missing or unloadable addon is not an error:
 * the backends report why they are unavailable ("native addon not built", "nvcc not found at build",
 * "no CUDA driver (…)", "no CUDA device (…)") and the engine runs on WebAssembly or TypeScript.
 *
 * Where the addon is looked for, in order: $NORMSCOPE_ADDON (a packaged Electron app's main process
 * sets it to its unpacked resources: that layout is app/main's knowledge, not the engine's), then
 * native/build/Release of the package this file belongs to (found by walking up from it, so it works
 * from sources and from dist/).
 */
import { createRequire } from 'node:module';
import { existsSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Addon, AddonInfo, BuildInfo } from './nativeAddonApi.js';
import { addonMissingReason } from './nativeDiagnosis.js';
import { wrapKernels } from './nativeKernels.js';
import { cudaSlot } from './nativeCuda.js';
import { unavailableSlot, type BackendSlot } from './backendSlot.js';
import { setFreshBufferHook } from '../tensor/allocator.js';

// Callers import the addon's types and the diagnosis from here too (registry, benchmarks, engine/io).
export type { Addon, AddonInfo, AddonKernels, BuildInfo } from './nativeAddonApi.js';
export { cudaReason } from './nativeDiagnosis.js';
export { wrapKernels } from './nativeKernels.js';

export type NativeBackendSlot = BackendSlot;

export interface NativeBackends {
  cpu: NativeBackendSlot;
  cuda: NativeBackendSlot;
}

const ADDON_REL = join('native', 'build', 'Release', 'normscope.node');

/** The package root: the nearest ancestor of this file holding native/binding.gyp (or package.json). */
function packageRoot(): string | null {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 8; i++) {
    if (existsSync(join(dir, 'native', 'binding.gyp')) || existsSync(join(dir, ADDON_REL))) return dir;
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return null;
}

/** Candidate addon paths, most specific first. */
export function addonCandidates(): string[] {
  const out: string[] = [];
  const env = globalThis.process?.env?.NORMSCOPE_ADDON;
  if (env) out.push(env);
  const root = packageRoot();
  if (root) out.push(join(root, ADDON_REL));
  return out;
}

/** The build record next to the addon that loaded (or the package's own), null when there is none. */
export function readBuildInfo(addonPath: string | null): BuildInfo | null {
  const root = packageRoot();
  const candidates = [
    addonPath ? join(dirname(addonPath), '..', 'build-info.json') : null,
    root ? join(root, 'native', 'build', 'build-info.json') : null,
  ];
  for (const p of candidates) {
    if (!p || !existsSync(p)) continue;
    try {
      return JSON.parse(readFileSync(p, 'utf8')) as BuildInfo;
    } catch {
      return null;
    }
  }
  return null;
}

export interface LoadedAddon {
  addon: Addon | null;
  path: string | null;
  error: string | null;
}

let loaded: LoadedAddon | null = null;

/** Loads the addon once; returns it (or null with the reason). */
export function loadAddon(): LoadedAddon {
  if (loaded) return loaded;
  const req = createRequire(import.meta.url);
  const found = addonCandidates().find((p) => existsSync(p)) ?? null;
  if (!found) {
    loaded = { addon: null, path: null, error: addonMissingReason(readBuildInfo(null)) };
    return loaded;
  }
  try {
    loaded = { addon: req(found) as Addon, path: found, error: null };
  } catch (e) {
    loaded = { addon: null, path: found, error: `native addon failed to load: ${(e as Error).message}` };
  }
  if (loaded.addon) installHugePageAdvice(loaded.addon);
  return loaded;
}

/**
 * Has the host allocator ask for transparent huge pages on the large buffers it makes (Linux, where
 * THP is commonly `madvise`: 4 KiB faults otherwise make the first write to fresh memory cost ~30× a
 * later one; bench/results/hugepages-2026-12-06.md). NORMSCOPE_HUGE_PAGES=0 turns it off.
 */
function installHugePageAdvice(addon: Addon): void {
  if (globalThis.process?.platform !== 'linux' || globalThis.process.env.NORMSCOPE_HUGE_PAGES === '0') return;
  const advise = addon.adviseHugePages;
  if (typeof advise !== 'function') return; // an addon built before huge_pages.cc
  setFreshBufferHook((buf) => advise.call(addon, buf));
}

/** The `cpu` and `cuda` backends of the addon, or why each cannot run. */
export function loadNativeBackends(): NativeBackends {
  const { addon, path, error } = loadAddon();
  if (!addon) return { cpu: unavailableSlot('cpu', error!), cuda: unavailableSlot('cuda', error!) };
  let info: AddonInfo;
  try {
    info = addon.info();
  } catch (e) {
    const reason = `native addon failed to report its devices: ${(e as Error).message}`;
    return { cpu: unavailableSlot('cpu', reason), cuda: unavailableSlot('cuda', reason) };
  }
  const cpuModel = cpus()[0]?.model?.trim();
  const cpu: NativeBackendSlot = {
    backend: wrapKernels('cpu', addon.cpu, addon),
    reason: null,
    status: {
      name: 'cpu',
      available: true,
      reason: null,
      threads: info.cpuThreads,
      ...(cpuModel ? { device: `${cpuModel} (${info.isa})` } : {}),
    },
  };
  const cuda = cudaSlot(addon, info, readBuildInfo(path));
  return { cpu, cuda };
}

/** Sets the native CPU pool size (0 = default); returns the new size, or null without the addon. */
export function setNativeThreads(threads: number): number | null {
  const { addon } = loadAddon();
  return addon ? addon.setThreads(threads) : null;
}
