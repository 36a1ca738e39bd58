#!/usr/bin/env node
// Draws NormScope's icons from the one picture, build/icons/icon.svg (edit that file to change the icon):
//   build/icons/NxN.png                16..1024, for Linux (electron-builder takes the folder)
//   build/icons/icon.png               512x512
//   build/icons/icon.ico               Windows (png2icons: BMP entries below 64 px, PNG from 64 px)
//   build/icons/icon.icns              macOS (png2icons)
// resvg rasterizes the SVG; png2icons packs the 1024 px raster into ICO and ICNS. Both are
// deterministic, so the outputs are committed and `node tools/make-icons.mjs --check` exits 1 when a
// committed file differs byte for byte from what the SVG gives (tools/make-icons.test.ts runs it).
// The containers are committed rather than left to electron-builder because its PNG-to-ICNS/ICO
// conversion downloads a toolset at packaging time.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Resvg } from '@resvg/resvg-js';
import png2icons from 'png2icons';

export const PNG_SIZES = [16, 24, 32, 48, 64, 128, 256, 512, 1024];
export const ICON_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'build', 'icons');
export const SVG_PATH = join(ICON_DIR, 'icon.svg');

/** The SVG rasterized at `size` x `size`, as PNG bytes (system fonts off: the icon has no text). */
export function rasterize(svg, size) {
  const resvg = new Resvg(svg, { fitTo: { mode: 'width', value: size }, font: { loadSystemFonts: false } });
  return Buffer.from(resvg.render().asPng());
}

/** Every file drawn from `svg`, as { name in build/icons: bytes }. */
export function generateIcons(svg = readFileSync(SVG_PATH)) {
  const files = new Map();
  for (const size of PNG_SIZES) files.set(`${size}x${size}.png`, rasterize(svg, size));
  files.set('icon.png', files.get('512x512.png'));
  const master = files.get('1024x1024.png');
  // forWinExe: PNG entries from 64 px, BMP below, as older Windows' file-properties dialog needs.
  const ico = png2icons.createICO(master, png2icons.BICUBIC2, 0, false, true);
  const icns = png2icons.createICNS(master, png2icons.BICUBIC2, 0);
  if (ico === null || icns === null) throw new Error('png2icons could not encode the 1024 px icon');
  files.set('icon.ico', ico);
  files.set('icon.icns', icns);
  return files;
}

/** Names of the files in `dir` that are missing or differ from `files`. */
export function staleIcons(files, dir = ICON_DIR) {
  const stale = [];
  for (const [name, bytes] of files) {
    let current = null;
    try {
      current = readFileSync(join(dir, name));
    } catch {
      current = null;
    }
    if (current === null || !current.equals(bytes)) stale.push(name);
  }
  return stale;
}

function main() {
  const files = generateIcons();
  if (process.argv.includes('--check')) {
    const stale = staleIcons(files);
    if (stale.length > 0) {
      console.error(`build/icons is out of date: ${stale.join(', ')} (run node tools/make-icons.mjs)`);
      process.exit(1);
    }
    console.log(`build/icons matches icon.svg (${files.size} files)`);
    return;
  }
  mkdirSync(ICON_DIR, { recursive: true });
  for (const [name, bytes] of files) {
    writeFileSync(join(ICON_DIR, name), bytes);
    console.log(`wrote build/icons/${name} (${bytes.length} bytes)`);
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) main();
