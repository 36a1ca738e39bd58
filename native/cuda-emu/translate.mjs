// Rewrites CUDA source for the CPU emulator: every launch `kernel<T, M><<<grid, block>>>(args)` becomes
// `emu::launch(grid, block, kernel<T, M>, args)`; nothing else changes (line numbers are kept, and a
// #line directive points compiler messages at the original file). Dynamic shared memory, streams in
// launches and other syntax the emulator does not support make translateCuda throw.
import { readFileSync, readdirSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

const LAUNCH = /([A-Za-z_][\w:]*(?:<[^<>;(){}]*>)?)\s*<<<([\s\S]*?)>>>\s*\(/g;

/** @param {string} src @param {string} file the original path, for #line and messages */
export function translateCuda(src, file) {
  let out = src.replace(LAUNCH, (_m, kernel, config, offset) => {
    const parts = splitTopLevel(config);
    if (parts.length !== 2) {
      const line = src.slice(0, offset).split('\n').length;
      throw new Error(`${file}:${line}: the emulator supports <<<grid, block>>> only (got <<<${config.trim()}>>>)`);
    }
    const after = src.slice(offset + _m.length).trimStart();
    const sep = after.startsWith(')') ? '' : ', ';
    return `emu::launch(${parts[0].trim()}, ${parts[1].trim()}, ${kernel}${sep}`;
  });
  if (/<<<|>>>/.test(out)) throw new Error(`${file}: a kernel launch the emulator could not rewrite`);
  if (/extern\s+__shared__/.test(out)) throw new Error(`${file}: dynamic shared memory is not emulated`);
  return `#line 1 "${file}"\n${out}`;
}

// Splits on commas outside parentheses, brackets and braces.
function splitTopLevel(s) {
  const parts = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const ch = s[i];
    if ('([{'.includes(ch)) depth++;
    else if (')]}'.includes(ch)) depth--;
    else if (ch === ',' && depth === 0) {
      parts.push(s.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(s.slice(start));
  return parts;
}

/** Translates every .cu/.cuh in `srcDir` into `outDir` (.cu → .cc); returns the translated .cc paths. */
export function translateDir(srcDir, outDir, displayDir = srcDir) {
  mkdirSync(outDir, { recursive: true });
  const units = [];
  for (const f of readdirSync(srcDir).sort()) {
    if (!/\.(cu|cuh)$/.test(f)) continue;
    const text = translateCuda(readFileSync(join(srcDir, f), 'utf8'), join(displayDir, f));
    const name = f.endsWith('.cu') ? f.replace(/\.cu$/, '.cc') : f;
    writeFileSync(join(outDir, name), text);
    if (name.endsWith('.cc')) units.push(join(outDir, name));
  }
  return units;
}
