/**
 * A NumPy .npy reader for rank inputs: format versions 1.0, 2.0 and 3.0, little- or big-endian
 * float32/float64, C order. Anything else (Fortran order, other dtypes, object arrays, a header or
 * data that does not add up) is refused with an NpyError that says what was found.
 * Format: "\x93NUMPY", major, minor, header length (u16 for 1.0, u32 for 2.0/3.0), a Python dict
 * literal {'descr': '<f4', 'fortran_order': False, 'shape': (N, C), } padded with spaces, then the data.
 */
export class NpyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NpyError';
  }
}

export interface NpyArray {
  shape: number[];
  dtype: 'float32' | 'float64';
  data: Float32Array | Float64Array;
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

interface NpyHeader {
  descr: string;
  shape: number[];
  count: number;
  dataStart: number;
  view: DataView;
}

/** Magic, version, header dict and C order: what every .npy reader here checks first. */
function readHeader(bytes: Uint8Array, name: string): NpyHeader {
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b))
    throw new NpyError(`${name} is not a NumPy .npy file (bad magic)`);
  const major = bytes[6]!;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let headerLen: number;
  let start: number;
  if (major === 1) {
    headerLen = view.getUint16(8, true);
    start = 10;
  } else if (major === 2 || major === 3) {
    if (bytes.length < 12) throw new NpyError(`${name}: truncated .npy header`);
    headerLen = view.getUint32(8, true);
    start = 12;
  } else {
    throw new NpyError(`${name}: unsupported .npy format version ${major}.${bytes[7]} (1.0, 2.0 and 3.0 are read)`);
  }
  if (start + headerLen > bytes.length)
    throw new NpyError(`${name}: truncated .npy header (${headerLen} bytes declared)`);
  const header = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(bytes.subarray(start, start + headerLen));
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(header)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) {
    throw new NpyError(`${name}: malformed .npy header ${JSON.stringify(header.trim())}`);
  }
  if (fortran === 'True')
    throw new NpyError(`${name}: Fortran-order arrays are not supported (save with np.ascontiguousarray)`);
  const shape = shapeText
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map((s) => {
      const n = Number(s.replace(/L$/, ''));
      if (!Number.isSafeInteger(n) || n < 0)
        throw new NpyError(`${name}: bad dimension ${JSON.stringify(s)} in shape (${shapeText})`);
      return n;
    });
  const count = shape.reduce((a, b) => a * b, 1);
  return { descr, shape, count, dataStart: start + headerLen, view };
}

function checkDataLength(bytes: Uint8Array, name: string, h: NpyHeader, size: number): void {
  const need = h.count * size;
  if (bytes.length - h.dataStart < need) {
    throw new NpyError(
      `${name}: data is truncated: shape (${h.shape.join(', ')}) needs ${need} bytes, found ${bytes.length - h.dataStart}`,
    );
  }
}

export function readNpy(bytes: Uint8Array, name = 'input'): NpyArray {
  const { descr, shape, count, dataStart, view } = readHeader(bytes, name);
  const m = /^([<>|=])f([48])$/.exec(descr);
  if (!m) throw new NpyError(`${name}: dtype ${JSON.stringify(descr)} is not supported (float32 or float64 only)`);
  const size = Number(m[2]);
  // '=' is native order; '|' is not valid for multi-byte floats but numpy never writes it for them.
  const little = m[1] !== '>';
  checkDataLength(bytes, name, { descr, shape, count, dataStart, view }, size);
  const out = size === 4 ? new Float32Array(count) : new Float64Array(count);
  for (let i = 0; i < count; i++) {
    const off = dataStart + i * size;
    out[i] = size === 4 ? view.getFloat32(off, little) : view.getFloat64(off, little);
  }
  return { shape, dtype: size === 4 ? 'float32' : 'float64', data: out };
}

/**
 * Class indices (cross-entropy targets) as int64: integer arrays of 1, 2, 4 or 8 bytes (numpy's default
 * for np.array([3, 1]) is int64), or float arrays whose values are all whole numbers.
 */
export function readNpyIndices(bytes: Uint8Array, name = 'target'): { shape: number[]; data: BigInt64Array } {
  const h = readHeader(bytes, name);
  const m = /^([<>|=])([iuf])([1248])$/.exec(h.descr);
  if (!m || (m[2] === 'f' && m[3] !== '4' && m[3] !== '8'))
    throw new NpyError(
      `${name}: dtype ${JSON.stringify(h.descr)} is not supported (integer class indices, or whole-number floats)`,
    );
  const size = Number(m[3]);
  const little = m[1] !== '>';
  checkDataLength(bytes, name, h, size);
  const out = new BigInt64Array(h.count);
  const v = h.view;
  for (let i = 0; i < h.count; i++) {
    const off = h.dataStart + i * size;
    if (m[2] === 'f') {
      const x = size === 4 ? v.getFloat32(off, little) : v.getFloat64(off, little);
      if (!Number.isSafeInteger(x))
        throw new NpyError(`${name}: value ${x} at index ${i} is not a class index (a whole number)`);
      out[i] = BigInt(x);
    } else if (size === 8)
      out[i] = m[2] === 'i' ? v.getBigInt64(off, little) : BigInt.asIntN(64, v.getBigUint64(off, little));
    else if (size === 4) out[i] = BigInt(m[2] === 'i' ? v.getInt32(off, little) : v.getUint32(off, little));
    else if (size === 2) out[i] = BigInt(m[2] === 'i' ? v.getInt16(off, little) : v.getUint16(off, little));
    else out[i] = BigInt(m[2] === 'i' ? v.getInt8(off) : v.getUint8(off));
  }
  return { shape: h.shape, data: out };
}

/** Writes a version 1.0 little-endian .npy (tests and the CLI's examples). */
export function writeNpy(arr: NpyArray): Uint8Array {
  const descr = arr.dtype === 'float32' ? '<f4' : '<f8';
  const shape = arr.shape.length === 1 ? `(${arr.shape[0]},)` : `(${arr.shape.join(', ')})`;
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shape}, }`;
  const pad = 64 - ((10 + header.length + 1) % 64);
  header += ' '.repeat(pad % 64) + '\n';
  const size = arr.dtype === 'float32' ? 4 : 8;
  const out = new Uint8Array(10 + header.length + arr.data.length * size);
  out.set(MAGIC, 0);
  out[6] = 1;
  out[7] = 0;
  new DataView(out.buffer).setUint16(8, header.length, true);
  for (let i = 0; i < header.length; i++) out[10 + i] = header.charCodeAt(i);
  const dv = new DataView(out.buffer, 10 + header.length);
  for (let i = 0; i < arr.data.length; i++) {
    if (size === 4) dv.setFloat32(i * 4, arr.data[i]!, true);
    else dv.setFloat64(i * 8, arr.data[i]!, true);
  }
  return out;
}
