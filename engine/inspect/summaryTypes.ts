/**
 * The summary of a tensor's values, as the engine computes it (summary.ts) and the window shows it.
 * Dependency-free so app/shared can re-export it: one summary type from the engine to the window.
 */
export interface TensorSummary {
  numel: number;
  /** null where no finite value exists. */
  min: number | null;
  max: number | null;
  mean: number | null;
  /** Unbiased (n − 1), like torch.std; null below two finite values. */
  std: number | null;
  /** True when every value is finite. */
  finite: boolean;
  nanCount: number;
  infCount: number;
}

/** A summary with the tensor's shape and dtype (what crosses the contract for a layer's output). */
export interface ShapedSummary extends TensorSummary {
  shape: number[];
  dtype: string;
}
