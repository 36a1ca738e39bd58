// Fuzzing: valid corpus files mutated (truncations, bit flips, huge declared sizes, zip entries and
// safetensors offsets pointing outside the file, Zip64 records) must give a typed CheckpointError every
// time — no other exception, no hang, no unbounded allocation. Deterministic (seeded); prints the count.
import { describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import { loadCheckpointBytes } from './checkpoint.js';
import { CheckpointError } from './errors.js';
import { torchBytes } from './save.js';
import { corpusFile } from './testUtil.js';
import { Tensor } from '../tensor/tensor.js';
import { StateDict } from '../nn/stateDict.js';

function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const seeds: [string, Uint8Array][] = [
  'tiny_state_dict.pt',
  'tiny_legacy_checkpoint.pt',
  'tiny.safetensors',
  'dtypes.pt',
  'dtypes_bigendian.pt',
  'shared_views.pt',
  'shared_views_legacy.pt',
  'tiny_training_checkpoint.pt',
  'pickles/protocol2.pkl',
  'pickles/protocol0.pkl',
  'legacy_storage_views.pt',
].map((f) => [f, new Uint8Array(fs.readFileSync(corpusFile(f)))]);
seeds.push([
  'zip64',
  torchBytes(new StateDict([['w', new Tensor(new Float32Array([1, 2, 3]), [3])]]), { forceZip64: true }),
]);

function findAll(b: Uint8Array, sig: number): number[] {
  const out: number[] = [];
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  for (let i = 0; i + 4 <= b.length; i++) if (dv.getUint32(i, true) === sig) out.push(i);
  return out;
}

type Mutator = (b: Uint8Array, r: () => number) => Uint8Array;
const pick = <T>(xs: T[], r: () => number): T => xs[Math.floor(r() * xs.length)]!;
const big = (r: () => number) => pick([0xffffffff, 0x7fffffff, 0x80000000, 0xfffffff0, Math.floor(r() * 2 ** 32)], r);

const mutators: Record<string, Mutator> = {
  truncate: (b, r) => b.slice(0, Math.floor(r() * b.length)),
  bitflips: (b, r) => {
    const c = b.slice();
    const n = 1 + Math.floor(r() * 8);
    for (let i = 0; i < n; i++) c[Math.floor(r() * c.length)]! ^= 1 << Math.floor(r() * 8);
    return c;
  },
  hugeU32: (b, r) => {
    const c = b.slice();
    const o = Math.floor(r() * Math.max(1, c.length - 4));
    new DataView(c.buffer).setUint32(o, big(r), true);
    return c;
  },
  hugeU64: (b, r) => {
    const c = b.slice();
    const o = Math.floor(r() * Math.max(1, c.length - 8));
    new DataView(c.buffer).setBigUint64(o, BigInt(big(r)) << BigInt(Math.floor(r() * 32)), true);
    return c;
  },
  zipEntryOutside: (b, r) => {
    const c = b.slice();
    const dv = new DataView(c.buffer);
    const cds = findAll(c, 0x02014b50);
    if (!cds.length) return c;
    const at = pick(cds, r);
    const field = pick([20, 24, 42], r); // compressed size, size, local header offset
    dv.setUint32(at + field, pick([c.length + 1, big(r), Math.floor(r() * c.length)], r), true);
    return c;
  },
  zipEocd: (b, r) => {
    const c = b.slice();
    const dv = new DataView(c.buffer);
    const ends = [...findAll(c, 0x06054b50), ...findAll(c, 0x06064b50), ...findAll(c, 0x07064b50)];
    if (!ends.length) return c;
    const at = pick(ends, r);
    const o = at + 4 + Math.floor(r() * 16);
    if (o + 4 <= c.length) dv.setUint32(o, big(r), true);
    return c;
  },
  safetensorsHeader: (b, r) => {
    const c = b.slice();
    const dv = new DataView(c.buffer);
    if (c[8] !== 0x7b) return c;
    const n = Number(dv.getBigUint64(0, true));
    const text = new TextDecoder().decode(c.subarray(8, 8 + n));
    const edited = text.replace(/\d+/g, (d) =>
      r() < 0.1 ? String(pick([0, 1, Number(d) * 1000, 2 ** 53, 2 ** 31], r)) : d,
    );
    const eb = new TextEncoder().encode(edited);
    const out = new Uint8Array(8 + eb.length + (c.length - 8 - n));
    new DataView(out.buffer).setBigUint64(0, BigInt(r() < 0.1 ? big(r) : eb.length), true);
    out.set(eb, 8);
    out.set(c.subarray(8 + n), 8 + eb.length);
    return out;
  },
};

describe('fuzz', () => {
  it('mutated files always fail with a typed error (or load)', () => {
    const r = rng(1234);
    let tried = 0;
    let loaded = 0;
    const failures: string[] = [];
    const heap0 = process.memoryUsage().heapUsed;
    const names = Object.keys(mutators);
    for (let i = 0; i < 6000; i++) {
      const [seedName, seed] = seeds[i % seeds.length]!;
      const mut = names[Math.floor(r() * names.length)]!;
      const input = mutators[mut]!(seed, r);
      tried++;
      try {
        const ck = loadCheckpointBytes(input, seedName);
        for (const { ref } of ck.tensors()) ref.materialize();
        ck.stateDicts();
        loaded++;
      } catch (e) {
        if (!(e instanceof CheckpointError))
          failures.push(`${seedName}/${mut}#${i}: ${(e as Error).constructor.name}: ${(e as Error).message}`);
      }
    }
    const heapGrowthMB = (process.memoryUsage().heapUsed - heap0) / 2 ** 20;
    console.log(
      `fuzz: tried ${tried} mutated inputs from ${seeds.length} seeds (${loaded} still loaded, ${tried - loaded - failures.length} typed errors, ${failures.length} untyped); heap growth ${heapGrowthMB.toFixed(1)} MB`,
    );
    expect(failures.slice(0, 10)).toEqual([]);
    expect(heapGrowthMB).toBeLessThan(512);
  });
});
