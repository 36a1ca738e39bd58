/**
 * applyWeights: a checkpoint's weights into an imported model, by state-dict key. The state dict is
 * found inside full training dicts ({'state_dict': …}, {'model': …}) by the checkpoint reader, wrapper
 * prefixes (`module.`, `_orig_mod.`) are aligned by engine/inspect's alignKeys, and the report
 * (missing, unexpected, shape mismatch: engine/inspect's previewLoad) is made before anything is
 * copied. A checkpoint that does not fit changes nothing. num_batches_tracked comes from the file.
 */
import type { Checkpoint } from '../io/checkpoint.js';
import { EngineError } from '../errors.js';
import { alignKeys, applyMapping } from '../inspect/align.js';
import { previewLoad } from '../inspect/coverage.js';
import type { GraphModule } from './graphModule.js';

export interface WeightsReport {
  missingKeys: string[];
  unexpectedKeys: string[];
  shapeMismatch: { key: string; expected: number[]; got: number[] }[];
  /** The wrapper prefix removed from the checkpoint's keys ('module.'), or null. */
  strippedPrefix: string | null;
  /** Where the state dict sat inside the checkpoint ('state_dict', 'model'), or null for the root. */
  sourcePath: string | null;
  /** Keys copied into the model (0 when refused). */
  applied: number;
}

/** A checkpoint that does not fit the model; `report` says how. Nothing was applied. */
export class WeightsError extends EngineError {
  constructor(
    message: string,
    readonly report: WeightsReport,
  ) {
    super('WeightsError', message);
  }
}

function listed(what: string, keys: string[]): string {
  const shown = keys.slice(0, 8).join(', ');
  return `${keys.length} ${what} (${shown}${keys.length > 8 ? ', …' : ''})`;
}

export function applyWeights(model: GraphModule, ckpt: Checkpoint, opts: { strict?: boolean } = {}): WeightsReport {
  const strict = opts.strict ?? true;
  const modelKeys = [...model.stateDict().keys()];
  const found = ckpt.stateDicts();
  if (found.length === 0) throw new WeightsError('no state dict found in this checkpoint', emptyReport());
  // The state dict inside the file that matches the most of the model's keys (after alignment).
  let best = found[0]!;
  let bestAlign = alignKeys(best.keys, modelKeys);
  for (const f of found.slice(1)) {
    const a = alignKeys(f.keys, modelKeys);
    if (a.matched > bestAlign.matched) [best, bestAlign] = [f, a];
  }
  const sd = applyMapping(ckpt.stateDict(best.path), bestAlign.mapping);
  const preview = previewLoad(model, sd);
  const rows = (s: string) => preview.rows.filter((r) => r.status === s);
  const report: WeightsReport = {
    missingKeys: rows('missing').map((r) => r.key),
    unexpectedKeys: rows('unexpected').map((r) => r.key),
    shapeMismatch: rows('shape-mismatch').map((r) => ({ key: r.key, expected: r.shapeModel!, got: r.shapeFile! })),
    strippedPrefix: bestAlign.mapping.strip || null,
    sourcePath: best.path || null,
    applied: 0,
  };
  const problems: string[] = [];
  if (report.shapeMismatch.length) {
    problems.push(
      `${report.shapeMismatch.length} shape mismatch(es) (${report.shapeMismatch
        .slice(0, 4)
        .map((m) => `${m.key}: model [${m.expected.join(', ')}], checkpoint [${m.got.join(', ')}]`)
        .join('; ')})`,
    );
  }
  if (strict && report.missingKeys.length) problems.push(listed('missing key(s)', report.missingKeys));
  if (strict && report.unexpectedKeys.length) problems.push(listed('unexpected key(s)', report.unexpectedKeys));
  if (problems.length) {
    throw new WeightsError(
      `the checkpoint does not fit the model, nothing was applied: ${problems.join('; ')}`,
      report,
    );
  }
  model.loadStateDict(sd, { strict });
  report.applied = rows('match').length;
  return report;
}

function emptyReport(): WeightsReport {
  return { missingKeys: [], unexpectedKeys: [], shapeMismatch: [], strippedPrefix: null, sourcePath: null, applied: 0 };
}
