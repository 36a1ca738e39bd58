/**
 * Module trees from a stack spec, as PyTorch's repr would print them, and the SyncBatchNorm
 * conversion preview (torch.nn.SyncBatchNorm.convert_sync_batchnorm: every _BatchNorm becomes a
 * SyncBatchNorm with the same options, recursively).
 */
import type { ModuleNode, SyncConversionPreview } from '../shared/contract.js';
import type { LayerSpec, StackSpec } from '../shared/stackSpec.js';

/** Python's repr of a float: `1e-05`, `0.1`, `1.0`. */
export function pyFloat(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  const a = Math.abs(x);
  if (a !== 0 && (a < 1e-4 || a >= 1e16)) {
    const [m, e] = x.toExponential().split('e') as [string, string];
    const sign = e.startsWith('-') ? '-' : '+';
    const digits = e.replace(/^[-+]/, '').padStart(2, '0');
    return `${m}e${sign}${digits}`;
  }
  const s = String(x);
  return Number.isInteger(x) ? `${s}.0` : s;
}

const pyBool = (b: boolean): string => (b ? 'True' : 'False');

export function extraRepr(l: LayerSpec): string {
  switch (l.type) {
    case 'Linear':
      return `in_features=${l.inFeatures}, out_features=${l.outFeatures}, bias=${pyBool(l.bias ?? true)}`;
    case 'Conv2d': {
      const k = l.kernelSize;
      const s = l.stride ?? 1;
      const p = l.padding ?? 0;
      let r = `${l.inChannels}, ${l.outChannels}, kernel_size=(${k}, ${k}), stride=(${s}, ${s})`;
      if (p !== 0) r += `, padding=(${p}, ${p})`;
      if (l.bias === false) r += ', bias=False';
      return r;
    }
    case 'Flatten':
      return 'start_dim=1, end_dim=-1';
    case 'ReLU':
    case 'Sequential':
      return '';
    default: {
      const n = l.type.startsWith('Lazy') ? 0 : l.numFeatures;
      const m = l.momentum === null ? 'None' : pyFloat(l.momentum ?? 0.1);
      return `${n}, eps=${pyFloat(l.eps ?? 1e-5)}, momentum=${m}, affine=${pyBool(l.affine ?? true)}, track_running_stats=${pyBool(l.trackRunningStats ?? true)}`;
    }
  }
}

function node(l: LayerSpec, name: string, path: string): ModuleNode {
  const children =
    l.type === 'Sequential'
      ? (l.layers ?? []).map((c, i) => node(c, String(i), path ? `${path}.${i}` : String(i)))
      : [];
  return { path, name, type: l.type, extra: extraRepr(l), children };
}

export function specTree(spec: StackSpec): ModuleNode {
  return node({ type: 'Sequential', layers: spec.layers }, '', '');
}

/** PyTorch's repr of a module tree. */
export function treeRepr(n: ModuleNode, indent = ''): string {
  if (n.children.length === 0) return `${n.type}(${n.extra})`;
  const inner = n.children.map((c) => `${indent}  (${c.name}): ${treeRepr(c, indent + '  ')}`).join('\n');
  return `${n.type}(\n${inner}\n${indent})`;
}

const CONVERTIBLE = new Set(['BatchNorm1d', 'BatchNorm2d', 'BatchNorm3d']);

function convert(layers: LayerSpec[], prefix: string, converted: string[]): LayerSpec[] {
  return layers.map((l, i) => {
    const path = prefix ? `${prefix}.${i}` : String(i);
    if (l.type === 'Sequential') return { ...l, layers: convert(l.layers ?? [], path, converted) };
    if (CONVERTIBLE.has(l.type)) {
      converted.push(path);
      return { ...l, type: 'SyncBatchNorm' as const };
    }
    return l;
  });
}

export function previewSync(spec: StackSpec): SyncConversionPreview {
  const converted: string[] = [];
  const after: StackSpec = { layers: convert(spec.layers, '', converted) };
  return { before: specTree(spec), after: specTree(after), spec: after, converted };
}
