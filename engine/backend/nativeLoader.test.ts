/**
 * How the loader reports backends: on a machine without a GPU the CUDA path says so cleanly instead of
 * failing (the reasons themselves: nativeDiagnosis.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { loadNativeBackends } from './nativeLoader.js';
import { backendInfo, getBackend, setBackend } from './registry.js';
import { ValueError } from '../errors.js';

const nb = loadNativeBackends();

describe.skipIf(nb.cuda.backend !== null)('CUDA on a machine without a usable GPU', () => {
  it('reports itself unavailable with a reason, and auto falls back', () => {
    console.log(`cuda backend here: ${nb.cuda.reason}`);
    expect(nb.cuda.status).toMatchObject({ name: 'cuda', available: false });
    expect(nb.cuda.reason).toMatch(
      /^(nvcc not found at build|no CUDA driver \(cudaGetDeviceCount: .+\)|no CUDA device|CUDA build failed|CUDA unavailable|CUDA disabled at build \(NORMSCOPE_NO_CUDA\)|native addon)/,
    );
    const info = backendInfo();
    const cudaStatus = info.backends.find((b) => b.name === 'cuda')!;
    expect(cudaStatus.available).toBe(false);
    expect(cudaStatus.reason).toBe(nb.cuda.reason);
    const prev = info.requested;
    try {
      expect(() => setBackend('cuda')).toThrow(ValueError);
      expect(() => setBackend('cuda')).toThrow(`backend 'cuda' is unavailable: ${nb.cuda.reason}`);
      setBackend('auto');
      expect(getBackend().name).toBe(nb.cpu.backend ? 'cpu' : 'ts');
    } finally {
      setBackend(prev);
    }
  });
});

describe.skipIf(!nb.cpu.backend)('native cpu status', () => {
  it('reports threads and the CPU it runs on', () => {
    expect(nb.cpu.status.available).toBe(true);
    expect(nb.cpu.status.threads).toBeGreaterThanOrEqual(1);
    expect(nb.cpu.status.device ?? '').toMatch(/\((avx2|baseline)\)$/);
  });
});

describe.skipIf(!!nb.cpu.backend)('without the addon', () => {
  it('says why', () => {
    expect(nb.cpu.reason).toMatch(/^native addon (not built|failed to load)/);
  });
});
