// File handling: formats detected by bytes (not extension), windowed reads equal whole-file reads,
// atomic writes that never replace an existing file unless asked and leave nothing behind on failure.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadCheckpoint } from './checkpoint.js';
import { CheckpointError } from './errors.js';
import { writeFileAtomic } from './fileAdapter.js';
import { saveTorch } from './save.js';
import { corpusFile, manifest, tempDir } from './testUtil.js';
import { Tensor } from '../tensor/tensor.js';
import { StateDict } from '../nn/stateDict.js';

let dir = '';
beforeAll(() => {
  dir = tempDir('normscope-files-');
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('format detection', () => {
  it('ignores the extension', () => {
    for (const [name, fmt] of [
      ['tiny.safetensors', 'safetensors'],
      ['tiny_legacy.pt', 'torch-legacy'],
      ['tiny_state_dict.pt', 'torch-zip'],
    ]) {
      const copy = path.join(dir, `${name}.misnamed.txt`);
      fs.copyFileSync(corpusFile(name!), copy);
      const ck = loadCheckpoint(copy);
      expect(ck.format).toBe(fmt);
      ck.close();
    }
  });
});

describe('windowed reading (what files over 16 MiB use)', () => {
  it('gives the same tensors as a whole-file read, for every corpus file', () => {
    for (const name of Object.keys(manifest())) {
      if (name.includes('sharded')) continue;
      const a = loadCheckpoint(corpusFile(name), { placeholders: true });
      const b = loadCheckpoint(corpusFile(name), { mode: 'windowed', placeholders: true });
      const ta = a.tensors();
      const tb = b.tensors();
      expect(tb.map((t) => t.key)).toEqual(ta.map((t) => t.key));
      for (let i = 0; i < ta.length; i++) {
        expect(Array.from(tb[i]!.ref.materialize().data as ArrayLike<unknown>), `${name} ${ta[i]!.key}`).toEqual(
          Array.from(ta[i]!.ref.materialize().data as ArrayLike<unknown>),
        );
      }
      a.close();
      b.close();
    }
  });
});

describe('atomic writes', () => {
  const sd = new StateDict([['w', new Tensor(new Float32Array([1, 2]), [2])]]);
  it('refuses to replace an existing file unless asked', () => {
    const f = path.join(dir, 'exists.pt');
    fs.writeFileSync(f, 'keep me');
    expect(() => saveTorch(f, sd)).toThrow(CheckpointError);
    expect(fs.readFileSync(f, 'utf8')).toBe('keep me');
    saveTorch(f, sd, { overwrite: true });
    expect(loadCheckpoint(f).stateDict().get('w')!.toArray()).toEqual([1, 2]);
  });
  it('a failing writer leaves neither the target nor a temp file', () => {
    const f = path.join(dir, 'fails.pt');
    expect(() =>
      writeFileAtomic(f, (sink) => {
        sink.write(new Uint8Array(10));
        throw new CheckpointError('boom');
      }),
    ).toThrow('boom');
    expect(fs.readdirSync(dir).filter((x) => x.includes('fails'))).toEqual([]);
  });
});

describe('sharded safetensors', () => {
  it('writes shards + index.json that read back as one state dict with _metadata', async () => {
    const { saveSafetensorsSharded } = await import('./save.js');
    const ck = loadCheckpoint(corpusFile('shufflenet_v2_x0_5.pt'));
    const sd = ck.stateDict();
    const index = path.join(dir, 'model.safetensors.index.json');
    const names = saveSafetensorsSharded(index, sd, { maxShardBytes: 2 * 1024 * 1024 });
    expect(names.length).toBeGreaterThan(1);
    expect(names[0]).toBe(`model-00001-of-${String(names.length).padStart(5, '0')}.safetensors`);
    const back = loadCheckpoint(index);
    expect(back.format).toBe('safetensors-sharded');
    const sd2 = back.stateDict();
    expect([...sd2.keys()]).toEqual([...sd.keys()]);
    expect(Object.fromEntries(sd2.metadata)).toEqual(Object.fromEntries(sd.metadata));
    for (const [k, t] of sd)
      expect(Array.from(sd2.get(k)!.data as ArrayLike<unknown>), k).toEqual(Array.from(t.data as ArrayLike<unknown>));
    back.close();
    ck.close();
  });
});

describe('lazy, zero-copy reading', () => {
  it('a header-only pass reads the zip directory and data.pkl, not the storages', async () => {
    const { MemorySource } = await import('./byteSource.js');
    const { readTorchZip } = await import('./torchZip.js');
    const { walkTensors } = await import('./tree.js');
    const bytes = new Uint8Array(fs.readFileSync(corpusFile('shufflenet_v2_x0_5.pt')));
    let read = 0;
    const src = new MemorySource(bytes, 'counted');
    const counting = Object.assign(Object.create(src) as typeof src, {
      read: (o: number, n: number) => {
        read += n;
        return src.read(o, n);
      },
    });
    const z = readTorchZip(counting);
    const refs = [...walkTensors(z.root)];
    expect(refs.length).toBe(338);
    expect(read).toBeLessThan(bytes.length / 20);
    // Materializing a stored float32 entry gives a view over the file's bytes: no copy.
    const t = refs.find((r) => r.key === 'conv1.0.weight')!.ref.materialize();
    expect(t.data.buffer).toBe(bytes.buffer);
  });
});

describe('engine modules', () => {
  it('a lazy module that has not run cannot be saved (clear error), and can once materialized', async () => {
    const { LazyBatchNorm1d } = await import('../nn/lazy.js');
    const { torchBytes, safetensorsBytes } = await import('./save.js');
    const { loadCheckpointBytes } = await import('./checkpoint.js');
    const m = new LazyBatchNorm1d();
    expect(() => torchBytes(m.stateDict())).toThrow(/uninitialized parameter/);
    expect(() => safetensorsBytes(m.stateDict())).toThrow(/uninitialized parameter/);
    m.train();
    m.forward(new Tensor(new Float32Array([1, 2, 3, 4, 5, 6]), [2, 3]));
    const sd = loadCheckpointBytes(torchBytes(m.stateDict())).stateDict();
    expect(sd.get('running_mean')!.shape).toEqual([3]);
    expect(sd.get('num_batches_tracked')!.item()).toBe(1);
    expect(Object.fromEntries(sd.metadata)).toEqual({ '': { version: 2 } });
  });
});
