// The device-resident ops (native/kernels/cuda_device.cu, normscope_device.h) on the CPU emulator:
// native/gpu-check/device_ops_harness.cc runs every function, float32 and float64, against its C++
// reference, checks the transfer counters and the error codes. A second run lowers the emulated
// device (1 multiprocessor, grid.y limit 2) so every grid-stride and GEMM tile loop takes several
// passes at these sizes.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

const out = join('native', 'build', 'cuda-emu');
const harness = join(out, 'device_ops_harness');
const hasCxx = spawnSync('sh', ['-c', 'command -v ${CXX:-g++}']).status === 0;
if (!hasCxx) console.log('device-ops emulator tests skipped: no C++ compiler (g++) on PATH');

function run(env: Record<string, string> = {}) {
  const r = spawnSync(harness, ['--emu'], { encoding: 'utf8', timeout: 120_000, env: { ...process.env, ...env } });
  console.log(r.stdout.trim().split('\n').slice(-1).join('\n'));
  return r;
}

describe.skipIf(!hasCxx)('device-resident CUDA ops on the CPU emulator', () => {
  beforeAll(() => {
    const r = spawnSync(process.execPath, ['tools/build-cuda-emu.mjs', '--no-addon'], { encoding: 'utf8' });
    expect(r.status, r.stdout + r.stderr).toBe(0);
  }, 300_000);

  it('every op matches the C++ reference; counters and error codes are exact', () => {
    expect(existsSync(harness)).toBe(true);
    const r = run();
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/device: NormScope CUDA emulator/);
    const m = /device ops harness: checks=(\d+) failures=0 /.exec(r.stdout);
    expect(m, r.stdout).not.toBeNull();
    expect(Number(m![1])).toBeGreaterThanOrEqual(9_100_000); // 9.14e6 with the inspector's summary and histogram cases
  }, 120_000);

  it('the same with several grid-stride passes and GEMM tile loops (1 SM, grid.y limit 2)', () => {
    const r = run({ NS_CUDA_EMU_SMS: '1', NS_CUDA_EMU_MAX_GRID_Y: '2' });
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/device: NormScope CUDA emulator \(CPU\), [\d.]+ GiB, 1 SMs/);
    expect(r.stdout).toMatch(/device ops harness: checks=\d{7,} failures=0 /);
  }, 120_000);
});
