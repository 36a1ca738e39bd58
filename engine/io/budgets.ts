/**
 * Resource budgets for reading and writing checkpoints. A hostile file of a few hundred bytes can
 * describe gigabytes (a stride-0 view, a pickle DAG whose levels reference the previous one twice,
 * `bytearray` copies of one string): every place where the work or memory is not bounded by the
 * file's own bytes charges a Meter, and going past a budget throws a BudgetError that names the
 * budget and the CLI option that raises it (exit 2). The defaults are far above what real
 * checkpoints need (a ResNet-50 file creates ~10k pickle objects and copies nothing).
 */
import { CheckpointError } from './errors.js';

export interface Budgets {
  /** Bytes made beyond zero-copy views of the file: pickle strings/bytes and their copies, gathered views. */
  maxBytes: number;
  /** Objects created by the unpickler. */
  maxObjects: number;
  /** Container items: list/tuple/dict/set elements (constructor copies included) and tree-walk visits. */
  maxItems: number;
  /** Nesting depth of containers walked (state dict search, `_metadata`, the pickler). */
  maxDepth: number;
  /** A written file may be at most this many times the input's size (plus EXPANSION_SLACK bytes). */
  maxExpansion: number;
  /** Bytes a single atomic write may put into its temp file. */
  maxTempBytes: number;
}

export const GiB = 1024 ** 3;

export const DEFAULT_BUDGETS: Readonly<Budgets> = Object.freeze({
  maxBytes: 512 * 1024 ** 2,
  maxObjects: 20_000_000,
  maxItems: 5_000_000,
  maxDepth: 200,
  maxExpansion: 8,
  maxTempBytes: 256 * GiB,
});

/** Output bytes always allowed on top of maxExpansion × input (zip headers, injected counters). */
export const EXPANSION_SLACK = 64 * 1024;

/** The CLI option that raises each budget (named in the error). */
export const BUDGET_OPTIONS: Readonly<Record<keyof Budgets, string>> = Object.freeze({
  maxBytes: '--max-bytes',
  maxObjects: '--max-objects',
  maxItems: '--max-items',
  maxDepth: '--max-depth',
  maxExpansion: '--max-expansion',
  maxTempBytes: '--max-temp',
});

const WHAT: Readonly<Record<keyof Budgets, string>> = Object.freeze({
  maxBytes: 'materialised bytes',
  maxObjects: 'pickle objects',
  maxItems: 'container items',
  maxDepth: 'nesting depth',
  maxExpansion: 'output/input expansion ratio',
  maxTempBytes: 'temp file bytes',
});

export class BudgetError extends CheckpointError {
  constructor(
    readonly budget: keyof Budgets,
    readonly limit: number,
    detail: string,
  ) {
    super(
      `${WHAT[budget]} budget exceeded: ${detail} (limit ${limit}); ` +
        `if the file is trusted, raise it with ${BUDGET_OPTIONS[budget]} N`,
      'BudgetError',
    );
  }
}

export function budgetsWith(over: Partial<Budgets> = {}): Budgets {
  const b = { ...DEFAULT_BUDGETS };
  for (const [k, v] of Object.entries(over) as [keyof Budgets, number | undefined][]) if (v !== undefined) b[k] = v;
  return b;
}

/** Running totals against one set of budgets (one per loaded checkpoint or command). */
export class Meter {
  readonly budgets: Budgets;
  bytes = 0;
  objects = 0;
  items = 0;

  constructor(over: Partial<Budgets> = {}) {
    this.budgets = budgetsWith(over);
  }

  chargeBytes(n: number, what = 'copy'): void {
    this.bytes += n;
    if (this.bytes > this.budgets.maxBytes) {
      throw new BudgetError('maxBytes', this.budgets.maxBytes, `${this.bytes} bytes after a ${n}-byte ${what}`);
    }
  }
  chargeObjects(n = 1): void {
    this.objects += n;
    if (this.objects > this.budgets.maxObjects) {
      throw new BudgetError('maxObjects', this.budgets.maxObjects, `${this.objects} objects`);
    }
  }
  chargeItems(n: number): void {
    this.items += n;
    if (this.items > this.budgets.maxItems) {
      throw new BudgetError('maxItems', this.budgets.maxItems, `${this.items} items`);
    }
  }
  checkDepth(depth: number, where: string): void {
    if (depth > this.budgets.maxDepth) {
      throw new BudgetError('maxDepth', this.budgets.maxDepth, `${where} nested deeper than ${this.budgets.maxDepth}`);
    }
  }
}

/** Checks a planned output size against maxExpansion × the input (plus EXPANSION_SLACK). */
export function checkExpansion(outBytes: number, inBytes: number | undefined, maxExpansion: number): void {
  if (inBytes === undefined) return;
  const limit = maxExpansion * inBytes + EXPANSION_SLACK;
  if (outBytes > limit) {
    throw new BudgetError(
      'maxExpansion',
      maxExpansion,
      `the output would be ${outBytes} bytes from ${inBytes} input bytes (at most ${Math.floor(limit)})`,
    );
  }
}

/** Parses a budget value: a count or size with an optional K/M/G/T suffix (powers of 1024), or a ratio. */
export function parseBudgetValue(s: string): number | null {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(?:i?b)?\s*$/i.exec(s);
  if (!m) return null;
  const mul = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 }[m[2]!.toLowerCase() as '' | 'k'];
  const v = Number(m[1]) * mul;
  return Number.isFinite(v) && v > 0 ? v : null;
}
