/** Helpers shared by engine/io and engine/inspect tests (not part of the public API). */
import { fileURLToPath } from 'node:url';
import * as path from 'node:path';
import * as fs from 'node:fs';
import * as os from 'node:os';
import type { Tensor } from '../tensor/tensor.js';

export const CORPUS = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'corpus');

export interface ManifestTensor {
  shape: number[];
  dtype: string;
  sum: number | string;
  sumsq: number | string;
}
export interface ManifestFile {
  format: string;
  tensors: Record<string, ManifestTensor>;
  stateDicts: { path: string; keys: string[]; metadata: Record<string, { version?: number }> | null }[];
  note: string;
  /** Globals this file names outside the allow-list (it loads only with placeholders). */
  placeholders?: string[];
}

export function manifest(): Record<string, ManifestFile> {
  return (
    JSON.parse(fs.readFileSync(path.join(CORPUS, 'manifest.json'), 'utf8')) as { files: Record<string, ManifestFile> }
  ).files;
}

export function corpusFile(name: string): string {
  return path.join(CORPUS, name);
}

/** Sum and sum of squares in float64, as the generator computed them with torch. */
export function sums(t: Tensor): { sum: number; sumsq: number } {
  let s = 0;
  let q = 0;
  for (let i = 0; i < t.numel(); i++) {
    const v = t.getFlat(i);
    s += v;
    q += v * v;
  }
  return { sum: s, sumsq: q };
}

export function close(a: number, b: number, rel = 1e-9): boolean {
  if (Number.isNaN(a) || Number.isNaN(b)) return Number.isNaN(a) && Number.isNaN(b);
  if (!Number.isFinite(a) || !Number.isFinite(b)) return a === b;
  return Math.abs(a - b) <= rel * Math.max(1, Math.abs(a), Math.abs(b));
}

export function tempDir(prefix = 'normscope-io-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}
