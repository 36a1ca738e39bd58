/**
 * The stack spec: the JSON that the window, the host, the CLI, rank processes and saved sessions
 * share to describe a layer stack. `{"layers": [{"type": "Linear", "inFeatures": 16, "outFeatures": 32}, …]}`
 * — `type` is the engine class name, the other fields its constructor options in camelCase,
 * `Sequential` nests `layers`.
 *
 * This module is the one definition of that vocabulary: the types, the table of layer types and their
 * options, and the validator derived from the table. It imports nothing, so app/shared re-exports it
 * for the window (which never imports engine code otherwise). engine/nn/stackSpec.ts builds modules
 * from a spec; engine/nn/shapePass.ts checks shapes through one.
 */

export type Pair = number | [number, number];

/** A Pair option as (h, w), `dflt` for both when absent. */
export function pair(v: Pair | undefined, dflt: number): [number, number] {
  if (v === undefined) return [dflt, dflt];
  return typeof v === 'number' ? [v, v] : v;
}

export interface NormSpec {
  eps?: number;
  momentum?: number | null;
  affine?: boolean;
  trackRunningStats?: boolean;
}

/** PyTorch's defaults of the BatchNorm options (the modules and the spec trees read these). */
export const NORM_DEFAULTS = { eps: 1e-5, momentum: 0.1, affine: true, trackRunningStats: true } as const;

export type EagerNormType = 'BatchNorm1d' | 'BatchNorm2d' | 'BatchNorm3d' | 'SyncBatchNorm';
export type LazyNormType = 'LazyBatchNorm1d' | 'LazyBatchNorm2d' | 'LazyBatchNorm3d';

export type LayerSpec =
  | { type: 'Linear'; inFeatures: number; outFeatures: number; bias?: boolean }
  | {
      type: 'Conv2d';
      inChannels: number;
      outChannels: number;
      kernelSize: Pair;
      stride?: Pair;
      padding?: Pair;
      bias?: boolean;
    }
  | { type: 'ReLU' }
  | { type: 'Flatten'; startDim?: number; endDim?: number }
  | ({ type: EagerNormType; numFeatures: number } & NormSpec)
  | ({ type: LazyNormType } & NormSpec)
  | { type: 'Sequential'; layers: LayerSpec[] };

export type LayerType = LayerSpec['type'];
export type NormLayerSpec = Extract<LayerSpec, { type: EagerNormType | LazyNormType }>;

export interface StackSpec {
  layers: LayerSpec[];
  /** The dtype every layer's parameters and buffers take (float32 when absent). */
  dtype?: 'float32' | 'float64';
}

/** Any option name of any layer type (an editor addresses fields by name). */
export type LayerField = { [T in LayerType]: keyof Extract<LayerSpec, { type: T }> }[LayerType];
/** A partial update of a layer's options, as an editor produces it. */
export type LayerPatch = { [K in Exclude<LayerField, 'type'>]?: unknown };

/** One layer of a shape pass: what goes in, what comes out, the first error PyTorch would raise there. */
export interface LayerCheck {
  /** Dotted module path of the layer ('0', '2.1', …). */
  path: string;
  type: string;
  inShape: number[] | null;
  outShape: number[] | null;
  /** The first problem found at this layer (the engine's error text, which is PyTorch's), else null. */
  error: string | null;
  warnings: string[];
}

export interface StackValidation {
  ok: boolean;
  layers: LayerCheck[];
  outputShape: number[] | null;
  /** A problem with the spec as a whole (unknown type, missing option), else null. */
  specError: string | null;
}

/** A module tree as a person reads it: names, class names and PyTorch's extra_repr. */
export interface ModuleNode {
  /** Dotted path from the root ('' for the root). */
  path: string;
  name: string;
  type: string;
  /** PyTorch's extra_repr, e.g. `32, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True`. */
  extra: string;
  children: ModuleNode[];
}

// ---- the table -------------------------------------------------------------------------------

/** The domain of one numeric option: integer or not, bounds, whether `None` (null) is a value. */
export interface NumericDomain {
  /** Whole numbers only. */
  int?: boolean;
  min?: number;
  max?: number;
  /** `None` (null) is a value of this option (momentum). */
  nullable?: boolean;
  /** Where `max` is a budget rather than a meaning (steps per run): the budget's name, said past it. */
  budget?: string;
}

/** Why `v` is outside `d` (`at` names the field), or null. Payload errors and the window's fields use this text. */
export function domainProblem(v: unknown, d: NumericDomain, at: string): string | null {
  if (v === null && d.nullable) return null;
  if (typeof v !== 'number' || !Number.isFinite(v)) return `${at} must be a finite number`;
  if (d.int && !Number.isInteger(v)) return `${at} must be an integer`;
  if (d.min !== undefined && v < d.min) return `${at} must be ≥ ${d.min}`;
  if (d.max !== undefined && v > d.max) return `${at} must be ≤ ${d.max}${d.budget ? ` (${d.budget})` : ''}`;
  return null;
}

/** The numeric options of the layers. Bounds keep a spec from asking for unbounded memory. */
export const LAYER_DOMAINS = {
  inFeatures: { int: true, min: 1, max: 65536 },
  outFeatures: { int: true, min: 1, max: 65536 },
  inChannels: { int: true, min: 1, max: 4096 },
  outChannels: { int: true, min: 1, max: 4096 },
  kernelSize: { int: true, min: 1, max: 64 },
  stride: { int: true, min: 1, max: 64 },
  padding: { int: true, min: 0, max: 64 },
  numFeatures: { int: true, min: 1, max: 65536 },
  eps: { min: 0 },
  momentum: { nullable: true },
  startDim: { int: true, min: -64, max: 64 },
  endDim: { int: true, min: -64, max: 64 },
} as const satisfies Record<string, NumericDomain>;

/** How one option is checked: a number in its domain, a number or an (h, w) pair of them, a flag, nested layers. */
export type OptionRule =
  | { kind: 'number'; domain: NumericDomain; required: boolean }
  | { kind: 'pair'; domain: NumericDomain; required: boolean }
  | { kind: 'bool'; required: boolean }
  | { kind: 'layers'; required: boolean };

/** Limits of a spec: layers per list and how deeply Sequentials nest. */
export const SPEC_LIMITS = { layersPerList: 256, depth: 8 } as const;

const D = LAYER_DOMAINS;
const num = (domain: NumericDomain, required = true): OptionRule => ({ kind: 'number', domain, required });
const pairOf = (domain: NumericDomain, required = true): OptionRule => ({ kind: 'pair', domain, required });
const bool: OptionRule = { kind: 'bool', required: false };
const NORM = {
  eps: num(D.eps, false),
  momentum: num(D.momentum, false),
  affine: bool,
  trackRunningStats: bool,
} as const satisfies Record<keyof NormSpec, OptionRule>;

/** Every layer type with every option it takes (the compiler checks this against LayerSpec). */
export const LAYER_OPTIONS: {
  readonly [T in LayerType]: { readonly [K in Exclude<keyof Extract<LayerSpec, { type: T }>, 'type'>]-?: OptionRule };
} = {
  Linear: { inFeatures: num(D.inFeatures), outFeatures: num(D.outFeatures), bias: bool },
  Conv2d: {
    inChannels: num(D.inChannels),
    outChannels: num(D.outChannels),
    kernelSize: pairOf(D.kernelSize),
    stride: pairOf(D.stride, false),
    padding: pairOf(D.padding, false),
    bias: bool,
  },
  ReLU: {},
  Flatten: { startDim: num(D.startDim, false), endDim: num(D.endDim, false) },
  BatchNorm1d: { numFeatures: num(D.numFeatures), ...NORM },
  BatchNorm2d: { numFeatures: num(D.numFeatures), ...NORM },
  BatchNorm3d: { numFeatures: num(D.numFeatures), ...NORM },
  LazyBatchNorm1d: { ...NORM },
  LazyBatchNorm2d: { ...NORM },
  LazyBatchNorm3d: { ...NORM },
  SyncBatchNorm: { numFeatures: num(D.numFeatures), ...NORM },
  Sequential: { layers: { kind: 'layers', required: true } },
};

export const LAYER_TYPES = Object.keys(LAYER_OPTIONS) as LayerType[];

export function isNormType(type: string): type is NormLayerSpec['type'] {
  return type.includes('BatchNorm') && Object.hasOwn(LAYER_OPTIONS, type);
}

// ---- the validator ---------------------------------------------------------------------------

const isObj = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && !ArrayBuffer.isView(v);
const join = (at: string, k: string): string => (at ? `${at}.${k}` : k);
const show = (v: unknown): string => (JSON.stringify(v) ?? String(v)).slice(0, 40);

function optionProblem(rule: OptionRule, v: unknown, at: string, depth: number): string | null {
  if (v === undefined) return rule.required ? `${at} is required` : null;
  switch (rule.kind) {
    case 'number':
      return domainProblem(v, rule.domain, at);
    case 'pair':
      if (!Array.isArray(v)) return domainProblem(v, rule.domain, at);
      if (v.length !== 2) return `${at} must be a number or a pair of numbers`;
      return domainProblem(v[0], rule.domain, `${at}[0]`) ?? domainProblem(v[1], rule.domain, `${at}[1]`);
    case 'bool':
      return typeof v === 'boolean' ? null : `${at} must be true or false`;
    case 'layers':
      return layersProblem(v, at, depth + 1);
  }
}

function layerProblem(v: unknown, at: string, depth: number): string | null {
  if (!isObj(v)) return `${at} must be an object with a "type"`;
  const type = v.type;
  if (typeof type !== 'string' || !Object.hasOwn(LAYER_OPTIONS, type)) {
    return `${at}.type ${show(type)} is not one of ${LAYER_TYPES.join(', ')}`;
  }
  const rules = LAYER_OPTIONS[type as LayerType] as Record<string, OptionRule>;
  // Own keys only: `k in rules` would accept "constructor" or "__proto__" from Object.prototype.
  for (const k of Object.keys(v)) {
    if (k !== 'type' && !Object.hasOwn(rules, k)) return `${at}.${k} is not an option of ${type}`;
  }
  for (const [k, rule] of Object.entries(rules)) {
    const p = optionProblem(rule, v[k], `${at}.${k}`, depth);
    if (p) return p;
  }
  return null;
}

function layersProblem(v: unknown, at: string, depth: number): string | null {
  if (!Array.isArray(v)) return `${at} must be a list`;
  if (depth > SPEC_LIMITS.depth) return `${at}: Sequentials nest more than ${SPEC_LIMITS.depth} deep`;
  if (v.length > SPEC_LIMITS.layersPerList) return `${at} has more than ${SPEC_LIMITS.layersPerList} layers`;
  for (let i = 0; i < v.length; i++) {
    const p = layerProblem(v[i], `${at}[${i}]`, depth);
    if (p) return p;
  }
  return null;
}

/**
 * The first problem of a would-be stack spec (with the path of the field, under `at`), or null when
 * it is a valid StackSpec. The host runs this on every payload, buildStack before building.
 */
export function stackSpecProblem(v: unknown, at = ''): string | null {
  if (!isObj(v) || !Array.isArray(v.layers)) return `${at || 'stack spec'} must be an object with a "layers" array`;
  for (const k of Object.keys(v)) {
    if (k !== 'layers' && k !== 'dtype') return `${join(at, k)} is not a field of a stack spec`;
  }
  if (v.dtype !== undefined && v.dtype !== 'float32' && v.dtype !== 'float64') {
    return `${join(at, 'dtype')} must be float32 or float64`;
  }
  return layersProblem(v.layers, join(at, 'layers'), 0);
}

export function isStackSpec(v: unknown): v is StackSpec {
  return stackSpecProblem(v) === null;
}
