/**
 * Parity with PyTorch for LazyBatchNorm1d/2d/3d (SPEC.md checklist item 9): the uninitialized
 * state before the first forward, materialization and the class swap on the first forward (output
 * equal to the eager module's), eager state loaded into a lazy module, and the exact error when a
 * lazy (uninitialized) state is loaded into an eager module.
 */
import { describe, expect, it } from 'vitest';
import {
  BatchNorm1d,
  BatchNorm2d,
  BatchNorm3d,
  LazyBatchNorm1d,
  LazyBatchNorm2d,
  LazyBatchNorm3d,
  zeros,
  type BatchNorm,
  type DType,
} from '../index.js';
import { captureEngine, loadFixture, toTensor, type EncError, type EncTensor } from './testing/fixtures.js';
import { compareError, compareExact, compareTensor } from './testing/compare.js';
import { compareState, type ModuleStateRecord } from './testing/scenario.js';
import {
  compareStateDict,
  metadataObject,
  stateDictFromFixture,
  type EncEntry,
  type EncStateDict,
} from './testing/stateDicts.js';
import { availableBackends, withBackend } from './testing/backends.js';

type LazyName = 'LazyBatchNorm1d' | 'LazyBatchNorm2d' | 'LazyBatchNorm3d';
const LAZY = { LazyBatchNorm1d, LazyBatchNorm2d, LazyBatchNorm3d };
const EAGER = { LazyBatchNorm1d: BatchNorm1d, LazyBatchNorm2d: BatchNorm2d, LazyBatchNorm3d: BatchNorm3d };

interface LazyEntry {
  key: string;
  uninitialized: boolean;
  dtype: string;
  shape: number[] | null;
}

type LazyCase =
  | {
      kind: 'forward';
      name: string;
      class: LazyName;
      args: { affine: boolean; trackRunningStats: boolean; momentum: number; dtype: DType };
      input: EncTensor;
      expect: {
        before: { class: string; repr: string; stateDict: LazyEntry[]; numBatchesTracked: number | null };
        after: {
          class: string;
          repr: string;
          numFeatures: number;
          output: EncTensor;
          state: ModuleStateRecord;
          stateDict: EncEntry[];
          metadata: Record<string, unknown>;
        };
      };
    }
  | {
      kind: 'loadEager';
      name: string;
      class: LazyName;
      stateDict: EncStateDict;
      input: EncTensor;
      expect: {
        classAfterLoad: string;
        state: ModuleStateRecord;
        output: EncTensor;
        outputEager: EncTensor;
        reprAfterLoad: string;
        reprAfterForward: string;
        classAfterForward: string;
      };
    }
  | { kind: 'loadLazy'; name: string; class: LazyName; eager: { numFeatures: number }; expect: { error: EncError } }
  | {
      kind: 'badInput';
      name: string;
      class: LazyName;
      shape: number[];
      expect: { error: EncError; classAfter: string; numFeaturesAfter: number; state: ModuleStateRecord | null };
    };

function lazyEntries(m: BatchNorm): LazyEntry[] {
  return [...m.stateDict()].map(([key, t]) => ({
    key,
    uninitialized: t.isUninitialized(),
    dtype: t.dtype,
    shape: t.isUninitialized() ? null : [...t.shape],
  }));
}

function runForward(c: Extract<LazyCase, { kind: 'forward' }>): string[] {
  const p: string[] = [];
  const m = new LAZY[c.class](c.args);
  const b = c.expect.before;
  compareExact(p, 'class before', m.getName(), b.class);
  compareExact(p, 'repr before', m.toString(), b.repr);
  compareExact(p, 'stateDict before', lazyEntries(m), b.stateDict);
  compareExact(p, 'counter before', m.numBatchesTracked ? m.numBatchesTracked.item() : null, b.numBatchesTracked);
  const r = captureEngine(() => m.forward(toTensor(c.input)));
  compareError(p, 'forward', r.error, null);
  const a = c.expect.after;
  compareTensor(p, 'output', r.value, a.output);
  compareExact(p, 'class after', m.getName(), a.class);
  compareExact(p, 'is the concrete class', m instanceof EAGER[c.class], a.class !== c.class);
  compareExact(p, 'repr after', m.toString(), a.repr);
  compareExact(p, 'numFeatures', m.numFeatures, a.numFeatures);
  compareState(p, 'state', m, a.state);
  const sd = m.stateDict();
  compareStateDict(p, 'stateDict after', sd, a.stateDict);
  compareExact(p, 'metadata after', metadataObject(sd), a.metadata);
  return p;
}

function runLoadEager(c: Extract<LazyCase, { kind: 'loadEager' }>): string[] {
  const p: string[] = [];
  const m = new LAZY[c.class]();
  const r = captureEngine(() => m.loadStateDict(stateDictFromFixture(c.stateDict)));
  compareError(p, 'load', r.error, null);
  compareExact(p, 'class after load', m.getName(), c.expect.classAfterLoad);
  compareExact(p, 'repr after load (num_features stays 0)', m.toString(), c.expect.reprAfterLoad);
  compareState(p, 'state after load', m, c.expect.state);
  m.eval();
  const y = captureEngine(() => m.forward(toTensor(c.input)));
  compareError(p, 'forward', y.error, null);
  compareTensor(p, 'output', y.value, c.expect.output);
  compareTensor(p, 'output equals the eager module', y.value, c.expect.outputEager);
  compareExact(p, 'class after forward', m.getName(), c.expect.classAfterForward);
  compareExact(p, 'repr after forward', m.toString(), c.expect.reprAfterForward);
  return p;
}

function runLoadLazy(c: Extract<LazyCase, { kind: 'loadLazy' }>): string[] {
  const p: string[] = [];
  const eager = new EAGER[c.class](c.eager.numFeatures);
  const lazy = new LAZY[c.class]();
  const r = captureEngine(() => eager.loadStateDict(lazy.stateDict()));
  compareError(p, 'load', r.error, c.expect.error);
  return p;
}

/** A bad first input: materialization happens before the dimension check (PyTorch's pre-hook order). */
function runBadInput(c: Extract<LazyCase, { kind: 'badInput' }>): string[] {
  const p: string[] = [];
  const m = new LAZY[c.class]();
  const r = captureEngine(() => m.forward(zeros(c.shape)));
  compareError(p, 'forward', r.error, c.expect.error);
  compareExact(p, 'class after', m.getName(), c.expect.classAfter);
  compareExact(p, 'numFeatures after', m.numFeatures, c.expect.numFeaturesAfter);
  if (c.expect.state) compareState(p, 'state after', m, c.expect.state);
  return p;
}

const RUN = { forward: runForward, loadEager: runLoadEager, loadLazy: runLoadLazy, badInput: runBadInput } as const;

const fx = loadFixture<{ cases: LazyCase[] }>('lazy.json');

describe.each(availableBackends())('lazy BatchNorm parity (item 9) on the %s backend', (backend) => {
  it('covers every lazy class', () => {
    expect(new Set(fx.cases.map((c) => c.class))).toEqual(new Set(Object.keys(LAZY)));
  });
  for (const c of fx.cases) {
    it(c.name, () => {
      const problems = withBackend(backend, () => (RUN[c.kind] as (x: LazyCase) => string[])(c));
      expect(problems).toEqual([]);
    });
  }
});
