// Large windows are read in parallel pieces by the native addon (native/addon/file_read.cc) where it is
// built: the bytes must be exactly those of a plain read, errors must be typed, and a file that
// shrinks under an open checkpoint must give a CheckpointError, not garbage.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadAddon } from '../backend/nativeLoader.js';
import { Tensor } from '../tensor/tensor.js';
import { StateDict } from '../nn/stateDict.js';
import { loadCheckpoint } from './checkpoint.js';
import { CheckpointError } from './errors.js';
import { openFile } from './fileAdapter.js';
import { saveTorch } from './save.js';
import { tempDir } from './testUtil.js';

const dir = tempDir('normscope-pread-');
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
const readFileRange = loadAddon().addon?.readFileRange?.bind(loadAddon().addon);
const why = process.platform === 'win32' ? 'not built on Windows' : 'the native addon is not built here';

function randomBytes(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    out[i] = s & 0xff;
  }
  return out;
}

describe.skipIf(!readFileRange)(`parallel positioned reads (${readFileRange ? 'native addon' : why})`, () => {
  it('reads exactly the bytes of the range, in any number of pieces', () => {
    const f = path.join(dir, 'bytes.bin');
    const bytes = randomBytes(9 * 1024 * 1024 + 321, 7);
    fs.writeFileSync(f, bytes);
    const fd = fs.openSync(f, 'r');
    try {
      for (const parts of [1, 2, 3, 4, 16]) {
        const dst = new Uint8Array(8 * 1024 * 1024 + 5);
        expect(readFileRange!(fd, 123, dst, parts)).toBe(dst.length);
        expect(Buffer.from(dst).equals(Buffer.from(bytes.subarray(123, 123 + dst.length))), `parts=${parts}`).toBe(
          true,
        );
      }
      const past = new Uint8Array(2 * 1024 * 1024);
      expect(() => readFileRange!(fd, bytes.length - 1024, past, 4)).toThrow(/unexpected end of file at byte/);
      expect(() => readFileRange!(fd, -1, past)).toThrow(RangeError);
      expect(() => readFileRange!(fd, 0, new Float32Array(4) as unknown as Uint8Array)).toThrow(TypeError);
    } finally {
      fs.closeSync(fd);
    }
    expect(() => readFileRange!(999_999, 0, new Uint8Array(16))).toThrow(/read failed/);
  });

  it('a checkpoint with a 12 MiB storage loads the same windowed (parallel) as from memory', () => {
    const n = 3 * 1024 * 1024;
    const values = new Float32Array(n);
    for (let i = 0; i < n; i++) values[i] = Math.sin(i) * 1000;
    const f = path.join(dir, 'big.pt');
    saveTorch(f, new StateDict([['w', new Tensor(values, [n])]]));
    const windowed = loadCheckpoint(f, { mode: 'windowed' });
    const memory = loadCheckpoint(f, { mode: 'memory' });
    const a = windowed.stateDict().get('w')!.data as Float32Array;
    const b = memory.stateDict().get('w')!.data as Float32Array;
    expect(Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(values.buffer))).toBe(true);
    expect(Buffer.from(b.buffer, b.byteOffset, b.byteLength).equals(Buffer.from(values.buffer))).toBe(true);
    windowed.close();
    memory.close();
  });

  it('a file that shrinks while open gives a CheckpointError on the next large read', () => {
    const f = path.join(dir, 'shrinks.bin');
    fs.writeFileSync(f, randomBytes(12 * 1024 * 1024, 3));
    const src = openFile(f, { mode: 'windowed' });
    try {
      expect(src.read(0, 5 * 1024 * 1024).length).toBe(5 * 1024 * 1024);
      fs.truncateSync(f, 6 * 1024 * 1024);
      expect(() => src.read(1024 * 1024, 8 * 1024 * 1024)).toThrow(CheckpointError);
      expect(() => src.read(1024 * 1024, 8 * 1024 * 1024)).toThrow(
        /cannot read .*shrinks\.bin: unexpected end of file/,
      );
    } finally {
      src.close();
    }
  });
});
