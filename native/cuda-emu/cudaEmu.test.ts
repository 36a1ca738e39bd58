// The CUDA emulator (native/cuda-emu): its translator, its own tests, and the CUDA kernels run on it
// against the CPU kernels (native/gpu-check/cuda_harness.cc with the emulator's shape list). The
// engine's parity suite on the emulated CUDA backend is a separate `npm test` stage
// (emulatedCuda.emu.test.ts and the parity files with the emulated addon loaded).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { translateCuda } from './translate.mjs';

const out = join('native', 'build', 'cuda-emu');
const hasCxx = spawnSync('sh', ['-c', 'command -v ${CXX:-g++}']).status === 0;
if (!hasCxx) console.log('CUDA emulator tests skipped: no C++ compiler (g++) on PATH');

describe('translateCuda', () => {
  const t = (src: string) => translateCuda(src, 'k.cu').split('\n').slice(1).join('\n');
  it('rewrites launches, templates and parenthesised configurations included, keeping lines', () => {
    expect(t('k<<<g, b>>>(x, y);')).toBe('emu::launch(g, b, k, x, y);');
    expect(t('red<T, M><<<dim3(a, b), 256>>>(x,\n  y);')).toBe('emu::launch(dim3(a, b), 256, red<T, M>, x,\n  y);');
    expect(t('c<<<(unsigned)((n + 255) / 256), 256>>>(1);')).toBe(
      'emu::launch((unsigned)((n + 255) / 256), 256, c, 1);',
    );
    expect(t('nop<<<1, 1>>>();')).toBe('emu::launch(1, 1, nop);');
    expect(translateCuda('x', 'k.cu')).toBe('#line 1 "k.cu"\nx');
  });
  it('refuses what the emulator does not model', () => {
    expect(() => translateCuda('k<<<g, b, 0, stream>>>(x);', 'k.cu')).toThrow(
      /k.cu:1: the emulator supports <<<grid, block>>> only/,
    );
    expect(() => translateCuda('extern __shared__ double sh[];', 'k.cu')).toThrow(/dynamic shared memory/);
  });
});

describe.skipIf(!hasCxx)('CUDA kernels on the CPU emulator', () => {
  beforeAll(() => {
    const r = spawnSync(process.execPath, ['tools/build-cuda-emu.mjs', '--no-addon'], { encoding: 'utf8' });
    expect(r.status, r.stdout + r.stderr).toBe(0);
  }, 300_000);

  it('the emulator runs barriers, shuffles and any block order, and refuses what a GPU fails on', () => {
    const r = spawnSync(join(out, 'emu_selftest'), { encoding: 'utf8' });
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/emu selftest: checks=\d+ failures=0/);
    // the refusals are reported, not silent
    expect(r.stderr).toContain('deadlock in block (0,0,0)');
    expect(r.stderr).toMatch(/lane 31 of warp 0( exited|, which has exited)/);
  });

  it('every CUDA kernel matches the CPU kernels on every layout (float32 and float64)', () => {
    expect(existsSync(join(out, 'cuda_harness'))).toBe(true);
    const r = spawnSync(join(out, 'cuda_harness'), ['--emu'], { encoding: 'utf8', timeout: 240_000 });
    console.log(r.stdout.trim().split('\n').slice(-2).join('\n'));
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/device: NormScope CUDA emulator/);
    expect(r.stdout).toMatch(/cuda harness: checks=\d{7,} failures=0/);
  }, 240_000);

  it('the plane kernel loops over channel tiles when channels outnumber grid.y (emulated limit 7)', () => {
    // On a GPU that takes > 65535 channels (65535 blocks of 256 threads: minutes here); the emulator
    // reports a grid.y limit of 7 instead, and the kernels ask the device for it.
    const shapes = ['3', '40', '36', '2', '20', '64', '1', '9', '300', '4', '30', '1024'];
    const r = spawnSync(join(out, 'cuda_harness'), shapes, {
      encoding: 'utf8',
      timeout: 120_000,
      env: { ...process.env, NS_CUDA_EMU_MAX_GRID_Y: '7' },
    });
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/cuda harness: checks=\d{6,} failures=0/);
  });
});
