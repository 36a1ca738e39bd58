/**
 * StateDict: PyTorch's OrderedDict of tensors plus its `_metadata` attribute.
 *
 * Keys keep insertion order (a Map). `metadata` maps each module prefix (without the trailing dot,
 * '' for the root) to that module's local metadata, e.g. `{ version: 2 }` for BatchNorm. Metadata
 * is never merged into the keys and travels with every rewrite (prefix strip, migration, conversion).
 */
import type { Tensor } from '../tensor/tensor.js';

export interface LocalMetadata {
  version?: number;
  [key: string]: unknown;
}

export class StateDict extends Map<string, Tensor> {
  metadata: Map<string, LocalMetadata>;

  constructor(entries?: Iterable<readonly [string, Tensor]>, metadata?: Map<string, LocalMetadata> | null) {
    super(entries ?? []);
    this.metadata = metadata ? new Map(metadata) : new Map();
  }

  /** A shallow copy: same tensors, copied key order and metadata. */
  copy(): StateDict {
    const md = new Map<string, LocalMetadata>();
    for (const [k, v] of this.metadata) md.set(k, { ...v });
    return new StateDict(this, md);
  }
}
