// Minimal writers (and readers, for the tests) of the image containers installers need:
// PNG (RGBA, 8 bit), ICO (Windows) and ICNS (macOS). Deterministic: the same pixels give the same bytes.
import { crc32 as zlibCrc32, deflateSync, inflateSync } from 'node:zlib';

/** PNG's chunk CRC: zlib's CRC-32 (Node ≥ 20.15, which package.json's engines require). */
export function crc32(bytes) {
  return zlibCrc32(bytes) >>> 0;
}

function chunk(type, data) {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'ascii');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}

export const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** PNG of straight-alpha RGBA pixels (filter 0 on every row; deflate level 9). */
export function encodePng(width, height, rgba) {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 6; // colour type RGBA
  const raw = Buffer.alloc((width * 4 + 1) * height);
  for (let y = 0; y < height; y++) {
    raw[y * (width * 4 + 1)] = 0;
    Buffer.from(rgba.buffer, rgba.byteOffset + y * width * 4, width * 4).copy(raw, y * (width * 4 + 1) + 1);
  }
  return Buffer.concat([
    PNG_SIGNATURE,
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** Reads width/height/colour type from a PNG's IHDR (enough to check a container's entries). */
export function readPngHeader(bytes) {
  if (!bytes.subarray(0, 8).equals(PNG_SIGNATURE)) throw new Error('not a PNG');
  if (bytes.toString('ascii', 12, 16) !== 'IHDR') throw new Error('PNG without IHDR first');
  return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20), bitDepth: bytes[24], colorType: bytes[25] };
}

/** A 32-bit BMP (DIB) icon image: BITMAPINFOHEADER, bottom-up BGRA rows, then the 1-bit AND mask. */
function icoBitmap(size, rgba) {
  const header = Buffer.alloc(40);
  header.writeUInt32LE(40, 0);
  header.writeInt32LE(size, 4);
  header.writeInt32LE(size * 2, 8); // XOR image + AND mask
  header.writeUInt16LE(1, 12);
  header.writeUInt16LE(32, 14);
  const pixels = Buffer.alloc(size * size * 4);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const s = (y * size + x) * 4;
      const d = ((size - 1 - y) * size + x) * 4;
      pixels[d] = rgba[s + 2];
      pixels[d + 1] = rgba[s + 1];
      pixels[d + 2] = rgba[s];
      pixels[d + 3] = rgba[s + 3];
    }
  }
  const maskStride = Math.ceil(size / 32) * 4;
  const mask = Buffer.alloc(maskStride * size);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      if (rgba[(y * size + x) * 4 + 3] === 0) mask[(size - 1 - y) * maskStride + (x >> 3)] |= 0x80 >> (x & 7);
    }
  }
  header.writeUInt32LE(pixels.length + mask.length, 20);
  return Buffer.concat([header, pixels, mask]);
}

/**
 * ICO with one entry per image: sizes below 64 as BMP (what every Windows shell and NSIS read), larger
 * ones as PNG (Vista+), which keeps the 256 px entry small.
 */
export function encodeIco(images) {
  const head = Buffer.alloc(6 + 16 * images.length);
  head.writeUInt16LE(0, 0);
  head.writeUInt16LE(1, 2);
  head.writeUInt16LE(images.length, 4);
  const bodies = images.map(({ size, rgba, png }) => (size >= 64 ? png : icoBitmap(size, rgba)));
  let offset = head.length;
  images.forEach(({ size }, i) => {
    const e = 6 + 16 * i;
    head[e] = size >= 256 ? 0 : size;
    head[e + 1] = size >= 256 ? 0 : size;
    head.writeUInt16LE(1, e + 4); // planes
    head.writeUInt16LE(32, e + 6); // bits per pixel
    head.writeUInt32LE(bodies[i].length, e + 8);
    head.writeUInt32LE(offset, e + 12);
    offset += bodies[i].length;
  });
  return Buffer.concat([head, ...bodies]);
}

/** Parses an ICO directory: [{ width, height, bpp, format: 'png' | 'bmp', bytes }]. */
export function readIco(bytes) {
  if (bytes.readUInt16LE(0) !== 0 || bytes.readUInt16LE(2) !== 1) throw new Error('not an ICO');
  const n = bytes.readUInt16LE(4);
  const out = [];
  for (let i = 0; i < n; i++) {
    const e = 6 + 16 * i;
    const size = bytes.readUInt32LE(e + 8);
    const offset = bytes.readUInt32LE(e + 12);
    if (offset + size > bytes.length) throw new Error(`ICO entry ${i} runs past the end of the file`);
    const body = bytes.subarray(offset, offset + size);
    out.push({
      width: bytes[e] || 256,
      height: bytes[e + 1] || 256,
      bpp: bytes.readUInt16LE(e + 6),
      format: body.subarray(0, 8).equals(PNG_SIGNATURE) ? 'png' : 'bmp',
      bytes: body,
    });
  }
  return out;
}

/** ICNS from [type, png bytes] entries (all PNG-based types). */
export function encodeIcns(entries) {
  const parts = entries.map(([type, png]) => {
    const h = Buffer.alloc(8);
    h.write(type, 0, 'ascii');
    h.writeUInt32BE(png.length + 8, 4);
    return Buffer.concat([h, png]);
  });
  const body = Buffer.concat(parts);
  const head = Buffer.alloc(8);
  head.write('icns', 0, 'ascii');
  head.writeUInt32BE(body.length + 8, 4);
  return Buffer.concat([head, body]);
}

/** Parses an ICNS file: [{ type, bytes }]. */
export function readIcns(bytes) {
  if (bytes.toString('ascii', 0, 4) !== 'icns') throw new Error('not an ICNS');
  if (bytes.readUInt32BE(4) !== bytes.length) throw new Error('ICNS length field does not match the file');
  const out = [];
  for (let p = 8; p < bytes.length;) {
    const type = bytes.toString('ascii', p, p + 4);
    const len = bytes.readUInt32BE(p + 4);
    if (len < 8 || p + len > bytes.length) throw new Error(`ICNS entry ${type} has a bad length`);
    out.push({ type, bytes: bytes.subarray(p + 8, p + len) });
    p += len;
  }
  return out;
}

/** The filtered scanlines of a PNG (its IDAT data inflated): equal pixels whatever zlib compressed them. */
export function pngRaw(bytes) {
  readPngHeader(bytes);
  const idat = [];
  for (let p = 8; p < bytes.length;) {
    const len = bytes.readUInt32BE(p);
    if (bytes.toString('ascii', p + 4, p + 8) === 'IDAT') idat.push(bytes.subarray(p + 8, p + 8 + len));
    p += 12 + len;
  }
  return inflateSync(Buffer.concat(idat));
}

/**
 * Whether two icon files hold the same images. PNG data is compared after inflating, because deflate
 * output may differ between zlib builds (Node versions, CPU-specific code paths) for the same pixels.
 */
export function sameIconFile(name, a, b) {
  const samePng = (x, y) => pngRaw(x).equals(pngRaw(y)) && x.subarray(8, 33).equals(y.subarray(8, 33));
  if (name.endsWith('.png')) return samePng(a, b);
  if (name.endsWith('.ico')) {
    const x = readIco(a);
    const y = readIco(b);
    return (
      x.length === y.length &&
      x.every((e, i) => {
        const f = y[i];
        if (e.width !== f.width || e.height !== f.height || e.bpp !== f.bpp || e.format !== f.format) return false;
        return e.format === 'png' ? samePng(e.bytes, f.bytes) : e.bytes.equals(f.bytes);
      })
    );
  }
  if (name.endsWith('.icns')) {
    const x = readIcns(a);
    const y = readIcns(b);
    return x.length === y.length && x.every((e, i) => e.type === y[i].type && samePng(e.bytes, y[i].bytes));
  }
  return a.equals(b);
}
