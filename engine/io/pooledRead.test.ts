// Storages read from a file land in buffers of the caching host allocator (engine/tensor/allocator.ts):
// one exact-length buffer per storage, so releasing the tensors of one load (dispose) lets the next load
// reuse already-mapped memory (issue 18), while a tensor's release or write never reaches another
// tensor's bytes or the checkpoint's own state.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadCheckpoint } from './checkpoint.js';
import { memorySink } from './byteSource.js';
import { Pickler } from './pickler.js';
import { saveTorch } from './save.js';
import { tempDir } from './testUtil.js';
import { ZipWriter } from './zipWriter.js';
import { dispose } from '../tensor/scope.js';
import { memoryStats, POOL_MIN_BYTES } from '../tensor/allocator.js';
import { Tensor } from '../tensor/tensor.js';
import { StateDict } from '../nn/stateDict.js';

const N = 8192; // float32 elements per tensor: 32 KiB, above POOL_MIN_BYTES
let dir = '';
let file = '';
const values = (seed: number) => Float32Array.from({ length: N }, (_, i) => Math.sin(seed * 1000 + i));

beforeAll(() => {
  expect(N * 4).toBeGreaterThanOrEqual(POOL_MIN_BYTES);
  dir = tempDir('normscope-pooled-');
  file = path.join(dir, 'three.pt');
  const shared = new Tensor(values(3), [N]);
  saveTorch(
    file,
    new StateDict([
      ['a', new Tensor(values(1), [N])],
      ['b', new Tensor(values(2), [64, 128])],
      ['tied1', shared],
      ['tied2', shared],
    ]),
  );
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const vals = (t: Tensor) => Array.from(t.hostView() as Float32Array);
const expected = (key: string) => values({ a: 1, b: 2, tied1: 3, tied2: 3 }[key]!);
const windowed = () => loadCheckpoint(file, { mode: 'windowed' });

describe('storages read into pooled buffers', () => {
  it('gives each storage its own buffer of exactly its length', () => {
    const ck = windowed();
    const sd = ck.stateDict();
    ck.close();
    for (const [k, t] of sd) {
      const d = t.hostView();
      expect(d.byteOffset, k).toBe(0);
      expect(d.buffer.byteLength, k).toBe(d.byteLength);
      expect(Array.from(d as Float32Array), k).toEqual(Array.from(expected(k)));
    }
    // One file storage, two keys: one buffer, as in PyTorch.
    expect(sd.get('tied1')!.hostView().buffer).toBe(sd.get('tied2')!.hostView().buffer);
    expect(sd.get('a')!.hostView().buffer).not.toBe(sd.get('b')!.hostView().buffer);
  });

  it('reuses the buffers of a load whose tensors were disposed, with the new file values', () => {
    const first = windowed();
    const sd1 = first.stateDict();
    first.close();
    dispose(sd1);
    const before = memoryStats();
    const second = windowed();
    const sd2 = second.stateDict();
    second.close();
    const after = memoryStats();
    // Three storages of 32 KiB: all three come from the cache, none is freshly mapped.
    expect(after.poolHits - before.poolHits).toBeGreaterThanOrEqual(3);
    for (const [k, t] of sd2) expect(vals(t), k).toEqual(Array.from(expected(k)));
    // What was disposed stays unreadable: it never shows the new owner's values.
    expect(sd1.get('a')!.storage.isReleased).toBe(true);
    expect(() => sd1.get('a')!.hostView()).toThrow(/released/);
  });

  it('disposing one tensor leaves the other tensors and the checkpoint readable', () => {
    const ck = windowed();
    const sd = ck.stateDict();
    dispose(sd.get('a'));
    // A later load takes a's buffer from the cache and writes other values into it.
    const other = windowed();
    const again = other.stateDict();
    other.close();
    expect(vals(sd.get('b')!)).toEqual(Array.from(expected('b')));
    expect(vals(again.get('a')!)).toEqual(Array.from(expected('a')));
    // The checkpoint's cached storage died with a's buffer: it is read again, not handed out empty.
    const fresh = ck.stateDict();
    expect(vals(fresh.get('a')!)).toEqual(Array.from(expected('a')));
    ck.close();
  });

  it('tied tensors share one engine storage: disposing one makes the other refuse reads, not read empty', () => {
    const ck = windowed();
    const sd = ck.stateDict();
    expect(sd.get('tied1')!.storage).toBe(sd.get('tied2')!.storage);
    dispose(sd.get('tied1'));
    expect(() => sd.get('tied2')!.hostView()).toThrow(/released/);
    // The checkpoint reads the storage again for whoever asks next.
    const again = ck.stateDict();
    ck.close();
    expect(again.get('tied1')!.storage).toBe(again.get('tied2')!.storage);
    expect(vals(again.get('tied2')!)).toEqual(Array.from(expected('tied2')));
  });

  it('a write into a loaded tensor changes no other tensor and no later load', () => {
    const ck = windowed();
    const sd = ck.stateDict();
    ck.close();
    (sd.get('a')!.data as Float32Array).fill(7);
    expect(vals(sd.get('b')!)).toEqual(Array.from(expected('b')));
    expect(vals(sd.get('tied1')!)).toEqual(Array.from(expected('tied1')));
    const again = windowed().stateDict();
    expect(vals(again.get('a')!)).toEqual(Array.from(expected('a')));
  });

  it('whole-file reads (small files) are not pooled: disposing one tensor cannot take the file from the others', () => {
    const ck = loadCheckpoint(file, { mode: 'memory' });
    const sd = ck.stateDict();
    ck.close();
    dispose(sd.get('a'));
    expect(vals(sd.get('b')!)).toEqual(Array.from(expected('b')));
    expect(vals(sd.get('a')!)).toEqual(Array.from(expected('a')));
  });

  it('reads only the storage of a stored record longer than it (the buffer stays exact)', () => {
    const sink = memorySink();
    const zip = new ZipWriter(sink);
    const t = new Tensor(values(4), [N]);
    const pickle = new Pickler(() => ({
      storageKey: '0',
      storageType: 'FloatStorage',
      storageNumel: N,
      offset: 0,
      shape: [N],
      stride: [1],
    })).dump(t);
    zip.add('archive/data.pkl', pickle);
    const record = new Uint8Array(N * 4 + 4096).fill(0xee);
    record.set(new Uint8Array(t.hostView().buffer, 0, N * 4));
    zip.add('archive/data/0', record);
    zip.add('archive/version', new TextEncoder().encode('3\n'));
    zip.finish();
    const long = path.join(dir, 'long-record.pt');
    fs.writeFileSync(long, sink.bytes());
    const ck = loadCheckpoint(long, { mode: 'windowed' });
    const d = (ck.root as unknown as { materialize(): Tensor }).materialize().hostView();
    ck.close();
    expect(d.buffer.byteLength).toBe(N * 4);
    expect(Array.from(d as Float32Array)).toEqual(Array.from(values(4)));
  });
});
