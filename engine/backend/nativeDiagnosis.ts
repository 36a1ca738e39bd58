/**
 * Why a native backend cannot run, in words a person can act on: from the build record
 * (native/build/build-info.json, written by tools/build-native.mjs) and the addon's own probe.
 */
import type { AddonInfo, BuildInfo } from './nativeAddonApi.js';

/** No addon file at all: the build's reason when it failed, else how to build it. */
export function addonMissingReason(build: BuildInfo | null): string {
  const why = build && !build.cpu && build.reason ? `: ${build.reason}` : ' (run `npm run build:native`)';
  return `native addon not built${why}`;
}

// cudaError_t values that mean "there is no usable driver" (insufficient driver, stub library, init error).
const NO_DRIVER_CODES = new Set([35, 34, 3]);
const NO_DEVICE_CODE = 100;

/** Why CUDA cannot run, from the build record and the addon's probe; null when it can. */
export function cudaReason(info: AddonInfo, build: BuildInfo | null): string | null {
  if (!info.cudaCompiled) return build?.cudaReason ?? 'nvcc not found at build';
  if (info.cudaError !== undefined) {
    const code = info.cudaErrorCode ?? -1;
    const detail = `cudaGetDeviceCount: ${info.cudaError}`;
    if (NO_DRIVER_CODES.has(code)) return `no CUDA driver (${detail})`;
    if (code === NO_DEVICE_CODE) return `no CUDA device (${detail})`;
    return `CUDA unavailable (${detail})`;
  }
  if (!info.cudaDeviceCount) return 'no CUDA device (cudaGetDeviceCount returned 0 devices)';
  return null;
}
