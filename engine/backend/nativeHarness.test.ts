/**
 * Builds the C++ harness of the kernels' C ABI (native/test/test_kernels.cc) with the system C++
 * compiler and runs it twice: with the run-time-dispatched instruction set (AVX2 where the CPU has it)
 * forced to the portable baseline build, and with streaming stores forced on. Skips, saying why, when no compiler is installed.
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(fileURLToPath(import.meta.url), '..', '..', '..');
const cxx = ['c++', 'g++', 'clang++'].find((c) => spawnSync(c, ['--version']).status === 0) ?? null;
if (!cxx) console.log('native harness skipped: no C++ compiler (c++, g++ or clang++) on PATH');

describe.skipIf(!cxx)('C ABI harness (native/test)', () => {
  it('passes every check with the dispatched, baseline and streaming-store kernels', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ns-harness-'));
    try {
      const exe = join(dir, 'test_kernels');
      const k = (f: string): string => join(root, 'native', 'kernels', f);
      const build = spawnSync(
        cxx!,
        [
          '-O2',
          '-std=c++17',
          '-Wno-psabi',
          '-pthread',
          ...(process.arch === 'x64' ? ['-msse4.2'] : []),
          '-fno-math-errno',
          k('cpu_kernels.cc'),
          k('thread_pool.cc'),
          k('ns_error.cc'),
          k('gather_stats.cc'),
          join(root, 'native', 'test', 'test_kernels.cc'),
          '-o',
          exe,
        ],
        { encoding: 'utf8', timeout: 180_000 },
      );
      expect(build.status, build.stderr).toBe(0);
      // auto ISA; the portable baseline; streaming stores forced on for every plane-plan tensor
      const runs: [string, Record<string, string>][] = [
        ['auto', {}],
        ['baseline', { NORMSCOPE_CPU_ISA: 'baseline' }],
        ['streaming stores', { NORMSCOPE_STREAM_MIN_BYTES: '0' }],
      ];
      for (const [isa, env] of runs) {
        const r = spawnSync(exe, [], { encoding: 'utf8', timeout: 120_000, env: { ...process.env, ...env } });
        console.log(`harness (${isa}): ${r.stdout.trim().split('\n').slice(-1)[0]}`);
        expect(r.status, r.stdout + r.stderr).toBe(0);
        expect(r.stdout).toMatch(/failures=0/);
        if (isa === 'baseline') expect(r.stdout).toMatch(/isa=baseline/);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 300_000);
});
