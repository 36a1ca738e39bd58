// Runs only in `npm test`'s emulated-CUDA stage (NORMSCOPE_CUDA_EMU_STAGE=1, NORMSCOPE_ADDON naming the
// addon built by tools/build-cuda-emu.mjs), next to the parity suite on the `cuda` backend. Checks that
// the stage really runs the CUDA backend (so the parity files cannot pass by covering no backend), that
// device failures reach the engine as typed errors the backend recovers from, and the GPU Node check.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { backendInfo, getBackend } from '../../engine/backend/registry.js';
import { loadNativeBackends } from '../../engine/backend/nativeLoader.js';
import { RuntimeError } from '../../engine/errors.js';
import type { ForwardTrainArgs } from '../../engine/backend/backend.js';
import { expectAllPassed, readReport, runNodeCheck } from '../gpu-check/nodeCheckRun.js';

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

  it('reports device memory exhaustion as a RuntimeError, changes nothing, and works once memory is back', () => {
    const cuda = native.cuda.backend!;
    const cpu = native.cpu.backend!;
    const dims = { n: 64, c: 16, s: 1024 }; // 4 MiB of float32 per tensor
    const perChannel = (f: (ch: number) => number) => Float32Array.from({ length: dims.c }, (_, ch) => f(ch));
    const args = (): ForwardTrainArgs => ({
      x: Float32Array.from({ length: dims.n * dims.c * dims.s }, (_, i) => (i % 97) / 10),
      y: new Float32Array(dims.n * dims.c * dims.s),
      dims,
      weight: perChannel((ch) => 1 + ch / 8),
      bias: perChannel((ch) => ch / 4 - 1),
      runningMean: perChannel(() => 0.5),
      runningVar: perChannel(() => 2),
      momentum: 0.25,
      eps: 1e-3,
    });
    const failing = args();
    process.env.NS_CUDA_EMU_MEM_MB = '1';
    try {
      expect(() => cuda.forwardTrain(failing)).toThrow(RuntimeError);
      expect(() => cuda.forwardTrain(failing)).toThrow(
        /^forwardTrain: .*cudaMalloc \(x\): out of memory \(cudaErrorMemoryAllocation\)$/,
      );
    } finally {
      delete process.env.NS_CUDA_EMU_MEM_MB;
    }
    expect(Array.from(failing.runningMean!)).toEqual(Array.from(args().runningMean!));
    expect(Array.from(failing.runningVar!)).toEqual(Array.from(args().runningVar!));
    expect(failing.y.every((v) => v === 0)).toBe(true);

    const [onCuda, onCpu] = [args(), args()];
    const got = cuda.forwardTrain(onCuda);
    const want = cpu.forwardTrain(onCpu);
    for (let ch = 0; ch < dims.c; ch++) {
      expect(got.mean[ch]).toBeCloseTo(want.mean[ch]!, 6); // float32 statistics are formed in fp32 on CUDA
      expect(got.invstd[ch]).toBeCloseTo(want.invstd[ch]!, 5);
      expect(onCuda.runningVar![ch]).toBeCloseTo(onCpu.runningVar![ch]!, 5);
    }
    expect(onCuda.y[12345]).toBeCloseTo(onCpu.y[12345]!, 5);
  });

  it("passes the GPU machine's Node check (CUDA against CPU, 9 shapes × 2 dtypes, typed errors)", () => {
    const outFile = join(dir, 'node-check.json');
    const r = runNodeCheck(outFile);
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('node-check: cuda (NormScope CUDA emulator (CPU)) against cpu');
    const report = readReport(outFile);
    expectAllPassed(report);
    // The CUDA backend has device ops, so the stack residency check ran and passed.
    expect(report.residency).toMatchObject({ ok: true });
  }, 240_000);
});
