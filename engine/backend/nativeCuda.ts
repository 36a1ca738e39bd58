/**
 * The `cuda` backend's slot from a loaded addon: its BatchNorm kernels (nativeKernels.ts) with the
 * device-resident ops (cudaDevice.ts) unless NORMSCOPE_CUDA_RESIDENT=0, or why CUDA cannot run
 * (nativeDiagnosis.ts) and the device it found.
 */
import type { Addon, AddonInfo, BuildInfo } from './nativeAddonApi.js';
import { cudaReason } from './nativeDiagnosis.js';
import { wrapKernels } from './nativeKernels.js';
import { unavailableSlot, type BackendSlot } from './backendSlot.js';
import { openCudaDevice } from './cudaDevice.js';

export function cudaSlot(addon: Addon, info: AddonInfo, build: BuildInfo | null): BackendSlot {
  const why = cudaReason(info, build);
  // NORMSCOPE_CUDA_RESIDENT=0 keeps every tensor on the host and copies per kernel call (for comparison).
  const resident = globalThis.process?.env?.NORMSCOPE_CUDA_RESIDENT !== '0';
  const device = resident ? openCudaDevice(addon.cudaDevice, 'cuda') : null;
  const residency = device
    ? 'tensors stay on the device between steps'
    : resident
      ? 'copied per call (the addon has no device ops)'
      : 'copied per call (NORMSCOPE_CUDA_RESIDENT=0)';
  return why || !addon.cuda
    ? unavailableSlot('cuda', why ?? 'CUDA kernels missing from the addon')
    : {
        backend: { ...wrapKernels('cuda', addon.cuda, addon), device },
        reason: null,
        status: {
          name: 'cuda',
          available: true,
          reason: null,
          ...(info.cudaDevice ? { device: info.cudaDevice } : {}),
          ...(info.cudaMemoryBytes !== undefined ? { memoryBytes: info.cudaMemoryBytes } : {}),
          residency,
        },
      };
}
