// The unpickler against Python's own pickles of one object in protocols 0–5, plus limits and the
// writer's output read back.
import { describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CORPUS } from './testUtil.js';
import { unpickle } from './unpickler.js';
import { Pickler } from './pickler.js';
import { PickleError } from './errors.js';
import { PickleAsm } from './pickleAsm.js';
import { OP } from './pickleOps.js';
import { PyDict, PyFloat, PySet, PyTuple, type PyValue } from './pyobjects.js';
import { scanPickle } from './pickleScan.js';

function plain(v: PyValue): unknown {
  if (typeof v === 'bigint') return v.toString();
  if (v instanceof PyFloat) return v.value;
  if (v instanceof Uint8Array) return [...v];
  if (Array.isArray(v)) return v.map(plain);
  if (v instanceof PyTuple || v instanceof PySet) return v.items.map(plain);
  if (v instanceof PyDict) return Object.fromEntries([...v.entries].map(([k, x]) => [String(k), plain(x)]));
  return v;
}

const expected = JSON.parse(fs.readFileSync(path.join(CORPUS, 'pickles', 'expected.json'), 'utf8')) as Record<
  string,
  unknown
>;

describe('unpickler: Python pickles of every protocol', () => {
  for (let proto = 0; proto <= 5; proto++) {
    it(`protocol ${proto}`, () => {
      const bytes = new Uint8Array(fs.readFileSync(path.join(CORPUS, 'pickles', `protocol${proto}.pkl`)));
      const r = unpickle(bytes);
      expect(r.end).toBe(bytes.length);
      const obj = r.value as PyDict;
      expect(plain(obj)).toEqual(expected);
      // The memo keeps shared references shared.
      const shared = obj.get('shared') as PyTuple;
      expect(shared.items[0]).toBe(shared.items[1]);
      expect(obj.get('intfloat')).toBeInstanceOf(PyFloat);
      expect((obj.get('od') as PyDict).kind).toBe('OrderedDict');
      expect(scanPickle(bytes).safe).toBe(true);
    });
  }
});

describe('pickler → unpickler', () => {
  it('round-trips plain values with their Python types', () => {
    const d = new PyDict('OrderedDict');
    d.set('i', -5)
      .set('big', 2n ** 80n)
      .set('f', 0.1)
      .set('one', new PyFloat(1))
      .set('s', 'ü')
      .set('t', new PyTuple([1, 2, 3, 4]))
      .set('l', [null, true, false])
      .set('b', new Uint8Array([0, 200]))
      .set('set', new PySet([1]));
    d.attrs = new Map([['_metadata', new PyDict().set('', new PyDict().set('version', 1))]]);
    const back = unpickle(new Pickler().dump(d)).value as PyDict;
    expect(plain(back)).toEqual(plain(d));
    expect(back.get('one')).toBeInstanceOf(PyFloat);
    expect(back.attrs?.get('_metadata')).toBeInstanceOf(PyDict);
  });
});

describe('unpickler limits and malformed input', () => {
  it('bounds MARK nesting', () => {
    const a = new PickleAsm().proto();
    for (let i = 0; i < 2000; i++) a.op(OP.MARK);
    expect(() => unpickle(a.op(OP.STOP).build())).toThrow(/nesting deeper than 1000/);
  });
  it('bounds the memo', () => {
    const a = new PickleAsm().proto().op(OP.NONE);
    for (let i = 0; i < 20; i++) a.op(OP.LONG_BINPUT).op(i).op(0).op(0).op(0);
    expect(() => unpickle(a.op(OP.STOP).build(), 0, { maxMemo: 10 })).toThrow(/memo exceeds 10/);
  });
  it('rejects declared lengths past the end', () => {
    const b = new PickleAsm().proto().op(OP.BINUNICODE).op(0xff).op(0xff).op(0xff).op(0x7f).build();
    expect(() => unpickle(b)).toThrow(PickleError);
    expect(() => unpickle(b)).toThrow(/runs past the end/);
  });
  it('rejects huge integers, stack underflow, missing STOP, bad memo keys, unknown opcodes', () => {
    const huge = new PickleAsm().proto().op(OP.LONG4).op(0).op(0x10).op(0).op(0).build();
    const underflow = new PickleAsm().proto().op(OP.TUPLE2).op(OP.STOP).build();
    const noStop = new PickleAsm().proto().op(OP.NONE).build();
    const badGet = new PickleAsm().proto().op(OP.BINGET).op(3).op(OP.STOP).build();
    const unknown = new PickleAsm().proto().op(0xfe).build();
    for (const b of [huge, underflow, noStop, badGet, unknown]) expect(() => unpickle(b)).toThrow(PickleError);
  });
  it('error offsets point at the opcode', () => {
    const b = new PickleAsm().proto().op(OP.NONE).op(0xfe).build();
    try {
      unpickle(b);
      expect.unreachable();
    } catch (e) {
      expect((e as PickleError).offset).toBe(3);
    }
  });
});
