/**
 * The reasons the native backends give when CUDA (or the whole addon) cannot run.
 */
import { describe, expect, it } from 'vitest';
import { addonMissingReason, cudaReason } from './nativeDiagnosis.js';
import type { AddonInfo } from './nativeAddonApi.js';

const base: AddonInfo = { cpuThreads: 2, isa: 'avx2', cudaCompiled: true };

describe('cudaReason', () => {
  it('names a build without nvcc, from the build record when there is one', () => {
    expect(cudaReason({ ...base, cudaCompiled: false }, null)).toBe('nvcc not found at build');
    expect(
      cudaReason(
        { ...base, cudaCompiled: false },
        { cpu: true, cuda: false, reason: null, cudaReason: 'CUDA build failed: x' },
      ),
    ).toBe('CUDA build failed: x');
  });

  it("classifies cudaGetDeviceCount's error with its own text", () => {
    const driver = 'CUDA driver version is insufficient for CUDA runtime version';
    expect(cudaReason({ ...base, cudaError: driver, cudaErrorCode: 35 }, null)).toBe(
      `no CUDA driver (cudaGetDeviceCount: ${driver})`,
    );
    const device = 'no CUDA-capable device is detected';
    expect(cudaReason({ ...base, cudaError: device, cudaErrorCode: 100 }, null)).toBe(
      `no CUDA device (cudaGetDeviceCount: ${device})`,
    );
    expect(cudaReason({ ...base, cudaError: 'odd', cudaErrorCode: 999 }, null)).toBe(
      'CUDA unavailable (cudaGetDeviceCount: odd)',
    );
    expect(cudaReason({ ...base, cudaDeviceCount: 0 }, null)).toMatch(/^no CUDA device/);
    expect(cudaReason({ ...base, cudaDeviceCount: 1, cudaDevice: 'NVIDIA H200' }, null)).toBeNull();
  });
});

describe('addonMissingReason', () => {
  it("gives the failed build's reason, else how to build the addon", () => {
    expect(addonMissingReason({ cpu: false, cuda: false, reason: 'no C++ compiler (g++)' })).toBe(
      'native addon not built: no C++ compiler (g++)',
    );
    expect(addonMissingReason(null)).toBe('native addon not built (run `npm run build:native`)');
    expect(addonMissingReason({ cpu: true, cuda: false, reason: null })).toBe(
      'native addon not built (run `npm run build:native`)',
    );
  });
});
