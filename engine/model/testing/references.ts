/**
 * Reading the torch references tools/make_model_fixtures.py wrote (torch.save'd dicts of tensors) and
 * opening a fixture model the way the CLI does (ONNX graph, then the checkpoint's weights).
 */
import * as path from 'node:path';
import { loadCheckpoint } from '../../io/checkpoint.js';
import { Tensor } from '../../tensor/tensor.js';
import type { LocalMetadata } from '../../nn/stateDict.js';
import { checkpointMetadata } from '../summary.js';
import { maxScaledError } from '../../nn/testing/compare.js';
import { applyWeights, loadOnnxFile, type WeightsReport } from '../index.js';
import type { GraphModule } from '../graphModule.js';

/** Every tensor of a torch.save'd file by its dotted key ('output', 'state.layer1.0.bn1.running_mean'). */
export function readReference(file: string): Map<string, Tensor> {
  const ck = loadCheckpoint(file);
  try {
    return new Map(ck.tensors().map(({ key, ref }) => [key, ref.materialize({ cache: false })]));
  } finally {
    ck.close();
  }
}

/** The tensors under `prefix.` with the prefix removed. */
export function under(refs: Map<string, Tensor>, prefix: string): Map<string, Tensor> {
  const out = new Map<string, Tensor>();
  for (const [k, t] of refs) if (k.startsWith(`${prefix}.`)) out.set(k.slice(prefix.length + 1), t);
  return out;
}

const inputCache = new Map<string, Map<string, Tensor>>();

/** An input of a fixture model (x_eval, x_train0, x_train1, x_recal, x_sgd, y_sgd) from its inputs.pt. */
export function input(dir: string, model: string, name: string): Tensor {
  const file = path.join(dir, model, 'inputs.pt');
  let m = inputCache.get(file);
  if (!m) inputCache.set(file, (m = readReference(file)));
  const t = m.get(name);
  if (!t) throw new Error(`${file} has no '${name}'`);
  return t;
}

export interface FixtureModel {
  model: GraphModule;
  report: WeightsReport;
  checkpointMetadata: Map<string, LocalMetadata> | null;
}

export function openFixtureModel(dir: string, model: string): FixtureModel {
  const m = loadOnnxFile(path.join(dir, model, 'model.onnx'));
  const ck = loadCheckpoint(path.join(dir, model, 'checkpoint.pt'));
  try {
    const report = applyWeights(m, ck);
    return { model: m, report, checkpointMetadata: checkpointMetadata(ck, report) };
  } finally {
    ck.close();
  }
}

function values(t: Tensor): number[] {
  return t.toArray();
}

/** max |a−b|/max(1,|b|); Infinity when shapes differ (so a test fails with the number in view). */
export function scaledError(a: Tensor, b: Tensor): number {
  if (a.shape.join() !== b.shape.join()) return Infinity;
  return maxScaledError(values(a), values(b));
}

/**
 * The worst scaled error over every key of `ref` against `actual`, with the key it happened at;
 * a key missing from `actual` counts as Infinity.
 */
export function worstOver(
  actual: ReadonlyMap<string, Tensor>,
  ref: ReadonlyMap<string, Tensor>,
): { err: number; key: string } {
  let err = 0;
  let key = '';
  for (const [k, b] of ref) {
    const a = actual.get(k);
    const e = a ? scaledError(a, b) : Infinity;
    if (key === '' || e > err) {
      err = e;
      key = k;
    }
  }
  return { err, key };
}
