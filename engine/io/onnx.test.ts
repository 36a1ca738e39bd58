import { describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readOnnx, looksOnnx } from './onnx.js';
import { readOnnxFile, safeLocation } from './onnxFile.js';
import { OnnxError } from './onnxError.js';
import { buildOnnx, type ModelSpec } from './onnxBuild.js';

const fixture = (n: string) => new Uint8Array(fs.readFileSync(path.join(__dirname, '..', 'model', 'fixtures', n)));

const relu: ModelSpec = {
  inputs: [{ name: 'x', shape: ['N', 3] }],
  outputs: [{ name: 'y', shape: ['N', 3] }],
  nodes: [{ op: 'Relu', inputs: ['x'], outputs: ['y'] }],
};

function errorOf(fn: () => unknown): Error {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected an error');
}

describe('readOnnx', () => {
  it('reads a torch.onnx.export file: opset, initializers by state-dict key, inputs, outputs, attributes', () => {
    const m = readOnnx(fixture('tiny_resnet.onnx'));
    expect(m.opsetVersion).toBe(13);
    expect(m.producerName).toBe('pytorch');
    expect([...m.graph.initializers.keys()].slice(0, 3)).toEqual(['conv1.weight', 'bn1.weight', 'bn1.bias']);
    expect(m.graph.initializers.get('conv1.weight')!.shape).toEqual([4, 3, 3, 3]);
    expect(m.graph.inputs).toEqual([{ name: 'input', shape: [2, 3, 8, 8], dtype: 'float32' }]);
    expect(m.graph.outputs[0]!.name).toBe('output');
    const conv = m.graph.nodes[0]!;
    expect(conv.opType).toBe('Conv');
    expect(conv.attrs.get('pads')).toEqual([1, 1, 1, 1]);
    expect(conv.attrs.get('group')).toBe(1);
    const bn = m.graph.nodes[1]!;
    expect(bn.attrs.get('momentum')).toBeCloseTo(0.9, 6);
  });

  it('keeps symbolic dims by name and reads typed fields (int64, double, int32) and raw_data', () => {
    const raw = new Uint8Array(new Float32Array([1.5, -2]).buffer);
    const m = readOnnx(
      buildOnnx({
        ...relu,
        initializers: [
          { name: 'a', dims: [2], type: 7, data: [3, -4] },
          { name: 'b', dims: [1], type: 11, data: [0.25] },
          { name: 'c', dims: [2], type: 6, data: [7, 8] },
          { name: 'd', dims: [2], raw },
          { name: 'e', dims: [], data: [5] },
        ],
      }),
    );
    expect(m.graph.inputs[0]!.shape).toEqual(['N', 3]);
    const t = m.graph.initializers;
    expect(t.get('a')!.dtype).toBe('int64');
    expect(t.get('a')!.toArray()).toEqual([3, -4]);
    expect(t.get('b')!.dtype).toBe('float64');
    expect(t.get('c')!.toArray()).toEqual([7, 8]);
    expect(t.get('d')!.toArray()).toEqual([1.5, -2]);
    expect(t.get('e')!.shape).toEqual([]);
  });

  it('detects ONNX by its bytes', () => {
    expect(looksOnnx(fixture('tiny_resnet.onnx'))).toBe(true);
    expect(looksOnnx(new TextEncoder().encode('PK\x03\x04'))).toBe(false);
    expect(errorOf(() => readOnnx(new Uint8Array([0x80, 0x02, 0x7d])))).toBeInstanceOf(OnnxError);
  });

  it('refuses opsets outside 13–17 and subgraph ops, naming them', () => {
    for (const opset of [12, 18]) {
      const e = errorOf(() => readOnnx(buildOnnx({ ...relu, opset })));
      expect(e).toBeInstanceOf(OnnxError);
      expect(e.message).toContain(`opset ${opset} is not supported`);
    }
    const e = errorOf(() =>
      readOnnx(buildOnnx({ ...relu, nodes: [{ op: 'If', name: 'branchy', inputs: ['x'], outputs: ['y'] }] })),
    );
    expect(e.message).toContain("node 'branchy' (If)");
    expect(e.message).toContain('graph nesting');
  });
});

describe('readOnnx on hostile and malformed files', () => {
  it('every truncation of a real export is an OnnxError', () => {
    const bytes = fixture('tiny_resnet.onnx');
    for (let cut = 0; cut < bytes.length; cut += 7) {
      const e = errorOf(() => readOnnx(bytes.subarray(0, cut)));
      expect(e, `cut at ${cut}`).toBeInstanceOf(OnnxError);
    }
  });

  it('flipped bytes give an OnnxError or a model, never another exception', () => {
    const bytes = fixture('tiny_shuffle.onnx');
    let seed = 12345;
    const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let k = 0; k < 300; k++) {
      const b = bytes.slice();
      for (let j = 0; j < 3; j++) b[Math.floor(rnd() * b.length)] = Math.floor(rnd() * 256);
      try {
        readOnnx(b);
      } catch (e) {
        expect(e, `case ${k}: ${(e as Error).message}`).toBeInstanceOf(OnnxError);
      }
    }
  });

  it('wrong and invalid wire types are OnnxErrors', () => {
    // ir_version = 8, then field 100 with wire type 7 (no such wire type).
    const e = errorOf(() => readOnnx(new Uint8Array([0x08, 0x08, 0xa7, 0x06, 0x00])));
    expect(e).toBeInstanceOf(OnnxError);
    expect(e.message).toContain('malformed ONNX protobuf (invalid wire type 7');
    // Field 7 (graph) sent as a varint: protobufjs reads by field number, so this decodes to garbage
    // that the checks after decoding refuse.
    expect(errorOf(() => readOnnx(new Uint8Array([0x08, 0x08, 0x38, 0x05])))).toBeInstanceOf(OnnxError);
    // A length prefix past the end of the buffer.
    const len = errorOf(() => readOnnx(new Uint8Array([0x08, 0x08, 0x3a, 0xff, 0xff, 0xff, 0x7f, 0x00])));
    expect(len.message).toContain('malformed ONNX protobuf');
  });

  it('giant declared dims are refused before any allocation, naming the budget', () => {
    const e = errorOf(() =>
      readOnnx(buildOnnx({ ...relu, initializers: [{ name: 'w', dims: [1e6, 1e6, 1e6], raw: new Uint8Array(4) }] })),
    );
    expect(e.message).toContain("tensor 'w'");
    expect(e.message).toContain('maxTensorNumel');
    const r = errorOf(() =>
      readOnnx(buildOnnx({ ...relu, initializers: [{ name: 'w', dims: [9], type: 1, raw: new Uint8Array(4) }] })),
    );
    expect(r.message).toContain('raw_data holds 4 bytes but dims [9] of float32 need 36');
    const t = errorOf(() =>
      readOnnx(buildOnnx({ ...relu, initializers: [{ name: 'w', dims: [3], type: 7, data: [1] }] })),
    );
    expect(t.message).toContain('int64_data holds 1 values but dims [3] declare 3');
    const rank = errorOf(() =>
      readOnnx(buildOnnx({ ...relu, initializers: [{ name: 'w', dims: new Array(9).fill(1), data: [1] }] })),
    );
    expect(rank.message).toContain('maxRank');
  });

  it('declared input shapes are checked: negative dims, giant shapes', () => {
    const neg = errorOf(() => readOnnx(buildOnnx({ ...relu, inputs: [{ name: 'x', shape: [-3, 2] }] })));
    expect(neg.message).toContain("value 'x': invalid dimension -3");
    const big = errorOf(() => readOnnx(buildOnnx({ ...relu, inputs: [{ name: 'x', shape: [1e6, 1e6, 1e6] }] })));
    expect(big.message).toContain('maxTensorNumel');
  });

  it('node, initializer and file-size budgets name themselves', () => {
    const bytes = buildOnnx(relu);
    expect(errorOf(() => readOnnx(bytes, { budgets: { maxNodes: 0 } })).message).toContain('maxNodes budget (0)');
    expect(errorOf(() => readOnnx(bytes, { budgets: { maxFileBytes: 10 } })).message).toContain('maxFileBytes');
    const two = buildOnnx({
      ...relu,
      initializers: [
        { name: 'a', dims: [1], data: [1] },
        { name: 'b', dims: [1], data: [1] },
      ],
    });
    expect(errorOf(() => readOnnx(two, { budgets: { maxInitializers: 1 } })).message).toContain('maxInitializers');
  });

  it('unsupported tensor types and duplicate initializers are refused by name', () => {
    const str = errorOf(() => readOnnx(buildOnnx({ ...relu, initializers: [{ name: 's', dims: [1], type: 8 }] })));
    expect(str.message).toContain("tensor 's': data type STRING is not supported");
    const dup = errorOf(() =>
      readOnnx(
        buildOnnx({
          ...relu,
          initializers: [
            { name: 'a', dims: [1], data: [1] },
            { name: 'a', dims: [1], data: [2] },
          ],
        }),
      ),
    );
    expect(dup.message).toContain("initializer 'a' is defined twice");
  });
});

describe('external data', () => {
  const withExternal = (location: string, length?: number, offset = 0) =>
    buildOnnx({
      ...relu,
      initializers: [
        { name: 'w', dims: [4], external: { location, offset, ...(length === undefined ? {} : { length }) } },
      ],
    });

  function inDir(files: Record<string, Uint8Array>): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'onnx-ext-'));
    for (const [n, b] of Object.entries(files)) fs.writeFileSync(path.join(dir, n), b);
    return dir;
  }

  it('reads tensors from a file next to the model, at an offset', () => {
    const data = new Uint8Array(new Float32Array([9, 1, 2, 3, 4]).buffer);
    const dir = inDir({ 'm.onnx': withExternal('w.bin', 16, 4), 'w.bin': data });
    const m = readOnnxFile(path.join(dir, 'm.onnx'));
    expect(m.graph.initializers.get('w')!.toArray()).toEqual([1, 2, 3, 4]);
  });

  it('refuses locations outside the folder, short files and wrong lengths', () => {
    expect(safeLocation('../secret')).toBe(false);
    expect(safeLocation('a/../../b')).toBe(false);
    expect(safeLocation('/etc/passwd')).toBe(false);
    expect(safeLocation('C:\\x')).toBe(false);
    expect(safeLocation('weights/w.bin')).toBe(true);
    const dir = inDir({
      'm.onnx': withExternal('../w.bin'),
      'short.onnx': withExternal('w.bin'),
      'len.onnx': withExternal('w.bin', 8),
      'w.bin': new Uint8Array(8),
    });
    expect(errorOf(() => readOnnxFile(path.join(dir, 'm.onnx'))).message).toContain(
      "location '../w.bin' is outside the model's folder",
    );
    expect(errorOf(() => readOnnxFile(path.join(dir, 'short.onnx'))).message).toContain(
      "'w.bin' has 8 bytes, the tensor needs 16",
    );
    expect(errorOf(() => readOnnxFile(path.join(dir, 'len.onnx'))).message).toContain(
      'external data length 8 does not match',
    );
    expect(errorOf(() => readOnnx(withExternal('w.bin'))).message).toContain('external data needs the model');
    const outside = inDir({ 'secret.bin': new Uint8Array(16) });
    fs.symlinkSync(path.join(outside, 'secret.bin'), path.join(dir, 'link.bin'));
    fs.writeFileSync(path.join(dir, 'sym.onnx'), withExternal('link.bin'));
    expect(errorOf(() => readOnnxFile(path.join(dir, 'sym.onnx'))).message).toContain(
      "location 'link.bin' is outside the model's folder",
    );
    expect(errorOf(() => readOnnxFile(path.join(dir, 'nope.onnx'))).message).toContain('cannot open');
    expect(errorOf(() => readOnnxFile(path.join(dir, 'm.onnx'), { budgets: { maxExternalBytes: 4 } }))).toBeInstanceOf(
      OnnxError,
    );
  });
});
