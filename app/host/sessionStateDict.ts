/**
 * The state-dict view of the built stack: each key with its shape, dtype and whether it is a
 * parameter or a buffer, and each module's metadata version (what torch.save would write).
 */
import type { Module } from '../../engine/index.js';
import type { StateDictView } from '../shared/contract.js';

export function stateDictView(model: Module): StateDictView {
  const sd = model.stateDict();
  // The state dict holds detached tensors: which keys are parameters, the module says.
  const params = new Set([...model.namedParameters()].map(([k]) => k));
  const entries = [...sd].map(([key, t]) => ({
    key,
    shape: [...t.shape],
    dtype: t.dtype,
    kind: params.has(key) ? ('parameter' as const) : ('buffer' as const),
  }));
  const metadata = [...sd.metadata].map(([prefix, md]) => ({
    prefix,
    version: typeof md.version === 'number' ? md.version : null,
  }));
  return { entries, metadata };
}
