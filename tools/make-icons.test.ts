/**
 * The committed icons (build/icons) are exactly what tools/make-icons.mjs produces, and each container is
 * well formed: PNG pixels decode to the design's colours, ICO and ICNS entries have the sizes their
 * directory claims.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { deflateSync, inflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { crc32, pngRaw, readIcns, readIco, readPngHeader, sameIconFile } from './icon-containers.mjs';
import { ICON_DIR, PNG_SIZES, designShapes, generateIcons } from './make-icons.mjs';

const committed = (name: string) => readFileSync(join(ICON_DIR, name));

/** Decodes an 8-bit RGBA PNG written with filter 0 rows (what encodePng writes). */
function decodeRgba(png: Buffer): { width: number; height: number; px: (x: number, y: number) => number[] } {
  const { width, height, bitDepth, colorType } = readPngHeader(png);
  expect([bitDepth, colorType]).toEqual([8, 6]);
  const idat: Buffer[] = [];
  for (let p = 8; p < png.length;) {
    const len = png.readUInt32BE(p);
    const type = png.toString('ascii', p + 4, p + 8);
    const body = png.subarray(p + 8, p + 8 + len);
    expect(png.readUInt32BE(p + 8 + len), `CRC of ${type}`).toBe(crc32(png.subarray(p + 4, p + 8 + len)));
    if (type === 'IDAT') idat.push(body);
    p += 12 + len;
  }
  const raw = inflateSync(Buffer.concat(idat));
  expect(raw.length).toBe((width * 4 + 1) * height);
  return {
    width,
    height,
    px: (x, y) => {
      const o = y * (width * 4 + 1) + 1 + x * 4;
      expect(raw[y * (width * 4 + 1)]).toBe(0);
      return [raw[o], raw[o + 1], raw[o + 2], raw[o + 3]];
    },
  };
}

describe('icons', () => {
  it('hold the images the generator makes (regenerate with node tools/make-icons.mjs)', () => {
    const generated = generateIcons();
    expect(generated.size).toBe(PNG_SIZES.length + 4);
    for (const [name, bytes] of generated) expect(sameIconFile(name, committed(name), bytes), name).toBe(true);
    expect(committed('icon.svg').equals(generated.get('icon.svg') as Buffer)).toBe(true);
  });

  it('compares images, not compressed bytes, and notices a changed pixel', () => {
    const generated = generateIcons();
    const png = generated.get('16x16.png') as Buffer;
    // The same pixels deflated at another level: different bytes, same image.
    const idat = deflateSync(pngRaw(png), { level: 1 });
    const head = Buffer.alloc(8);
    head.writeUInt32BE(idat.length, 0);
    head.write('IDAT', 4, 'ascii');
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), idat])), 0);
    const recompressed = Buffer.concat([png.subarray(0, 33), head, idat, crc, png.subarray(png.length - 12)]);
    expect(recompressed.equals(png)).toBe(false);
    expect(sameIconFile('16x16.png', png, recompressed)).toBe(true);
    const other = generated.get('24x24.png') as Buffer;
    expect(sameIconFile('16x16.png', png, other)).toBe(false);
    const ico = Buffer.from(generated.get('icon.ico') as Buffer);
    const bmpPixel = readIco(ico)[0].bytes.byteOffset - ico.byteOffset + 40 + 4 * (16 * 8 + 8);
    ico[bmpPixel] ^= 0xff;
    expect(sameIconFile('icon.ico', generated.get('icon.ico') as Buffer, ico)).toBe(false);
  });

  it('computes the standard CRC-32', () => {
    expect(crc32(Buffer.from('123456789'))).toBe(0xcbf43926);
  });

  it('writes one PNG per size that decodes to the design', () => {
    for (const size of PNG_SIZES) {
      const png = decodeRgba(committed(`${size}x${size}.png`));
      expect([png.width, png.height]).toEqual([size, size]);
      expect(png.px(0, 0)[3], 'corner outside the rounded square is transparent').toBe(0);
    }
    const big = decodeRgba(committed('512x512.png'));
    const background = designShapes()[0].fill;
    const rgb = [1, 3, 5].map((i) => parseInt(background.slice(i, i + 2), 16));
    expect(big.px(60, 256)).toEqual([...rgb, 255]); // left edge band of the background
    expect(readPngHeader(committed('icon.png'))).toMatchObject({ width: 512, height: 512 });
  });

  it('writes an ICO with 16-256 px entries: BMP below 64 px, PNG from 64 px', () => {
    const entries = readIco(committed('icon.ico'));
    expect(entries.map((e) => e.width)).toEqual([16, 24, 32, 48, 64, 128, 256]);
    for (const e of entries) {
      expect(e.height).toBe(e.width);
      expect(e.bpp).toBe(32);
      expect(e.format).toBe(e.width >= 64 ? 'png' : 'bmp');
      if (e.format === 'png') {
        expect(readPngHeader(e.bytes)).toMatchObject({ width: e.width, height: e.width });
      } else {
        // BITMAPINFOHEADER: size 40, width, double height (image + mask), 32 bpp, then pixels + AND mask.
        expect(e.bytes.readUInt32LE(0)).toBe(40);
        expect(e.bytes.readInt32LE(4)).toBe(e.width);
        expect(e.bytes.readInt32LE(8)).toBe(2 * e.width);
        expect(e.bytes.readUInt16LE(14)).toBe(32);
        const maskStride = Math.ceil(e.width / 32) * 4;
        expect(e.bytes.length).toBe(40 + e.width * e.width * 4 + maskStride * e.width);
      }
    }
  });

  it('writes an ICNS whose PNG entries have the sizes their types mean', () => {
    const expected: Record<string, number> = {
      icp4: 16,
      icp5: 32,
      ic11: 32,
      ic12: 64,
      ic07: 128,
      ic13: 256,
      ic08: 256,
      ic14: 512,
      ic09: 512,
      ic10: 1024,
    };
    const entries = readIcns(committed('icon.icns'));
    expect(entries.map((e) => e.type).sort()).toEqual(Object.keys(expected).sort());
    for (const e of entries) expect(readPngHeader(e.bytes).width, e.type).toBe(expected[e.type]);
  });

  it('keeps the SVG source and the rasters on the same polygons', () => {
    const svg = committed('icon.svg').toString('utf8');
    expect(svg).toMatch(/viewBox="0 0 1024 1024"/);
    const fills = [...svg.matchAll(/<path fill="(#[0-9a-f]{6})"/g)].map((m) => m[1]);
    expect(fills).toEqual(designShapes().map((s) => s.fill));
  });
});
