/**
 * PyTorch's extra_repr of each layer, from its options: the modules' extraRepr() call these, and
 * specTree() reads a spec through them, so a spec shown before anything is built reads exactly like
 * the built module's repr.
 */
import { pyBool, pyFloat, pyOptionalFloat } from './pyFormat.js';
import { NORM_DEFAULTS, pair, type LayerSpec, type ModuleNode, type StackSpec } from './layerSpec.js';

const tuple = (p: readonly [number, number]): string => `(${p[0]}, ${p[1]})`;

export function linearRepr(inFeatures: number, outFeatures: number, bias: boolean): string {
  return `in_features=${inFeatures}, out_features=${outFeatures}, bias=${pyBool(bias)}`;
}

export function conv2dRepr(
  inChannels: number,
  outChannels: number,
  kernelSize: readonly [number, number],
  stride: readonly [number, number],
  padding: readonly [number, number],
  bias: boolean,
): string {
  let s = `${inChannels}, ${outChannels}, kernel_size=${tuple(kernelSize)}, stride=${tuple(stride)}`;
  if (padding[0] !== 0 || padding[1] !== 0) s += `, padding=${tuple(padding)}`;
  if (!bias) s += ', bias=False';
  return s;
}

export function normRepr(
  numFeatures: number,
  eps: number,
  momentum: number | null,
  affine: boolean,
  trackRunningStats: boolean,
): string {
  return (
    `${numFeatures}, eps=${pyFloat(eps)}, momentum=${pyOptionalFloat(momentum)}, ` +
    `affine=${pyBool(affine)}, track_running_stats=${pyBool(trackRunningStats)}`
  );
}

export function flattenRepr(startDim: number, endDim: number): string {
  return `start_dim=${startDim}, end_dim=${endDim}`;
}

/** The extra_repr the module built from `l` will print (Lazy modules print 0 features until their first forward). */
export function layerExtraRepr(l: LayerSpec): string {
  switch (l.type) {
    case 'Linear':
      return linearRepr(l.inFeatures, l.outFeatures, l.bias !== false);
    case 'Conv2d':
      return conv2dRepr(
        l.inChannels,
        l.outChannels,
        pair(l.kernelSize, 1),
        pair(l.stride, 1),
        pair(l.padding, 0),
        l.bias !== false,
      );
    case 'Flatten':
      return flattenRepr(l.startDim ?? 1, l.endDim ?? -1);
    case 'ReLU':
    case 'Sequential':
      return '';
    default:
      return normRepr(
        'numFeatures' in l ? l.numFeatures : 0,
        l.eps ?? NORM_DEFAULTS.eps,
        l.momentum === undefined ? NORM_DEFAULTS.momentum : l.momentum,
        l.affine ?? NORM_DEFAULTS.affine,
        l.trackRunningStats ?? NORM_DEFAULTS.trackRunningStats,
      );
  }
}

function node(l: LayerSpec, name: string, path: string): ModuleNode {
  const children =
    l.type === 'Sequential' ? l.layers.map((c, i) => node(c, String(i), path ? `${path}.${i}` : String(i))) : [];
  return { path, name, type: l.type, extra: layerExtraRepr(l), children };
}

/** The module tree a spec builds (the root is the Sequential buildStack returns). */
export function specTree(spec: StackSpec): ModuleNode {
  return node({ type: 'Sequential', layers: spec.layers }, '', '');
}
