// Every corpus file made by real PyTorch is read and compared with what torch reported when it
// wrote the file (manifest.json): keys, shapes, dtypes, values (sum and sum of squares), state dicts
// and their _metadata versions.
import { describe, expect, it } from 'vitest';
import { loadCheckpoint } from './checkpoint.js';
import { RefusedGlobalError } from './errors.js';
import { close, corpusFile, manifest, sums } from './testUtil.js';

const files = manifest();

describe('corpus made by PyTorch', () => {
  it('has the expected files', () => {
    expect(Object.keys(files).length).toBeGreaterThanOrEqual(20);
  });
  for (const [name, m] of Object.entries(files)) {
    it(`${name}: keys, shapes, dtypes and values match torch`, () => {
      if (m.placeholders) {
        // Files naming globals outside the allow-list are refused by default, with the global's name.
        expect(() => loadCheckpoint(corpusFile(name))).toThrow(RefusedGlobalError);
        expect(() => loadCheckpoint(corpusFile(name))).toThrow(m.placeholders[0]!);
      }
      const ck = loadCheckpoint(corpusFile(name), { placeholders: !!m.placeholders });
      try {
        if (m.placeholders) expect([...new Set(ck.placeholders)]).toEqual(m.placeholders);
        expect(ck.format).toBe(m.format);
        const tensors = ck.tensors();
        expect(tensors.map((t) => t.key).sort()).toEqual(Object.keys(m.tensors).sort());
        for (const { key, ref } of tensors) {
          const want = m.tensors[key]!;
          expect(ref.shape, key).toEqual(want.shape);
          expect(ref.dtype, key).toBe(want.dtype);
          const got = sums(ref.materialize());
          expect(close(got.sum, Number(want.sum)), `${key} sum ${got.sum} vs ${want.sum}`).toBe(true);
          expect(close(got.sumsq, Number(want.sumsq)), `${key} sumsq ${got.sumsq} vs ${want.sumsq}`).toBe(true);
        }
        const found = ck.stateDicts();
        for (const want of m.stateDicts) {
          const f = found.find((s) => s.path === want.path);
          expect(f, `state dict at '${want.path}'`).toBeTruthy();
          expect(f!.keys).toEqual(want.keys);
          if (want.metadata === null) expect(f!.metadata).toBeNull();
          else expect(Object.fromEntries(f!.metadata!)).toEqual(want.metadata);
        }
      } finally {
        ck.close();
      }
    });
  }
});
