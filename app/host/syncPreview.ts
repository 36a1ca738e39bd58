/**
 * The SyncBatchNorm conversion preview (torch.nn.SyncBatchNorm.convert_sync_batchnorm: every eager
 * BatchNorm becomes a SyncBatchNorm with the same options, recursively), read through the engine's
 * spec trees so both sides print as the built modules would.
 */
import { specTree, type LayerSpec, type StackSpec } from '../../engine/index.js';
import type { SyncConversionPreview } from '../shared/contract.js';

const CONVERTIBLE = new Set(['BatchNorm1d', 'BatchNorm2d', 'BatchNorm3d']);

function convert(layers: LayerSpec[], prefix: string, converted: string[]): LayerSpec[] {
  return layers.map((l, i) => {
    const path = prefix ? `${prefix}.${i}` : String(i);
    if (l.type === 'Sequential') return { ...l, layers: convert(l.layers, path, converted) };
    if (CONVERTIBLE.has(l.type) && 'numFeatures' in l) {
      converted.push(path);
      return { ...l, type: 'SyncBatchNorm' as const };
    }
    return l;
  });
}

export function previewSync(spec: StackSpec): SyncConversionPreview {
  const converted: string[] = [];
  const after: StackSpec = { ...spec, layers: convert(spec.layers, '', converted) };
  return { before: specTree(spec), after: specTree(after), spec: after, converted };
}
