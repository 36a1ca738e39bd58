/** The .npy reader against files written by real NumPy (all three format versions, both byte orders). */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { NpyError, readNpy, writeNpy } from './npy.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'normscope-npy-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const hasNumpy = spawnSync('/usr/bin/python3', ['-c', 'import numpy'], { encoding: 'utf8' }).status === 0;
if (!hasNumpy) console.log('[npy] NumPy-written files skipped: /usr/bin/python3 has no numpy');

describe('readNpy', () => {
  it('round-trips its own writer (float32 and float64)', () => {
    const a = { shape: [2, 3], dtype: 'float32' as const, data: Float32Array.from([1, 2, 3, 4.5, -5, 6]) };
    expect(readNpy(writeNpy(a))).toEqual(a);
    const b = { shape: [4], dtype: 'float64' as const, data: Float64Array.from([0.1, 0.2, 1e300, -0]) };
    expect(readNpy(writeNpy(b))).toEqual(b);
    const empty = { shape: [0, 3], dtype: 'float32' as const, data: new Float32Array(0) };
    expect(readNpy(writeNpy(empty))).toEqual(empty);
  });

  it.skipIf(!hasNumpy)('reads what NumPy writes: versions 1/2/3, little and big endian, float32/float64', () => {
    const script = `
import numpy as np, sys
d = sys.argv[1]
x = (np.arange(24).reshape(2, 3, 4) * 0.25 - 1.5)
for dt in ['<f4', '>f4', '<f8', '>f8']:
    for v in [(1, 0), (2, 0), (3, 0)]:
        with open(f"{d}/x_{dt[0] == '<' and 'le' or 'be'}{dt[2]}_v{v[0]}.npy", 'wb') as f:
            np.lib.format.write_array(f, x.astype(dt), version=v)
np.save(f"{d}/fortran.npy", np.asfortranarray(x.astype('<f4')))
np.save(f"{d}/int.npy", np.arange(4, dtype=np.int64))
`;
    const r = spawnSync('/usr/bin/python3', ['-c', script, dir], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    const expected = Array.from({ length: 24 }, (_, i) => i * 0.25 - 1.5);
    let n = 0;
    for (const order of ['le', 'be']) {
      for (const size of ['4', '8']) {
        for (const v of [1, 2, 3]) {
          const a = readNpy(readFileSync(path.join(dir, `x_${order}${size}_v${v}.npy`)));
          expect(a.shape).toEqual([2, 3, 4]);
          expect(a.dtype).toBe(size === '4' ? 'float32' : 'float64');
          expect([...a.data]).toEqual(expected);
          n++;
        }
      }
    }
    expect(n).toBe(12);
    expect(() => readNpy(readFileSync(path.join(dir, 'fortran.npy')))).toThrow(/Fortran-order/);
    expect(() => readNpy(readFileSync(path.join(dir, 'int.npy')))).toThrow(/"<i8" is not supported/);
  });

  it('refuses malformed files with clear errors', () => {
    expect(() => readNpy(new Uint8Array([1, 2, 3]))).toThrow(NpyError);
    expect(() => readNpy(new Uint8Array(20))).toThrow(/bad magic/);
    const good = writeNpy({ shape: [2, 2], dtype: 'float32', data: new Float32Array(4) });
    expect(() => readNpy(good.subarray(0, good.length - 3))).toThrow(/truncated: shape \(2, 2\) needs 16 bytes/);
    const v9 = good.slice();
    v9[6] = 9;
    expect(() => readNpy(v9)).toThrow(/unsupported .npy format version 9/);
  });
});
