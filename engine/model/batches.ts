/**
 * Batches of a model's inputs along dimension 0 (a DataLoader without shuffling: batches in order,
 * the last one short) and the checks on batch sizes with PyTorch's DataLoader texts. A long job that
 * must leave nothing changed when it fails or is cancelled takes a StateCopy (engine/nn/stateCopy.ts).
 */
import { ValueError } from '../errors.js';
import { Tensor } from '../tensor/tensor.js';

/** A model's inputs: one tensor, tensors in graph-input order, or tensors by graph-input name. */
export type ModelInputs = Tensor | Tensor[] | Map<string, Tensor>;

/** What a cancellable job checks between batches (an AbortSignal fits; so does a host's flag reader). */
export interface CancelSignal {
  readonly aborted: boolean;
  readonly reason?: unknown;
}

export function throwIfCancelled(signal: CancelSignal | undefined, what: string): void {
  if (!signal?.aborted) return;
  throw signal.reason instanceof Error ? signal.reason : new Error(`${what} cancelled`);
}

/** PyTorch DataLoader's check and text. */
export function checkBatchSize(batchSize: number): void {
  if (!Number.isSafeInteger(batchSize) || batchSize <= 0) {
    throw new ValueError(`batch_size should be a positive integer value, but got batch_size=${batchSize}`);
  }
}

function asList(x: ModelInputs): Tensor[] {
  if (x instanceof Tensor) return [x];
  return Array.isArray(x) ? x : [...x.values()];
}

/** The number of samples (dimension 0, the same for every input). */
export function sampleCount(x: ModelInputs): number {
  const list = asList(x);
  if (list.length === 0) throw new ValueError('the model needs at least one input tensor');
  const n = list[0]!.dim() > 0 ? list[0]!.shape[0]! : 0;
  for (const t of list) {
    if (t.dim() === 0) throw new ValueError('an input is a scalar: inputs are batches with samples along dimension 0');
    if (t.shape[0] !== n) {
      throw new ValueError(`inputs have different numbers of samples along dimension 0 (${n} and ${t.shape[0]})`);
    }
  }
  return n;
}

/** Rows [start, end) of a tensor: a view of its host storage (no copy). */
export function rows(t: Tensor, start: number, end: number): Tensor {
  if (start === 0 && end === t.shape[0]) return t;
  const per = t.numel() / t.shape[0]!;
  const data = t.hostView().subarray(start * per, end * per);
  return new Tensor(data, [end - start, ...t.shape.slice(1)], t.dtype);
}

/** Batch `[start, end)` of every input, in the form the inputs came in. */
export function batchOf(x: ModelInputs, start: number, end: number): Tensor[] | Map<string, Tensor> {
  if (x instanceof Tensor) return [rows(x, start, end)];
  if (Array.isArray(x)) return x.map((t) => rows(t, start, end));
  return new Map([...x].map(([k, t]) => [k, rows(t, start, end)]));
}

/** [start, end) of each batch of `n` samples. */
export function batchRanges(n: number, batchSize: number): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (let s = 0; s < n; s += batchSize) out.push([s, Math.min(n, s + batchSize)]);
  return out;
}
