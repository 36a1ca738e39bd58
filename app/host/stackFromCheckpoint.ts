/**
 * "Build a stack from a checkpoint's BatchNorm layers": the file's first state dict's BatchNorm
 * layers, in order, as BatchNorm1d layers of the same width and options, with their weights and
 * running statistics loaded — so a person can step the real statistics in train/eval. A state dict
 * does not say what sat between those layers, nor their dimensionality: where widths change a
 * Linear adapter is inserted, and the notes say so plainly.
 */
import { StateDict, type Tensor } from '../../engine/index.js';
import type { Checkpoint } from '../../engine/index.js';
import type { InspectReport } from '../../engine/index.js';
import type { LayerSpec, StackSpec } from '../shared/stackSpec.js';

const SUFFIXES = ['weight', 'bias', 'running_mean', 'running_var', 'num_batches_tracked'];

export function stackFromCheckpoint(
  ck: Checkpoint,
  report: InspectReport,
): {
  spec: StackSpec;
  inputShape: number[];
  stateDict: StateDict;
  notes: string[];
  /** Which state dict of the file the stack came from, and its keys → the stack's (for loading it again). */
  source: { stateDictPath: string; keys: Map<string, string> };
} {
  const found = ck.found();
  const norms = report.batchNorm.filter((b) => b.stateDict === found.path);
  if (norms.length === 0) throw new RangeError('this checkpoint has no BatchNorm layers to build a stack from');
  const sd = ck.stateDict(found.path);
  const layers: LayerSpec[] = [];
  const mapped = new StateDict();
  const keys = new Map<string, string>();
  const notes = [
    `${norms.length} BatchNorm layer(s) from '${found.path || '<root>'}', built as BatchNorm1d (a state dict does not record 1d/2d/3d)`,
    `eps and momentum are not stored in a state dict: PyTorch's defaults (eps=1e-05, momentum=0.1) are used`,
  ];
  let width: number | null = null;
  for (const b of norms) {
    if (width !== null && width !== b.numFeatures) {
      layers.push({ type: 'Linear', inFeatures: width, outFeatures: b.numFeatures });
      notes.push(`layer ${layers.length - 1} is a Linear(${width}, ${b.numFeatures}) adapter that is not in the file`);
    }
    const idx = String(layers.length);
    const key = (s: string) => (b.prefix ? `${b.prefix}.${s}` : s);
    const tracking = sd.has(key('running_mean'));
    layers.push({
      type: 'BatchNorm1d',
      numFeatures: b.numFeatures,
      eps: 1e-5,
      momentum: 0.1,
      affine: b.affine,
      trackRunningStats: tracking,
    });
    for (const s of SUFFIXES) {
      const t: Tensor | undefined = sd.get(key(s));
      if (!t) continue;
      mapped.set(`${idx}.${s}`, t);
      keys.set(key(s), `${idx}.${s}`);
    }
    mapped.metadata.set(idx, { version: b.version ?? 1 });
    notes.push(
      `layer ${idx} ← ${b.prefix} (${b.numFeatures} channels${b.affine ? '' : ', affine=False'}${tracking ? '' : ', no running stats'})`,
    );
    width = b.numFeatures;
  }
  return {
    spec: { layers },
    inputShape: [64, norms[0]!.numFeatures],
    stateDict: mapped,
    notes,
    source: { stateDictPath: found.path, keys },
  };
}
