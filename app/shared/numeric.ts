/**
 * The one definition of every numeric option's domain (integer or not, bounds, whether `None` is
 * allowed), with the one check and the one text parser. The host's payload validation
 * (app/host/validate.ts) checks payloads against these domains and the window's numeric fields parse
 * what a person types against the same ones, so a value the field accepts is a value the host accepts.
 */

// The domain type, the stack spec's option domains and the one check live with the stack spec's
// table (engine/nn/layerSpec.ts, dependency-free), which the engine's validator reads too.
import { domainProblem, type NumericDomain } from '../../engine/nn/layerSpec.js';
export { domainProblem, LAYER_DOMAINS, type NumericDomain } from '../../engine/nn/layerSpec.js';
export { DEFAULT_LR } from '../../engine/optim/defaults.js';

/** One dimension of a batch shape. */
export const DIM_DOMAIN: NumericDomain = { int: true, min: 0, max: 1 << 20 };
export const SEED_DOMAIN: NumericDomain = { int: true, min: 0, max: 2 ** 53 };

/** Stepping: the input generator, the learning rate, steps per run. */
export const STEP_DOMAINS = {
  mean: {},
  std: { min: 0 },
  channelShift: {},
  seed: SEED_DOMAIN,
  lr: { min: 0, max: 100 },
  steps: { int: true, min: 1, max: 1_000_000 },
} as const satisfies Record<string, NumericDomain>;

/**
 * Models: a generated batch's size and the recalibration batch size (a batch is held in memory with
 * every activation of one forward, so these bound the work one request can ask for).
 */
export const MODEL_DOMAINS = {
  batch: { int: true, min: 1, max: 4096 },
  batchSize: { int: true, min: 1, max: 4096 },
  seed: SEED_DOMAIN,
  /** Training: SGD steps per run. A budget, so one request's time stays bounded (train again for more). */
  steps: { int: true, min: 1, max: 100_000, budget: 'the training budget: at most 100000 steps per run' },
  lr: STEP_DOMAINS.lr,
  /** torch.optim.SGD refuses negative values; above 1 the momentum buffer grows without bound. */
  momentum: { min: 0, max: 1 },
  weightDecay: { min: 0, max: 1 },
  /** Samples per training step; None: the whole input batch. */
  trainBatchSize: { int: true, min: 1, max: 4096, nullable: true },
} as const satisfies Record<string, NumericDomain>;

/** Ranks: world size, shard sizes, ranks named in subgroups. */
export const RANK_DOMAINS = {
  worldSize: { int: true, min: 1, max: 16 },
  shard: { int: true, min: 0, max: 1 << 16 },
  rank: { int: true, min: 0, max: 15 },
} as const satisfies Record<string, NumericDomain>;

export type Parsed = { ok: true; value: number | null } | { ok: false; error: string };

// Python's float/int literal forms a person types: signs, decimals (`.5`, `5.`), exponents (`1e-3`).
const NUMBER = /^[+-]?(?:\d+(?:_\d+)*\.?(?:\d+(?:_\d+)*)?|\.\d+(?:_\d+)*)(?:[eE][+-]?\d+)?$/;

/** The text of a numeric field parsed against its domain: a value, or the error to show at the field. */
export function parseNumeric(text: string, d: NumericDomain, label = 'value'): Parsed {
  const t = text.trim();
  if (t === '') return { ok: false, error: d.nullable ? `${label}: type a number or None` : `${label}: type a number` };
  if (t === 'None') {
    return d.nullable ? { ok: true, value: null } : { ok: false, error: `${label} cannot be None` };
  }
  if (!NUMBER.test(t)) return { ok: false, error: `${label}: ${JSON.stringify(t.slice(0, 40))} is not a number` };
  const value = Number(t.replace(/_/g, ''));
  const problem = domainProblem(value, d, label);
  return problem ? { ok: false, error: problem } : { ok: true, value };
}

/** A comma-separated list of numbers ("64, 3, 8, 8"); `empty` says whether no items is allowed. */
export function parseNumericList(
  text: string,
  d: NumericDomain,
  label: string,
  opts: { empty?: boolean; maxItems?: number } = {},
): { ok: true; value: number[] } | { ok: false; error: string } {
  if (text.trim() === '') return opts.empty ? { ok: true, value: [] } : { ok: false, error: `${label}: type numbers` };
  const parts = text.split(',');
  const max = opts.maxItems ?? 64;
  if (parts.length > max) return { ok: false, error: `${label} has more than ${max} items` };
  const value: number[] = [];
  for (let i = 0; i < parts.length; i++) {
    const p = parseNumeric(parts[i]!, { ...d, nullable: false }, `${label}[${i}]`);
    if (!p.ok) return p;
    value.push(p.value!);
  }
  return { ok: true, value };
}

/** How a value shows in a field: `None` for null, otherwise JavaScript's shortest round-trip text. */
export const numericText = (v: number | null | undefined): string =>
  v === null ? 'None' : v === undefined ? '' : String(v);
