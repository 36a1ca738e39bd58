// Runs only in `npm test`'s emulated-CUDA stage (NORMSCOPE_CUDA_EMU_STAGE=1, NORMSCOPE_ADDON naming the
// addon built by tools/build-cuda-emu.mjs), next to the parity suite on the `cuda` backend. Checks that
// the stage really runs the CUDA backend (so the parity files cannot pass by covering no backend), that
// device failures reach the engine as typed errors the backend recovers from, and the GPU Node check.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { backendInfo, getBackend } from '../../engine/backend/registry.js';
import { loadNativeBackends } from '../../engine/backend/nativeLoader.js';
import { RuntimeError } from '../../engine/errors.js';
import type { ForwardTrainArgs } from '../../engine/backend/backend.js';

const native = loadNativeBackends();
const dir = mkdtempSync(join(tmpdir(), 'ns-emu-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the emulated CUDA backend through Node', () => {
  it('is the backend auto picks, and says it is the emulator', () => {
    expect(native.cuda.reason).toBeNull();
    expect(native.cuda.status).toMatchObject({ available: true, device: 'NormScope CUDA emulator (CPU)' });
    expect(getBackend().name).toBe('cuda');
    expect(backendInfo().active).toBe('cuda');
  });

  it('reports device memory exhaustion as a RuntimeError and works again once memory is back', () => {
    const cuda = native.cuda.backend!;
    const dims = { n: 64, c: 16, s: 1024 }; // 4 MiB of float32 per tensor
    const args = (): ForwardTrainArgs => ({
      x: Float32Array.from({ length: dims.n * dims.c * dims.s }, (_, i) => (i % 97) / 10),
      y: new Float32Array(dims.n * dims.c * dims.s),
      dims,
      weight: null,
      bias: null,
      runningMean: null,
      runningVar: null,
      momentum: 0.1,
      eps: 1e-5,
    });
    process.env.NS_CUDA_EMU_MEM_MB = '1';
    try {
      expect(() => cuda.forwardTrain(args())).toThrow(RuntimeError);
      expect(() => cuda.forwardTrain(args())).toThrow(
        /^forwardTrain: .*cudaMalloc \(x\): out of memory \(cudaErrorMemoryAllocation\)$/,
      );
    } finally {
      delete process.env.NS_CUDA_EMU_MEM_MB;
    }
    const a = args();
    const { mean } = cuda.forwardTrain(a);
    const ref = native.cpu.backend!.forwardTrain({ ...args(), y: new Float32Array(a.y.length) });
    for (let i = 0; i < dims.c; i++) expect(mean[i]).toBeCloseTo(ref.mean[i]!, 12);
  });

  it("passes the GPU machine's Node check (CUDA against CPU, 9 shapes × 2 dtypes, typed errors)", () => {
    const outFile = join(dir, 'node-check.json');
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'native/gpu-check/nodeCheck.ts', outFile], {
      encoding: 'utf8',
      timeout: 240_000,
    });
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('node-check: cuda (NormScope CUDA emulator (CPU)) against cpu');
    const j = JSON.parse(readFileSync(outFile, 'utf8')) as {
      cases: { ok: boolean }[];
      typedErrors: boolean;
      failed: number;
    };
    expect(j.cases).toHaveLength(18);
    expect(j.cases.every((c) => c.ok)).toBe(true);
    expect(j.typedErrors).toBe(true);
    expect(j.failed).toBe(0);
  }, 240_000);
});
