/**
 * The `--input` and `--target` files of `normscope model`: NumPy .npy arrays matched to the graph's
 * inputs (one plain `--input X.npy` for a one-input graph, `--input NAME=X.npy` per input otherwise),
 * checked against the shapes the graph declares before anything runs.
 */
import { readFileSync } from 'node:fs';
import type { ValueInfo } from '../../engine/index.js';
import { Tensor } from '../../engine/index.js';
import { readNpy, readNpyIndices } from '../ranks/npy.js';
import { UsageError } from './args.js';

export interface InputArg {
  /** The graph input it names, or null for a plain path. */
  name: string | null;
  file: string;
}

/** `--input` values as given: NAME=PATH when NAME is one of the graph's input names, else a path. */
export function parseInputArgs(values: readonly string[], graphInputs: readonly ValueInfo[]): InputArg[] {
  const names = new Set(graphInputs.map((i) => i.name));
  return values.map((v) => {
    const eq = v.indexOf('=');
    if (eq > 0 && names.has(v.slice(0, eq))) return { name: v.slice(0, eq), file: v.slice(eq + 1) };
    return { name: null, file: v };
  });
}

function fmt(shape: readonly (number | string)[]): string {
  return `[${shape.join(', ')}]`;
}

/** Reads one float .npy as a tensor of the graph input's dtype (float64 arrays are cast, with a note). */
function readInput(file: string, info: ValueInfo, notes: string[]): Tensor {
  const arr = readNpy(readFileSync(file), file);
  const want = info.dtype === 'float64' ? 'float64' : 'float32';
  if (info.dtype !== 'float32' && info.dtype !== 'float64') {
    throw new UsageError(
      `input '${info.name}' is ${info.dtype}: only float32/float64 graph inputs can be fed from .npy`,
    );
  }
  const declared = info.shape;
  if (declared.length > 0) {
    const fits =
      declared.length === arr.shape.length &&
      declared.every((d, i) => i === 0 || typeof d !== 'number' || d === arr.shape[i]);
    if (!fits) {
      throw new UsageError(
        `${file} has shape ${fmt(arr.shape)} but input '${info.name}' is ${fmt(declared)} (only dimension 0, the batch, may differ)`,
      );
    }
  }
  let data: Float32Array | Float64Array = arr.data;
  if (arr.dtype !== want) {
    notes.push(`${file}: ${arr.dtype} values cast to ${want} (the graph's input type)`);
    data = want === 'float32' ? Float32Array.from(arr.data) : Float64Array.from(arr.data);
  }
  return new Tensor(data, arr.shape, want);
}

/** The graph's inputs in order, read from the --input arguments; every input must be given once. */
export function readInputs(args: readonly InputArg[], graphInputs: readonly ValueInfo[], notes: string[]): Tensor[] {
  if (args.length === 0) throw new UsageError('--input is required');
  if (graphInputs.length === 0) throw new UsageError('the model declares no inputs');
  const names = graphInputs.map((i) => i.name);
  if (args.length === 1 && args[0]!.name === null) {
    if (graphInputs.length !== 1) {
      throw new UsageError(
        `the model has ${graphInputs.length} inputs (${names.join(', ')}): give each as --input NAME=X.npy`,
      );
    }
    return [readInput(args[0]!.file, graphInputs[0]!, notes)];
  }
  const byName = new Map<string, string>();
  for (const a of args) {
    if (a.name === null) {
      throw new UsageError(
        `'${a.file}': with several --input options each must be NAME=X.npy (inputs: ${names.join(', ')})`,
      );
    }
    if (byName.has(a.name)) throw new UsageError(`input '${a.name}' is given twice`);
    byName.set(a.name, a.file);
  }
  const missing = names.filter((n) => !byName.has(n));
  if (missing.length) throw new UsageError(`no --input for ${missing.map((n) => `'${n}'`).join(', ')}`);
  return graphInputs.map((info) => readInput(byName.get(info.name)!, info, notes));
}

/** Y for training: class indices (int64) for cross-entropy, floats of the output's dtype for mse. */
export function readTarget(file: string, loss: 'mse' | 'cross-entropy'): Tensor {
  const bytes = readFileSync(file);
  if (loss === 'cross-entropy') {
    const y = readNpyIndices(bytes, file);
    return new Tensor(y.data, y.shape, 'int64');
  }
  const y = readNpy(bytes, file);
  return new Tensor(y.data, y.shape, y.dtype);
}
