/**
 * The bomb corpus (issue 17): small checkpoint files that describe far more than they hold — stride-0
 * expands, pickle DAGs, thousands of references to one storage, cyclic and 100k-deep `_metadata`,
 * constructor amplification, a deflate bomb — plus malformed files that must be refused (bad legacy
 * magic, overlapping safetensors offsets, a corrupt storage record). Every NormScope command must
 * finish each in seconds with exit 0 or 2 (app/cli/bombs.test.ts).
 *
 * `npx tsx tools/bombCorpus.ts [DIR]` writes them (default engine/io/fixtures/bombs/); the test
 * builds them in memory, so nothing here needs Python or torch.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { memorySink } from '../engine/io/byteSource.js';
import { crc32 } from '../engine/io/crc32.js';
import { OP } from '../engine/io/pickleOps.js';
import { ZipWriter } from '../engine/io/zipWriter.js';

/** A pickle, opcode by opcode (exported for tests that need one hostile file more). */
export class P {
  private b: number[] = [];
  private memo = 0;
  op(...codes: number[]): this {
    this.b.push(...codes);
    return this;
  }
  u32(v: number): this {
    return this.op(v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, v >>> 24);
  }
  text(s: string): this {
    for (const c of new TextEncoder().encode(s)) this.b.push(c);
    return this;
  }
  str(s: string): this {
    const bytes = new TextEncoder().encode(s);
    this.op(OP.BINUNICODE).u32(bytes.length);
    for (const c of bytes) this.b.push(c);
    return this;
  }
  int(v: number): this {
    if (v >= 0 && v < 256) return this.op(OP.BININT1, v);
    if (v >= 0 && v < 2 ** 31) return this.op(OP.BININT).u32(v);
    // LONG1, little-endian two's complement
    const out: number[] = [];
    let x = BigInt(v);
    while (x > 0n) {
      out.push(Number(x & 0xffn));
      x >>= 8n;
    }
    if (out[out.length - 1]! & 0x80) out.push(0);
    return this.op(OP.LONG1, out.length, ...out);
  }
  global(module: string, name: string): this {
    return this.op(OP.GLOBAL).text(`${module}\n${name}\n`);
  }
  tuple(items: number[]): this {
    this.op(OP.MARK);
    for (const i of items) this.int(i);
    return this.op(OP.TUPLE);
  }
  /** Memoizes the top of the stack; returns its slot. */
  put(): number {
    const i = this.memo++;
    this.op(OP.LONG_BINPUT).u32(i);
    return i;
  }
  get(i: number): this {
    return this.op(OP.LONG_BINGET).u32(i);
  }
  /** torch._utils._rebuild_tensor_v2(storage `key`, offset, size, stride, False, OrderedDict()). */
  tensor(key: string, type: string, numel: number, offset: number, shape: number[], stride: number[]): this {
    this.global('torch._utils', '_rebuild_tensor_v2').op(OP.MARK);
    this.op(OP.MARK).str('storage').global('torch', type).str(key).str('cpu').int(numel).op(OP.TUPLE, OP.BINPERSID);
    this.int(offset).tuple(shape).tuple(stride).op(OP.NEWFALSE);
    this.global('collections', 'OrderedDict').op(OP.EMPTY_TUPLE, OP.REDUCE);
    return this.op(OP.TUPLE, OP.REDUCE);
  }
  orderedDict(): this {
    return this.global('collections', 'OrderedDict').op(OP.EMPTY_TUPLE, OP.REDUCE);
  }
  bytes(): Uint8Array {
    return Uint8Array.from(this.b);
  }
}

export function start(): P {
  return new P().op(OP.PROTO, 2);
}

/** A torch.save zip around `pkl` with the given storage records. */
export function torchZip(pkl: Uint8Array, storages: Record<string, Uint8Array>): Uint8Array {
  const sink = memorySink();
  const z = new ZipWriter(sink);
  z.add('archive/data.pkl', pkl);
  z.add('archive/byteorder', new TextEncoder().encode('little'));
  for (const [k, v] of Object.entries(storages)) z.add(`archive/data/${k}`, v);
  z.add('archive/version', new TextEncoder().encode('3\n'));
  z.finish();
  return sink.bytes();
}

export const f32 = (...v: number[]) => new Uint8Array(Float32Array.from(v).buffer);

/** A state dict of `keys` → tensors written by `each`, with an optional `_metadata` built by `meta`. */
export function stateDict(entries: [string, (p: P) => void][], meta?: (p: P) => void): Uint8Array {
  const p = start().orderedDict();
  p.op(OP.MARK);
  for (const [k, write] of entries) {
    p.str(k);
    write(p);
  }
  p.op(OP.SETITEMS);
  if (meta) {
    p.op(OP.EMPTY_DICT).str('_metadata');
    meta(p);
    p.op(OP.SETITEM, OP.BUILD);
  }
  return p.op(OP.STOP).bytes();
}

export interface Bomb {
  name: string;
  /** What it does to a reader that trusts it. */
  note: string;
  bytes: Uint8Array;
}

const side = 46340; // 46340² ≈ 2^31 elements

function expandBomb(type: 'FloatStorage' | 'DoubleStorage'): Uint8Array {
  const pkl = stateDict([['w', (p) => p.tensor('0', type, 1, 0, [side, side], [0, 0])]]);
  return torchZip(pkl, { '0': type === 'FloatStorage' ? f32(1.5) : new Uint8Array(Float64Array.of(1.5).buffer) });
}

function bnExpand(): Uint8Array {
  const n = 200_000_000;
  const one = (p: P) => p.tensor('0', 'FloatStorage', 1, 0, [n], [0]);
  const pkl = stateDict([
    ['bn.weight', one],
    ['bn.bias', one],
    ['bn.running_mean', one],
    ['bn.running_var', one],
  ]);
  return torchZip(pkl, { '0': f32(1) });
}

/** 40 levels, each a dict whose 'a' and 'b' are the previous level: 2^40 tensor paths in ~1 KB. */
function dag(levels: number): Uint8Array {
  const p = start();
  p.tensor('0', 'FloatStorage', 1, 0, [1], [1]);
  let prev = p.put();
  for (let i = 0; i < levels; i++) {
    p.op(OP.EMPTY_DICT, OP.MARK).str('a').get(prev).str('b').get(prev).op(OP.SETITEMS);
    prev = p.put();
  }
  return torchZip(p.op(OP.STOP).bytes(), { '0': f32(2) });
}

/** `count` keys referencing one tensor of `numel` float32 (memo), or views at offsets 0..count-1. */
function references(count: number, numel: number, distinctOffsets: boolean): Uint8Array {
  const p = start().orderedDict();
  let slot = -1;
  if (!distinctOffsets) {
    p.tensor('0', 'FloatStorage', numel, 0, [numel], [1]);
    slot = p.put();
    p.op(OP.POP);
  }
  for (let i = 0; i < count; i += 1000) {
    p.op(OP.MARK);
    for (let j = i; j < Math.min(count, i + 1000); j++) {
      p.str(`l${j}.weight`);
      if (distinctOffsets) p.tensor('0', 'FloatStorage', numel, j, [numel - count], [1]);
      else p.get(slot);
    }
    p.op(OP.SETITEMS);
  }
  const data = new Float32Array(numel);
  for (let i = 0; i < numel; i++) data[i] = (i % 97) / 97;
  return torchZip(p.op(OP.STOP).bytes(), { '0': new Uint8Array(data.buffer) });
}

const smallSd = (p: P) => p.tensor('0', 'FloatStorage', 2, 0, [2], [1]);

/** _metadata = {'bn': x} where x = {'version': 2, 'self': x}. */
function cyclicMetadata(): Uint8Array {
  const p = start().orderedDict();
  p.op(OP.MARK).str('bn.running_mean');
  smallSd(p);
  p.str('bn.running_var');
  smallSd(p);
  p.op(OP.SETITEMS);
  p.op(OP.EMPTY_DICT).str('_metadata');
  p.op(OP.EMPTY_DICT).str('bn').op(OP.EMPTY_DICT);
  const x = p.put();
  p.op(OP.MARK).str('version').int(2).str('self').get(x).op(OP.SETITEMS);
  p.op(OP.SETITEM); // _metadata['bn'] = x
  p.op(OP.SETITEM); // state['_metadata'] = _metadata
  p.op(OP.BUILD);
  return torchZip(p.op(OP.STOP).bytes(), { '0': f32(0, 1) });
}

function deepMetadata(depth: number): Uint8Array {
  const p = start().orderedDict();
  p.op(OP.MARK).str('bn.running_mean');
  smallSd(p);
  p.str('bn.running_var');
  smallSd(p);
  p.op(OP.SETITEMS);
  p.op(OP.EMPTY_DICT).str('_metadata');
  p.op(OP.EMPTY_DICT).str('bn');
  // {'version': 2, 'a': {'a': {... depth levels ...}}}: dicts opened on the stack, closed inside out.
  p.op(OP.EMPTY_DICT).str('version').int(2).op(OP.SETITEM);
  for (let i = 0; i < depth; i++) p.str('a').op(OP.EMPTY_DICT);
  for (let i = 0; i < depth; i++) p.op(OP.SETITEM);
  p.op(OP.SETITEM, OP.SETITEM, OP.BUILD);
  return torchZip(p.op(OP.STOP).bytes(), { '0': f32(0, 1) });
}

/** A plain list nested `depth` deep at the root, next to a state dict. */
function deepTree(depth: number): Uint8Array {
  const p = start().op(OP.EMPTY_DICT).str('state_dict').orderedDict().str('w');
  smallSd(p);
  p.op(OP.SETITEM, OP.SETITEM).str('deep');
  for (let i = 0; i < depth; i++) p.op(OP.EMPTY_LIST);
  for (let i = 1; i < depth; i++) p.op(OP.APPEND);
  return torchZip(p.op(OP.SETITEM, OP.STOP).bytes(), { '0': f32(0, 1) });
}

/** `copies` calls of `ctor` on one memoized `len`-long string or bytes. */
function amplify(ctor: 'bytearray' | 'list' | 'codecs', copies: number, len: number): Uint8Array {
  const p = start().op(OP.EMPTY_DICT).str('state_dict').orderedDict().str('w');
  smallSd(p);
  p.op(OP.SETITEM, OP.SETITEM).str('blobs').op(OP.EMPTY_LIST);
  const s = 'x'.repeat(len);
  if (ctor === 'bytearray') {
    p.op(OP.BINBYTES).u32(len).text(s);
  } else p.str(s);
  const slot = p.put();
  p.op(OP.POP);
  for (let i = 0; i < copies; i++) {
    if (ctor === 'bytearray') p.global('builtins', 'bytearray').get(slot).op(OP.TUPLE1, OP.REDUCE);
    else if (ctor === 'list') p.global('builtins', 'list').get(slot).op(OP.TUPLE1, OP.REDUCE);
    else p.global('_codecs', 'encode').get(slot).str('latin1').op(OP.TUPLE2, OP.REDUCE);
    p.op(OP.APPEND);
  }
  return torchZip(p.op(OP.SETITEM, OP.STOP).bytes(), { '0': f32(0, 1) });
}

/** More tensors than Math.max(...rows) can take as arguments (plain-text inspect). */
function manyTensors(n: number): Uint8Array {
  const p = start().orderedDict();
  p.tensor('0', 'FloatStorage', 2, 0, [2], [1]);
  const slot = p.put();
  p.op(OP.POP);
  for (let i = 0; i < n; i += 1000) {
    p.op(OP.MARK);
    for (let j = i; j < Math.min(n, i + 1000); j++) p.str(`t${j}`).get(slot);
    p.op(OP.SETITEMS);
  }
  return torchZip(p.op(OP.STOP).bytes(), { '0': f32(0, 1) });
}

/** A legacy stream whose magic number is off by one. */
function badMagicLegacy(): Uint8Array {
  const long = (v: bigint) => {
    const out: number[] = [];
    for (let x = v; x > 0n; x >>= 8n) out.push(Number(x & 0xffn));
    if (out[out.length - 1]! & 0x80) out.push(0);
    return [OP.PROTO, 2, OP.LONG1, out.length, ...out, OP.STOP];
  };
  const proto = [OP.PROTO, 2, OP.BININT2, 1001 & 0xff, 1001 >> 8, OP.STOP];
  const sys = [OP.PROTO, 2, OP.EMPTY_DICT, OP.STOP];
  const obj = [OP.PROTO, 2, OP.EMPTY_DICT, OP.STOP];
  const keys = [OP.PROTO, 2, OP.EMPTY_LIST, OP.STOP];
  return Uint8Array.from([...long(0x1950a86a20f9469cfc6cn + 1n), ...proto, ...sys, ...obj, ...keys]);
}

export function safetensors(header: Record<string, unknown>, dataLen: number): Uint8Array {
  let json = new TextEncoder().encode(JSON.stringify(header));
  const pad = (8 - (json.length % 8)) % 8;
  json = Uint8Array.from([...json, ...new Array<number>(pad).fill(0x20)]);
  const out = new Uint8Array(8 + json.length + dataLen);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  return out;
}

/** A valid file whose storage record's local header is clobbered (read lazily, on first use). */
function corruptRecord(): Uint8Array {
  const bytes = torchZip(
    stateDict([
      ['a', (p) => p.tensor('0', 'FloatStorage', 2, 0, [2], [1])],
      ['b', (p) => p.tensor('1', 'FloatStorage', 2, 0, [2], [1])],
    ]),
    { '0': f32(1, 2), '1': f32(3, 4) },
  );
  const name = new TextEncoder().encode('archive/data/1');
  for (let i = 0; i + 30 + name.length < bytes.length; i++) {
    if (bytes[i] === 0x50 && bytes[i + 1] === 0x4b && bytes[i + 2] === 3 && bytes[i + 3] === 4) {
      const n = bytes[i + 26]! | (bytes[i + 27]! << 8);
      if (n === name.length && name.every((c, j) => bytes[i + 30 + j] === c)) {
        bytes[i] = 0; // local header signature gone
        return bytes;
      }
    }
  }
  throw new Error('record not found');
}

/** A zip whose only storage entry is deflated and declares 4 GiB from a kilobyte. */
function deflateBomb(): Uint8Array {
  const deflated = zlib.deflateRawSync(new Uint8Array(1 << 20), { level: 9 });
  const pkl = stateDict([['w', (p) => p.tensor('0', 'FloatStorage', 2 ** 30 - 1, 0, [2 ** 30 - 1], [1])]]);
  return rawZip([
    { name: 'archive/data.pkl', method: 0, data: pkl, size: pkl.length, crc: crc32(pkl) },
    { name: 'archive/data/0', method: 8, data: deflated, size: 2 ** 32 - 2, crc: 0 },
  ]);
}

export interface RawEntry {
  name: string;
  /** 0: stored, 8: deflated (`data` is then the deflated bytes). */
  method: 0 | 8;
  data: Uint8Array;
  /** Declared uncompressed size and CRC-32 (free to lie). */
  size: number;
  crc: number;
}

/** A minimal zip writer that can deflate and lie about sizes (the engine's writer only stores). */
export function rawZip(entries: RawEntry[]): Uint8Array {
  const parts: number[] = [];
  const central: number[] = [];
  const u16 = (a: number[], v: number) => a.push(v & 0xff, (v >> 8) & 0xff);
  const u32 = (a: number[], v: number) => a.push(v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, v >>> 24);
  for (const e of entries) {
    const name = new TextEncoder().encode(e.name);
    const offset = parts.length;
    u32(parts, 0x04034b50);
    u16(parts, 20);
    u16(parts, 0);
    u16(parts, e.method);
    u32(parts, 0);
    u32(parts, e.crc);
    u32(parts, e.data.length);
    u32(parts, e.size);
    u16(parts, name.length);
    u16(parts, 0);
    for (const c of name) parts.push(c);
    for (const c of e.data) parts.push(c);
    u32(central, 0x02014b50);
    u16(central, 20);
    u16(central, 20);
    u16(central, 0);
    u16(central, e.method);
    u32(central, 0);
    u32(central, e.crc);
    u32(central, e.data.length);
    u32(central, e.size);
    u16(central, name.length);
    for (let i = 0; i < 4; i++) u16(central, 0);
    u32(central, 0);
    u32(central, offset);
    for (const c of name) central.push(c);
  }
  const cdOffset = parts.length;
  const eocd: number[] = [];
  u32(eocd, 0x06054b50);
  u16(eocd, 0);
  u16(eocd, 0);
  u16(eocd, entries.length);
  u16(eocd, entries.length);
  u32(eocd, central.length);
  u32(eocd, cdOffset);
  u16(eocd, 0);
  return Uint8Array.from([...parts, ...central, ...eocd]);
}

/** The corpus. `large` adds the multi-megabyte ones (reference amplification, 130k tensors). */
export function bombCorpus(large = true): Bomb[] {
  const out: Bomb[] = [
    {
      name: 'expand_f32.pt',
      note: '(46340, 46340) float32 view, strides (0, 0), of one element',
      bytes: expandBomb('FloatStorage'),
    },
    { name: 'expand_f64.pt', note: 'the float64 variant', bytes: expandBomb('DoubleStorage') },
    {
      name: 'expand_bn_2e8.pt',
      note: 'BatchNorm buffers of 2e8 elements, stride 0, of one element',
      bytes: bnExpand(),
    },
    { name: 'dag_40.pt', note: '40 dict levels each referencing the previous twice (2^40 paths)', bytes: dag(40) },
    { name: 'metadata_cyclic.pt', note: '_metadata entry that contains itself', bytes: cyclicMetadata() },
    { name: 'metadata_deep.pt', note: '_metadata nested 100,000 deep', bytes: deepMetadata(100_000) },
    { name: 'tree_deep.pt', note: 'a list nested 100,000 deep beside the state dict', bytes: deepTree(100_000) },
    {
      name: 'bytearray_800.pt',
      note: '800 bytearray copies of one 16 KB bytes object',
      bytes: amplify('bytearray', 800, 16 * 1024),
    },
    {
      name: 'list_str_800.pt',
      note: '800 list() calls on one 16 KB string (13M one-character items)',
      bytes: amplify('list', 800, 16 * 1024),
    },
    {
      name: 'codecs_800.pt',
      note: '800 _codecs.encode calls on one 16 KB string',
      bytes: amplify('codecs', 800, 16 * 1024),
    },
    { name: 'bad_magic_legacy.pt', note: 'legacy stream with a wrong magic number', bytes: badMagicLegacy() },
    {
      name: 'overlap.safetensors',
      note: 'two tensors on the same bytes',
      bytes: safetensors(
        {
          a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
          b: { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
        },
        8,
      ),
    },
    {
      name: 'gap.safetensors',
      note: 'a gap between two tensors',
      bytes: safetensors(
        {
          a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
          b: { dtype: 'F32', shape: [2], data_offsets: [16, 24] },
        },
        24,
      ),
    },
    { name: 'corrupt_record.pt', note: "a storage record's local header is clobbered", bytes: corruptRecord() },
    { name: 'deflate_bomb.pt', note: 'a deflated storage entry declaring 4 GiB', bytes: deflateBomb() },
  ];
  if (large) {
    out.push(
      {
        name: 'refs_20000.pt',
        note: '20,000 keys referencing one 4 MB tensor',
        bytes: references(20_000, 1 << 20, false),
      },
      {
        name: 'views_2000.pt',
        note: '2,000 views at offsets 0..1999 of one 4 MB storage',
        bytes: references(2000, 1 << 20, true),
      },
      { name: 'tensors_130k.pt', note: '130,000 tensors (plain-text table rows)', bytes: manyTensors(130_000) },
    );
  }
  return out;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const dir =
    process.argv[2] ??
    path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'engine', 'io', 'fixtures', 'bombs');
  fs.mkdirSync(dir, { recursive: true });
  for (const b of bombCorpus(false)) {
    if (b.bytes.length > 50 * 1024) continue; // the test builds the bigger ones in memory
    fs.writeFileSync(path.join(dir, b.name), b.bytes);
    process.stdout.write(`${b.name}: ${b.bytes.length} bytes — ${b.note}\n`);
  }
}
