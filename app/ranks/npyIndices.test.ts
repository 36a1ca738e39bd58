/** readNpyIndices (cross-entropy targets for `normscope model train`) against files real NumPy writes. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { NpyError, readNpyIndices, writeNpy } from './npy.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'normscope-npyidx-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const hasNumpy = spawnSync('/usr/bin/python3', ['-c', 'import numpy'], { encoding: 'utf8' }).status === 0;
if (!hasNumpy) console.log('[npy] NumPy-written files skipped: /usr/bin/python3 has no numpy');

describe('readNpyIndices', () => {
  it.skipIf(!hasNumpy)('reads every integer width and byte order NumPy writes, and whole-number floats', () => {
    const script = `
import numpy as np, sys
d = sys.argv[1]
y = np.array([0, 3, 1, 999, 7])
for dt in ['<i8', '>i8', '<i4', '>i4', '<i2', '|i1', '|u1', '<u2', '<u4', '<u8', '<f4', '>f8']:
    np.save(f"{d}/y_{dt[1:]}_{'be' if dt[0] == '>' else 'le'}.npy", y.astype(dt) if dt not in ('|i1', '|u1') else np.array([0, 3, 1, 99, 7], dtype=dt))
np.save(f"{d}/frac.npy", np.array([0.5, 1.0], dtype='<f4'))
np.save(f"{d}/complex.npy", np.array([1j]))
`;
    const r = spawnSync('/usr/bin/python3', ['-c', script, dir], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    for (const name of ['i8_le', 'i8_be', 'i4_le', 'i4_be', 'i2_le', 'u2_le', 'u4_le', 'u8_le', 'f4_le', 'f8_be']) {
      const a = readNpyIndices(readFileSync(path.join(dir, `y_${name}.npy`)));
      expect(a.shape, name).toEqual([5]);
      expect([...a.data], name).toEqual([0n, 3n, 1n, 999n, 7n]);
    }
    for (const name of ['i1_le', 'u1_le']) {
      expect([...readNpyIndices(readFileSync(path.join(dir, `y_${name}.npy`))).data]).toEqual([0n, 3n, 1n, 99n, 7n]);
    }
    expect(() => readNpyIndices(readFileSync(path.join(dir, 'frac.npy')))).toThrow(
      /value 0.5 at index 0 is not a class index/,
    );
    expect(() => readNpyIndices(readFileSync(path.join(dir, 'complex.npy')), 'Y.npy')).toThrow(
      /Y.npy: dtype "<c16" is not supported/,
    );
  });

  it('refuses malformed and truncated files with the reader errors', () => {
    expect(() => readNpyIndices(new Uint8Array([0x93, 1, 2]))).toThrow(/bad magic/);
    const good = writeNpy({ shape: [3], dtype: 'float32', data: Float32Array.from([1, 2, 3]) });
    expect([...readNpyIndices(good).data]).toEqual([1n, 2n, 3n]);
    expect(() => readNpyIndices(good.subarray(0, good.length - 1), 'y.npy')).toThrow(NpyError);
    expect(() => readNpyIndices(good.subarray(0, good.length - 1), 'y.npy')).toThrow(/y.npy: data is truncated/);
  });
});
