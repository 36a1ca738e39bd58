/**
 * The committed icons (build/icons) are exactly what tools/make-icons.mjs draws from icon.svg, the check
 * notices a changed picture or a missing file, and each container holds the sizes installers look for.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Resvg } from '@resvg/resvg-js';
import { afterAll, describe, expect, it } from 'vitest';
import { ICON_DIR, PNG_SIZES, SVG_PATH, generateIcons, staleIcons } from './make-icons.mjs';

const committed = (name: string) => readFileSync(join(ICON_DIR, name));
const pngSize = (png: Buffer) => ({ width: png.readUInt32BE(16), height: png.readUInt32BE(20) });
const generated = generateIcons();
const scratch = mkdtempSync(join(tmpdir(), 'normscope-icons-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('icons', () => {
  it('hold what icon.svg gives (regenerate with node tools/make-icons.mjs)', () => {
    expect([...generated.keys()].sort()).toEqual(
      [...PNG_SIZES.map((s) => `${s}x${s}.png`), 'icon.png', 'icon.ico', 'icon.icns'].sort(),
    );
    expect(staleIcons(generated)).toEqual([]);
    const out = execFileSync(process.execPath, ['tools/make-icons.mjs', '--check'], { encoding: 'utf8' });
    expect(out).toContain('build/icons matches icon.svg (12 files)');
  });

  it('notices a changed picture and a missing file', () => {
    const svg = readFileSync(SVG_PATH, 'utf8');
    const recoloured = svg.replace('fill="#ffb84d"', 'fill="#ffb84e"');
    expect(recoloured).not.toBe(svg);
    expect(staleIcons(generateIcons(recoloured)).sort()).toEqual([...generated.keys()].sort());
    for (const [name, bytes] of generated) if (name !== 'icon.ico') writeFileSync(join(scratch, name), bytes);
    expect(staleIcons(generated, scratch)).toEqual(['icon.ico']);
  });

  it('writes one PNG per size, transparent outside the rounded square', () => {
    for (const size of PNG_SIZES)
      expect(pngSize(committed(`${size}x${size}.png`))).toEqual({ width: size, height: size });
    expect(pngSize(committed('icon.png'))).toEqual({ width: 512, height: 512 });
    const pixels = new Resvg(readFileSync(SVG_PATH), { fitTo: { mode: 'width', value: 512 } }).render().pixels;
    const px = (x: number, y: number) => [...pixels.subarray((y * 512 + x) * 4, (y * 512 + x) * 4 + 4)];
    expect(px(0, 0)[3]).toBe(0);
    expect(px(60, 256)).toEqual([0x16, 0x21, 0x3e, 255]); // left edge band of the background
  });

  it('writes an ICO with 16-256 px entries: BMP below 64 px, PNG from 64 px', () => {
    const ico = committed('icon.ico');
    expect(ico.readUInt16LE(2)).toBe(1); // type: icon
    const entries = Array.from({ length: ico.readUInt16LE(4) }, (_, i) => {
      const dir = 6 + 16 * i;
      const bytes = ico.subarray(ico.readUInt32LE(dir + 12), ico.readUInt32LE(dir + 12) + ico.readUInt32LE(dir + 8));
      return { width: ico[dir] || 256, height: ico[dir + 1] || 256, bpp: ico.readUInt16LE(dir + 6), bytes };
    });
    expect(entries.map((e) => e.width).sort((a, b) => a - b)).toEqual(
      expect.arrayContaining([16, 24, 32, 48, 64, 256]),
    );
    for (const e of entries) {
      expect([e.height, e.bpp]).toEqual([e.width, 32]);
      const isPng = e.bytes.toString('ascii', 1, 4) === 'PNG';
      expect(isPng, `${e.width} px entry`).toBe(e.width >= 64);
      if (isPng) expect(pngSize(e.bytes)).toEqual({ width: e.width, height: e.width });
      else
        expect([e.bytes.readUInt32LE(0), e.bytes.readInt32LE(4), e.bytes.readInt32LE(8)]).toEqual([
          40,
          e.width,
          2 * e.width,
        ]);
    }
  });

  it('writes an ICNS whose PNG entries have the sizes their types mean', () => {
    const icns = committed('icon.icns');
    expect([icns.toString('ascii', 0, 4), icns.readUInt32BE(4)]).toEqual(['icns', icns.length]);
    const png: Record<string, number> = {};
    for (let p = 8; p < icns.length; p += icns.readUInt32BE(p + 4)) {
      const body = icns.subarray(p + 8, p + icns.readUInt32BE(p + 4));
      if (body.toString('ascii', 1, 4) === 'PNG') png[icns.toString('ascii', p, p + 4)] = pngSize(body).width;
    }
    expect(png).toMatchObject({ ic07: 128, ic08: 256, ic09: 512, ic10: 1024, ic13: 256, ic14: 512 });
  });

  it('keeps the picture in the SVG: 1024 view box, background, bars, axis, mean, curve', () => {
    const svg = readFileSync(SVG_PATH, 'utf8');
    expect(svg).toMatch(/viewBox="0 0 1024 1024"/);
    const fills = [...svg.matchAll(/<path fill="(#[0-9a-f]{6})"/g)].map((m) => m[1]);
    expect(fills).toEqual(['#16213e', ...Array(9).fill('#2e6f8e'), '#e8edf2', '#e8edf2', '#ffb84d']);
  });
});
