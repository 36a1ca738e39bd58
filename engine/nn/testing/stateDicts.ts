/**
 * State-dict helpers for parity tests: build a StateDict from a fixture's entries and metadata,
 * and compare an engine StateDict with what PyTorch's state_dict() produced (keys and their order,
 * dtypes, shapes, values, and `_metadata`).
 */
import { StateDict, type Module, type Tensor } from '../../index.js';
import { toTensor, type EncTensor } from './fixtures.js';
import { compareExact, compareValues, toleranceFor } from './compare.js';

/** One entry of a recorded state dict (values omitted where the generator skipped them). */
export interface EncEntry {
  key: string;
  dtype: string;
  shape: number[];
  data?: number[];
}

/** An input state dict for loadStateDict: ordered entries plus metadata (null: no `_metadata`). */
export interface EncStateDict {
  entries: { key: string; value: EncTensor }[];
  metadata: Record<string, { version?: number }> | null;
}

export function stateDictFromFixture(e: EncStateDict): StateDict {
  const sd = new StateDict(e.entries.map(({ key, value }) => [key, toTensor(value)] as [string, Tensor]));
  if (e.metadata) for (const [k, v] of Object.entries(e.metadata)) sd.metadata.set(k, { ...v });
  return sd;
}

export function metadataObject(sd: StateDict): Record<string, unknown> {
  return Object.fromEntries([...sd.metadata].map(([k, v]) => [k, { ...v }]));
}

/** Keys in order, then per key dtype, shape and (where recorded) values. */
export function compareStateDict(problems: string[], what: string, sd: StateDict, want: EncEntry[]): void {
  compareExact(
    problems,
    `${what} keys`,
    [...sd.keys()],
    want.map((e) => e.key),
  );
  for (const e of want) {
    const t = sd.get(e.key);
    if (!t) continue;
    compareExact(problems, `${what} ${e.key} dtype`, t.dtype, e.dtype);
    compareExact(problems, `${what} ${e.key} shape`, [...t.shape], e.shape);
    if (e.data && t.shape.join(',') === e.shape.join(',')) {
      compareValues(problems, `${what} ${e.key} values`, t.toArray(), e.data, toleranceFor(e.dtype));
    }
  }
}

/** Module path → module (namedModules as a Map). */
export function modulesByPath(root: Module): Map<string, Module> {
  return new Map(root.namedModules());
}
