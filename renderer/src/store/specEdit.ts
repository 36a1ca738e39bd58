/**
 * Pure edits of a stack spec addressed by module path ('2' = third top-level layer, '2.1' = second
 * layer inside it). The Stack builder's actions use these; they never mutate their input.
 */
import type { LayerSpec, LayerType, StackSpec } from '../../../app/shared/stackSpec';

/** The options a new layer starts with, guessed from the layer before it where that helps. */
export function defaultLayer(type: LayerType, channelsBefore: number | null): LayerSpec {
  const c = channelsBefore ?? 16;
  switch (type) {
    case 'Linear':
      return { type, inFeatures: c, outFeatures: c };
    case 'Conv2d':
      return { type, inChannels: c, outChannels: c, kernelSize: 3, stride: 1, padding: 1 };
    case 'Sequential':
      return { type, layers: [] };
    case 'ReLU':
    case 'Flatten':
      return { type };
    default:
      if (type.startsWith('Lazy')) return { type, eps: 1e-5, momentum: 0.1 } as LayerSpec;
      return { type, numFeatures: c, eps: 1e-5, momentum: 0.1, affine: true, trackRunningStats: true } as LayerSpec;
  }
}

function parse(path: string): number[] {
  return path === '' ? [] : path.split('.').map(Number);
}

/** The list holding the layer at `path`, and the layer's index in it. */
function locate(layers: LayerSpec[], path: number[]): [LayerSpec[], number] {
  let list = layers;
  for (let i = 0; i < path.length - 1; i++) {
    const l = list[path[i]!];
    if (!l || l.type !== 'Sequential') throw new Error(`no Sequential at ${path.slice(0, i + 1).join('.')}`);
    list = l.layers ??= [];
  }
  return [list, path[path.length - 1]!];
}

function clone(spec: StackSpec): StackSpec {
  return JSON.parse(JSON.stringify(spec)) as StackSpec;
}

export function getLayer(spec: StackSpec, path: string): LayerSpec | null {
  try {
    const [list, i] = locate(clone(spec).layers, parse(path));
    return list[i] ?? null;
  } catch {
    return null;
  }
}

/** Appends a layer to the top level, or inside the Sequential at `parent`. */
export function addLayer(spec: StackSpec, layer: LayerSpec, parent = ''): StackSpec {
  const next = clone(spec);
  if (parent === '') next.layers.push(layer);
  else {
    const [list, i] = locate(next.layers, parse(parent));
    const seq = list[i];
    if (!seq || seq.type !== 'Sequential') throw new Error(`no Sequential at ${parent}`);
    (seq.layers ??= []).push(layer);
  }
  return next;
}

export function removeLayer(spec: StackSpec, path: string): StackSpec {
  const next = clone(spec);
  const [list, i] = locate(next.layers, parse(path));
  list.splice(i, 1);
  return next;
}

export function moveLayer(spec: StackSpec, path: string, delta: -1 | 1): StackSpec {
  const next = clone(spec);
  const [list, i] = locate(next.layers, parse(path));
  const j = i + delta;
  if (j < 0 || j >= list.length) return spec;
  [list[i], list[j]] = [list[j]!, list[i]!];
  return next;
}

/** A layer's options merged with `patch` (the host validates the result: the type may not take an option). */
export function updateLayer(spec: StackSpec, path: string, patch: Record<string, unknown>): StackSpec {
  const next = clone(spec);
  const [list, i] = locate(next.layers, parse(path));
  list[i] = { ...list[i]!, ...patch } as LayerSpec;
  return next;
}

/** Flattened rows for display: each layer with its path and nesting depth. */
export function flattenSpec(spec: StackSpec): Array<{ path: string; depth: number; layer: LayerSpec }> {
  const out: Array<{ path: string; depth: number; layer: LayerSpec }> = [];
  const walk = (layers: LayerSpec[], prefix: string, depth: number) =>
    layers.forEach((l, i) => {
      const path = prefix ? `${prefix}.${i}` : String(i);
      out.push({ path, depth, layer: l });
      if (l.type === 'Sequential') walk(l.layers ?? [], path, depth + 1);
    });
  walk(spec.layers, '', 0);
  return out;
}

const mlp = (width: number, blocks: number, inF: number, out: number): LayerSpec[] => {
  const layers: LayerSpec[] = [];
  let f = inF;
  for (let b = 0; b < blocks; b++) {
    layers.push({ type: 'Linear', inFeatures: f, outFeatures: width });
    layers.push({
      type: 'BatchNorm1d',
      numFeatures: width,
      eps: 1e-5,
      momentum: 0.1,
      affine: true,
      trackRunningStats: true,
    });
    layers.push({ type: 'ReLU' });
    f = width;
  }
  layers.push({ type: 'Linear', inFeatures: f, outFeatures: out });
  return layers;
};

export const PRESETS: Record<string, { spec: StackSpec; inputShape: number[] }> = {
  'MLP (BatchNorm1d)': { spec: { layers: mlp(32, 1, 16, 10) }, inputShape: [64, 16] },
  'CNN (BatchNorm2d)': {
    spec: {
      layers: [
        { type: 'Conv2d', inChannels: 3, outChannels: 8, kernelSize: 3, stride: 1, padding: 1 },
        { type: 'BatchNorm2d', numFeatures: 8, eps: 1e-5, momentum: 0.1, affine: true, trackRunningStats: true },
        { type: 'ReLU' },
        { type: 'Flatten' },
        { type: 'Linear', inFeatures: 8 * 8 * 8, outFeatures: 10 },
      ],
    },
    inputShape: [16, 3, 8, 8],
  },
  '10-layer benchmark (batch 256)': { spec: { layers: mlp(64, 3, 64, 10) }, inputShape: [256, 64] },
};
