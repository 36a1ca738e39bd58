// Issue 17: reading and writing are bounded by the bytes of the file, not by what it describes.
// Each case failed (hung, exhausted memory, overflowed the stack or was accepted) at 141d4ce.
import { describe, expect, it } from 'vitest';
import * as zlib from 'node:zlib';
import { loadCheckpointBytes } from './checkpoint.js';
import { BudgetError, DEFAULT_BUDGETS, Meter, parseBudgetValue } from './budgets.js';
import { LegacyTorchError, SafetensorsError, TorchZipError } from './errors.js';
import { OP } from './pickleOps.js';
import { PyDict } from './pyobjects.js';
import { safetensorsBytes, torchBytes } from './save.js';
import { metadataOf, walkTensors } from './tree.js';
import { unpickle } from './unpickler.js';
import { readZipDirectory } from './zipReader.js';
import { MemorySource } from './byteSource.js';
import { crc32 } from './crc32.js';
import { Tensor } from '../tensor/tensor.js';
import { P, f32, rawZip, safetensors, start, stateDict, torchZip, bombCorpus } from '../../tools/bombCorpus.js';

const bomb = (name: string) => bombCorpus(false).find((b) => b.name === name)!.bytes;

describe('views: work proportional to the storage, not the view', () => {
  it('a (46340, 46340) stride-0 view of one element: footprint is that element, numel is computed', () => {
    const ck = loadCheckpointBytes(bomb('expand_f32.pt'));
    const ref = ck.tensors()[0]!.ref;
    expect(ref.numel()).toBe(46340 * 46340);
    expect(ref.isExpanded()).toBe(true);
    const fp = ref.footprint();
    expect(fp.numel()).toBe(1);
    expect(fp.getFlat(0)).toBe(1.5);
  });

  it('materialising the expanded view is refused by the byte budget before allocating', () => {
    const ck = loadCheckpointBytes(bomb('expand_f64.pt'));
    const e = (() => {
      try {
        ck.tensors()[0]!.ref.materialize();
      } catch (x) {
        return x;
      }
    })();
    expect(e).toBeInstanceOf(BudgetError);
    expect((e as BudgetError).budget).toBe('maxBytes');
    expect((e as Error).message).toMatch(/--max-bytes/);
  });

  it('transposed and sliced views summarise over exactly their elements', () => {
    const p = start().orderedDict().op(OP.MARK);
    p.str('t').tensor('0', 'FloatStorage', 6, 0, [3, 2], [1, 3]); // transpose of [[0,1,2],[3,4,5]]
    p.str('s').tensor('0', 'FloatStorage', 6, 1, [2], [3]); // elements 1 and 4
    const ck = loadCheckpointBytes(torchZip(p.op(OP.SETITEMS, OP.STOP).bytes(), { '0': f32(0, 1, 2, 3, 4, 5) }));
    const [t, s] = ck.tensors().map((x) => x.ref);
    expect([...(t!.footprint().hostView() as Float32Array)].sort()).toEqual([0, 1, 2, 3, 4, 5]);
    expect([...(s!.footprint().hostView() as Float32Array)]).toEqual([1, 4]);
  });
});

describe('writers: each storage once, views kept, shared objects pickled once', () => {
  it('a pickle DAG of 40 levels (2^40 paths) converts to a file of its own size', () => {
    const ck = loadCheckpointBytes(bomb('dag_40.pt'));
    const out = torchBytes(ck.root as PyDict);
    expect(out.length).toBeLessThan(4 * 1870);
    // …and reads back as the same DAG: level 40's two keys are one object.
    const back = loadCheckpointBytes(out).root as PyDict;
    expect(back.get('a')).toBe(back.get('b'));
  });

  it("{'model': sd, 'ema': sd} is written once and both key paths are listed", () => {
    const sd = new Map([['w', new Tensor(Float32Array.of(1, 2), [2], 'float32')]]);
    const root = new PyDict();
    const shared = new PyDict('OrderedDict');
    for (const [k, t] of sd) shared.set(k, t as never);
    root.set('model', shared).set('ema', shared);
    const bytes = torchBytes(root);
    const records = [...readZipDirectory(new MemorySource(bytes)).entries.keys()].filter((n) => n.includes('/data/'));
    expect(records).toHaveLength(1);
    const ck = loadCheckpointBytes(bytes);
    expect(ck.tensors().map((t) => t.key)).toEqual(['model.w', 'ema.w']);
    expect(ck.stateDicts().map((s) => s.path)).toEqual(['model', 'ema']);
  });

  it('20,000 references to one tensor: one storage record in torch output, refused as safetensors', () => {
    const t = new Tensor(new Float32Array(1024), [1024], 'float32');
    const sd = new Map<string, Tensor>();
    for (let i = 0; i < 20_000; i++) sd.set(`l${i}.weight`, t);
    const bytes = torchBytes(sd);
    expect(bytes.length).toBeLessThan(1024 * 4 + 20_000 * 40);
    const inputBytes = bytes.length;
    expect(() => safetensorsBytes(sd, null)).not.toThrow(); // no input size given: no expansion budget
    const e = (() => {
      try {
        const ck = loadCheckpointBytes(bytes);
        const refs = new Map(ck.tensors().map((x) => [x.key, x.ref]));
        safetensorsBytesWith(refs, inputBytes);
      } catch (x) {
        return x;
      }
    })();
    expect(e).toBeInstanceOf(BudgetError);
    expect((e as BudgetError).budget).toBe('maxExpansion');
    expect((e as Error).message).toMatch(/--max-expansion/);
  });
});

import { writeSafetensors } from './safetensors.js';
import { memorySink } from './byteSource.js';
function safetensorsBytesWith(refs: Map<string, never> | Map<string, unknown>, inputBytes: number): Uint8Array {
  const sink = memorySink();
  writeSafetensors(sink, refs as never, null, { inputBytes });
  return sink.bytes();
}

describe('nesting and amplification budgets', () => {
  it('cyclic _metadata: the version is read, the cycle ends in null', () => {
    const ck = loadCheckpointBytes(bomb('metadata_cyclic.pt'));
    const md = ck.stateDicts()[0]!.metadata!;
    expect(md.get('bn')).toEqual({ version: 2, self: null });
  });

  it('_metadata 100,000 deep hits the depth budget (iteratively, no stack overflow)', () => {
    const p = start().op(OP.EMPTY_DICT);
    for (let i = 0; i < 100_000; i++) p.str('a').op(OP.EMPTY_DICT);
    for (let i = 0; i < 100_000; i++) p.op(OP.SETITEM);
    const deep = unpickle(p.op(OP.STOP).bytes()).value as PyDict;
    const d = new PyDict();
    d.attrs = new Map([['_metadata', new PyDict().set('bn', deep)]]);
    expect(() => metadataOf(d)).toThrow(/nesting depth budget exceeded.*--max-depth/);
    expect(() => metadataOf(d, new Meter({ maxDepth: 200_000 }))).not.toThrow();
  });

  it('a tree 100,000 deep hits the depth budget in walks', () => {
    const p = start();
    for (let i = 0; i < 100_000; i++) p.op(OP.EMPTY_LIST);
    for (let i = 1; i < 100_000; i++) p.op(OP.APPEND);
    const v = unpickle(p.op(OP.STOP).bytes()).value;
    expect(() => [...walkTensors(v)]).toThrow(BudgetError);
  });

  it('list(str) copies count against the items budget; _codecs.encode against bytes; bytearray shares', () => {
    const amp = (ctor: string, copies: number) => {
      const p = start().op(OP.EMPTY_LIST).str('x'.repeat(10_000));
      const s = p.put();
      p.op(OP.POP);
      for (let i = 0; i < copies; i++) {
        if (ctor === 'codecs') p.global('_codecs', 'encode').get(s).str('latin1').op(OP.TUPLE2, OP.REDUCE);
        else p.global('builtins', ctor).get(s).op(OP.TUPLE1, OP.REDUCE);
        p.op(OP.APPEND);
      }
      return p.op(OP.STOP).bytes();
    };
    expect(() => unpickle(amp('list', 100), 0, { meter: new Meter({ maxItems: 500_000 }) })).toThrow(
      /container items budget exceeded.*--max-items/,
    );
    expect(() => unpickle(amp('codecs', 100), 0, { meter: new Meter({ maxBytes: 500_000 }) })).toThrow(
      /materialised bytes budget exceeded.*--max-bytes/,
    );
    const p = start().op(OP.EMPTY_LIST).op(OP.BINBYTES).u32(3).text('abc');
    const s = p.put();
    p.op(OP.POP);
    for (let i = 0; i < 3; i++) p.global('builtins', 'bytearray').get(s).op(OP.TUPLE1, OP.REDUCE, OP.APPEND);
    const list = unpickle(p.op(OP.STOP).bytes()).value as Uint8Array[];
    expect(list[0]).toBe(list[2]);
  });

  it('objects past the objects budget are refused, naming --max-objects', () => {
    const p = start().op(OP.EMPTY_LIST, OP.MARK);
    for (let i = 0; i < 1000; i++) p.op(OP.NONE);
    const bytes = p.op(OP.APPENDS, OP.STOP).bytes();
    expect(() => unpickle(bytes, 0, { meter: new Meter({ maxObjects: 500 }) })).toThrow(
      /pickle objects budget exceeded.*--max-objects/,
    );
    expect((unpickle(bytes, 0, { meter: new Meter({ maxObjects: 2000 }) }).value as unknown[]).length).toBe(1000);
  });

  it('budget values parse with size suffixes; defaults are what the docs list', () => {
    expect(parseBudgetValue('4G')).toBe(4 * 1024 ** 3);
    expect(parseBudgetValue('512MiB')).toBe(512 * 1024 ** 2);
    expect(parseBudgetValue('16')).toBe(16);
    expect(parseBudgetValue('-1')).toBeNull();
    expect(DEFAULT_BUDGETS).toEqual({
      maxBytes: 512 * 1024 ** 2,
      maxObjects: 20_000_000,
      maxItems: 5_000_000,
      maxDepth: 200,
      maxExpansion: 8,
      maxTempBytes: 256 * 1024 ** 3,
    });
  });
});

describe('odd valid files and malformed ones', () => {
  it('a legacy stream with a wrong magic number: torch.load\'s "Invalid magic number"', () => {
    expect(() => loadCheckpointBytes(bomb('bad_magic_legacy.pt'))).toThrow(LegacyTorchError);
    expect(() => loadCheckpointBytes(bomb('bad_magic_legacy.pt'))).toThrow(/Invalid magic number; corrupt file\?/);
  });

  it('deflated zip entries are inflated (CRC checked); a ratio past deflate’s limit is refused', () => {
    const pkl = stateDict([['w', (p: P) => p.tensor('0', 'FloatStorage', 3, 0, [3], [1])]]);
    const data = f32(1.5, -2, 3);
    const entry = (name: string, b: Uint8Array) => ({
      name,
      method: 8 as const,
      data: zlib.deflateRawSync(b),
      size: b.length,
      crc: crc32(b),
    });
    const ok = rawZip([entry('archive/data.pkl', pkl), entry('archive/data/0', data)]);
    const ck = loadCheckpointBytes(ok);
    expect([...(ck.tensors()[0]!.ref.materialize().hostView() as Float32Array)]).toEqual([1.5, -2, 3]);
    const badCrc = rawZip([entry('archive/data.pkl', pkl), { ...entry('archive/data/0', data), crc: 1 }]);
    expect(() => loadCheckpointBytes(badCrc).tensors()[0]!.ref.materialize()).toThrow(/CRC-32 mismatch/);
    expect(() => loadCheckpointBytes(bomb('deflate_bomb.pt')).tensors()[0]!.ref.materialize()).toThrow(TorchZipError);
  });

  it('safetensors with overlapping, gapped or short offsets are refused, as the safetensors library does', () => {
    expect(() => loadCheckpointBytes(bomb('overlap.safetensors'))).toThrow(SafetensorsError);
    expect(() => loadCheckpointBytes(bomb('gap.safetensors'))).toThrow(/invalid offset for tensor b/);
    const short = safetensors({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, 8);
    expect(() => loadCheckpointBytes(short)).toThrow(/incomplete metadata/);
    const good = safetensors({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, 4);
    expect(loadCheckpointBytes(good).tensors()).toHaveLength(1);
  });

  it('a file torch.save wrote with shared storages still loads and keeps one record per storage', () => {
    const zip = torchZip(
      stateDict([
        ['a', (p: P) => p.tensor('0', 'FloatStorage', 4, 0, [2], [1])],
        ['b', (p: P) => p.tensor('0', 'FloatStorage', 4, 2, [2], [1])],
      ]),
      { '0': f32(1, 2, 3, 4) },
    );
    const out = torchBytes(loadCheckpointBytes(zip).root as PyDict);
    const back = loadCheckpointBytes(out).tensors();
    expect(back[0]!.ref.storage).toBe(back[1]!.ref.storage);
    expect([...(back[1]!.ref.materialize().hostView() as Float32Array)]).toEqual([3, 4]);
  });
});
