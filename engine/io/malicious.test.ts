// Hostile pickles: each payload would create a marker file when loaded by Python's pickle (a control
// run proves that where a python3 exists). NormScope refuses each one with the global's name and
// byte offset, and the marker never appears — also with inert placeholders turned on.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { loadCheckpointBytes } from './checkpoint.js';
import { CheckpointError, PickleError, RefusedGlobalError } from './errors.js';
import { PickleAsm } from './pickleAsm.js';
import { OP } from './pickleOps.js';
import { scanPickle } from './pickleScan.js';
import { torchBytes } from './save.js';
import { unpickle } from './unpickler.js';
import { PyDict, PyPlaceholder } from './pyobjects.js';
import { tempDir } from './testUtil.js';
import { Tensor } from '../tensor/tensor.js';
import { StateDict } from '../nn/stateDict.js';
import { ZipWriter } from './zipWriter.js';
import { memorySink } from './byteSource.js';

let dir = '';
beforeAll(() => {
  dir = tempDir('normscope-malicious-');
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

interface Payload {
  name: string;
  noControl?: boolean;
  global: string;
  build(marker: string): Uint8Array;
}

const touch = (m: string) => `touch ${m}`;
const pyCreate = (m: string) => `open(${JSON.stringify(m)}, 'w').close()`;

const payloads: Payload[] = [
  {
    name: 'os.system via REDUCE',
    global: 'posix.system',
    build: (m) =>
      new PickleAsm().proto().global('posix', 'system').str(touch(m)).op(OP.TUPLE1).op(OP.REDUCE).op(OP.STOP).build(),
  },
  {
    name: 'builtins.eval',
    global: 'builtins.eval',
    build: (m) =>
      new PickleAsm()
        .proto()
        .global('builtins', 'eval')
        .str(pyCreate(m))
        .op(OP.TUPLE1)
        .op(OP.REDUCE)
        .op(OP.STOP)
        .build(),
  },
  {
    name: 'builtins.exec',
    global: 'builtins.exec',
    build: (m) =>
      new PickleAsm()
        .proto()
        .global('builtins', 'exec')
        .str(pyCreate(m))
        .op(OP.TUPLE1)
        .op(OP.REDUCE)
        .op(OP.STOP)
        .build(),
  },
  {
    name: 'nested inside an OrderedDict state dict (getattr(__import__("os"), "system"))',
    global: 'builtins.getattr',
    build: (m) =>
      new PickleAsm()
        .proto()
        .global('collections', 'OrderedDict')
        .op(OP.EMPTY_TUPLE)
        .op(OP.REDUCE)
        .op(OP.MARK)
        .str('layer.weight')
        .global('builtins', 'getattr')
        .global('builtins', '__import__')
        .str('os')
        .op(OP.TUPLE1)
        .op(OP.REDUCE)
        .str('system')
        .op(OP.TUPLE2)
        .op(OP.REDUCE)
        .str(touch(m))
        .op(OP.TUPLE1)
        .op(OP.REDUCE)
        .op(OP.SETITEMS)
        .op(OP.STOP)
        .build(),
  },
  {
    name: 'arbitrary module via GLOBAL (subprocess.check_call)',
    global: 'subprocess.check_call',
    build: (m) =>
      new PickleAsm()
        .proto()
        .global('subprocess', 'check_call')
        .op(OP.MARK)
        .str('touch')
        .str(m)
        .op(OP.LIST)
        .op(OP.TUPLE1)
        .op(OP.REDUCE)
        .op(OP.STOP)
        .build(),
  },
  {
    name: 'INST (protocol 0)',
    global: 'os.system',
    build: (m) =>
      new PickleAsm()
        .op(OP.MARK)
        .raw(`S'${touch(m)}'\n`)
        .raw('ios\nsystem\n')
        .op(OP.STOP)
        .build(),
  },
  {
    name: 'OBJ',
    global: 'os.system',
    build: (m) =>
      new PickleAsm().proto(1).op(OP.MARK).global('os', 'system').str(touch(m)).op(OP.OBJ).op(OP.STOP).build(),
  },
  {
    name: 'STACK_GLOBAL (protocol 4)',
    global: 'os.system',
    build: (m) =>
      new PickleAsm()
        .proto(4)
        .str('os')
        .str('system')
        .op(OP.STACK_GLOBAL)
        .str(touch(m))
        .op(OP.TUPLE1)
        .op(OP.REDUCE)
        .op(OP.STOP)
        .build(),
  },
  {
    // Python's NEWOBJ only calls cls.__new__, so this one does not run a command in Python either;
    // it is here because NEWOBJ + BUILD is how arbitrary objects get state, and it must be refused.
    name: 'NEWOBJ of an arbitrary class with BUILD state',
    global: 'subprocess.Popen',
    noControl: true,
    build: (m) =>
      new PickleAsm()
        .proto()
        .global('subprocess', 'Popen')
        .op(OP.MARK)
        .str('touch')
        .str(m)
        .op(OP.LIST)
        .op(OP.TUPLE1)
        .op(OP.NEWOBJ)
        .op(OP.EMPTY_DICT)
        .op(OP.BUILD)
        .op(OP.STOP)
        .build(),
  },
  {
    name: 'disguised as torch: torch.serialization + dotted name os.system (protocol 4)',
    global: 'torch.serialization.os.system',
    build: (m) =>
      new PickleAsm()
        .proto(4)
        .str('torch.serialization')
        .str('os.system')
        .op(OP.STACK_GLOBAL)
        .str(touch(m))
        .op(OP.TUPLE1)
        .op(OP.REDUCE)
        .op(OP.STOP)
        .build(),
  },
];

function asTorchZip(pickle: Uint8Array): Uint8Array {
  const sink = memorySink();
  const z = new ZipWriter(sink);
  z.add('archive/data.pkl', pickle);
  z.add('archive/version', new TextEncoder().encode('3\n'));
  z.finish();
  return sink.bytes();
}

function pythonRuns(bytes: Uint8Array): boolean {
  const file = path.join(dir, 'control.pkl');
  fs.writeFileSync(file, bytes);
  for (const py of ['/usr/bin/python3', 'python3']) {
    const r = spawnSync(py, ['-c', 'import pickle,sys; pickle.load(open(sys.argv[1], "rb"))', file], {
      encoding: 'utf8',
    });
    if (r.error === undefined && r.status !== null) return true;
  }
  return false;
}

describe('malicious pickles are refused and nothing runs', () => {
  for (const p of payloads) {
    it(p.name, () => {
      // Control: the payload is real — Python's own pickle creates the marker.
      const control = path.join(dir, `control-${p.name.replace(/\W+/g, '_')}`);
      if (p.noControl) void 0;
      else if (pythonRuns(p.build(control)))
        expect(fs.existsSync(control), 'control payload should run in Python').toBe(true);
      else console.log('malicious.test: no python3 for the control run');

      const marker = path.join(dir, `marker-${p.name.replace(/\W+/g, '_')}`);
      const pickle = p.build(marker);
      for (const bytes of [pickle, asTorchZip(pickle)]) {
        let err: unknown = null;
        try {
          loadCheckpointBytes(bytes);
        } catch (e) {
          err = e;
        }
        expect(err).toBeInstanceOf(RefusedGlobalError);
        const r = err as RefusedGlobalError;
        expect(r.global).toBe(p.global);
        expect(r.message).toContain(p.global);
        expect(r.message).toMatch(/at byte \d+/);
        expect(pickle[r.offset!]).toBeOneOf([OP.GLOBAL, OP.INST, OP.STACK_GLOBAL]);
        // Opting into placeholders keeps the object inert: it loads, and still nothing runs.
        try {
          const ck = loadCheckpointBytes(bytes, 'x', { placeholders: true });
          expect(ck.placeholders).toContain(p.global);
        } catch (e) {
          expect(e).toBeInstanceOf(CheckpointError);
        }
      }
      expect(fs.existsSync(marker)).toBe(false);
      // The static scan names the global without building anything.
      const scan = scanPickle(pickle);
      expect(scan.safe).toBe(false);
      expect(scan.globals.some((g) => g.name === p.global && !g.allowed)).toBe(true);
    });
  }

  it('placeholders keep the name, arguments and state of the refused object', () => {
    const pickle = payloads[8]!.build('/nonexistent/x');
    const r = unpickle(pickle, 0, { placeholders: true });
    expect(r.value).toBeInstanceOf(PyPlaceholder);
    const ph = r.value as PyPlaceholder;
    expect(ph.global).toBe('subprocess.Popen');
    expect(ph.args).toEqual([['touch', '/nonexistent/x']]);
    expect(ph.state).toBeInstanceOf(PyDict);
  });

  it('extension codes (EXT1) are refused: they name globals through a registry', () => {
    const b = new PickleAsm().proto().op(OP.EXT1).op(1).op(OP.EMPTY_TUPLE).op(OP.REDUCE).op(OP.STOP).build();
    expect(() => unpickle(b)).toThrow(RefusedGlobalError);
  });

  it('BUILD on a list and APPEND to a dict are malformed, not executed', () => {
    expect(() =>
      unpickle(new PickleAsm().proto().op(OP.EMPTY_LIST).op(OP.EMPTY_DICT).op(OP.BUILD).op(OP.STOP).build()),
    ).toThrow(PickleError);
    expect(() => unpickle(new PickleAsm().proto().op(OP.EMPTY_DICT).int1(1).op(OP.APPEND).op(OP.STOP).build())).toThrow(
      PickleError,
    );
  });

  it('a clean state dict scans as safe and lists its allowed globals', () => {
    const bytes = torchBytes(new StateDict([['w', new Tensor(new Float32Array([1]), [1])]]));
    const ck = loadCheckpointBytes(bytes);
    expect(ck.tensors().length).toBe(1);
    // data.pkl is the first entry; its data starts at the first 64-byte boundary after the header.
    const start = bytes.indexOf(0x80);
    const scan = scanPickle(bytes, start);
    expect(scan.safe).toBe(true);
    expect(scan.globals.map((g) => g.name)).toContain('torch._utils._rebuild_tensor_v2');
  });
});
