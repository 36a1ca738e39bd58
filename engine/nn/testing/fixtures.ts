/**
 * Loads the golden parity fixtures (engine/nn/fixtures/*.json, written by
 * tools/make_parity_fixtures.py from real PyTorch) and turns their encoded tensors into engine
 * tensors. Test-only: nothing in the engine imports this.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { tensor, type Tensor } from '../../index.js';
import type { DType } from '../../index.js';

/** A tensor as the generator writes it: flat data, shape, dtype. */
export interface EncTensor {
  dtype: DType;
  shape: number[];
  data: number[];
}

/** An exception as PyTorch raised it: Python class name and exact message. */
export interface EncError {
  type: string;
  message: string;
}

const FIXTURE_DIR = fileURLToPath(new URL('../fixtures/', import.meta.url));

/** Parses one fixture file (`name` like 'forward_train.json'). */
export function loadFixture<T = Record<string, unknown>>(name: string): T & { torch: string; area: string } {
  return JSON.parse(readFileSync(FIXTURE_DIR + name, 'utf8')) as T & { torch: string; area: string };
}

function typedFor(dtype: DType, data: number[]): Float32Array | Float64Array | BigInt64Array {
  switch (dtype) {
    case 'float32':
      return Float32Array.from(data);
    case 'float64':
      return Float64Array.from(data);
    case 'int64':
      return BigInt64Array.from(data.map((v) => BigInt(v)));
    default:
      throw new Error(`fixtures only hold float32/float64/int64 tensors, got ${dtype}`);
  }
}

/** An engine tensor with the fixture's values (a fresh copy: tests may mutate it). */
export function toTensor(e: EncTensor, requiresGrad = false): Tensor {
  return tensor(typedFor(e.dtype, e.data), { shape: e.shape, dtype: e.dtype, requiresGrad });
}

/** The error an engine call threw, in the fixture's shape ({type, message}); rethrows non-engine errors. */
export function engineErrorOf(e: unknown): EncError {
  if (e instanceof Error && 'pyType' in e && typeof (e as { pyType: unknown }).pyType === 'string') {
    return { type: (e as { pyType: string }).pyType, message: e.message };
  }
  throw e;
}

/** Runs `fn`, returning its value or the engine error it threw. */
export function captureEngine<T>(fn: () => T): { value: T; error: null } | { value: null; error: EncError } {
  try {
    return { value: fn(), error: null };
  } catch (e) {
    return { value: null, error: engineErrorOf(e) };
  }
}
