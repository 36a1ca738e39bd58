/** Minimal argument parsing for the CLI: positionals, boolean flags and `--name value` options. */
import { parseBudgetValue, type Budgets } from '../../engine/index.js';

export interface ParsedArgs {
  positionals: string[];
  flags: Set<string>;
  options: Map<string, string>;
}

export class UsageError extends Error {}

export function parseArgs(argv: readonly string[], flags: readonly string[], options: readonly string[]): ParsedArgs {
  const out: ParsedArgs = { positionals: [], flags: new Set(), options: new Map() };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      out.positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!a.startsWith('--') || a === '-') {
      out.positionals.push(a);
      continue;
    }
    const eq = a.indexOf('=');
    const name = a.slice(2, eq < 0 ? undefined : eq);
    if (flags.includes(name) && eq < 0) out.flags.add(name);
    else if (options.includes(name)) {
      const v = eq >= 0 ? a.slice(eq + 1) : argv[++i];
      if (v === undefined) throw new UsageError(`--${name} needs a value`);
      out.options.set(name, v);
    } else throw new UsageError(`unknown option ${a}`);
  }
  return out;
}

/** The budget options every checkpoint command takes (engine/io/budgets.ts lists them with defaults). */
export const BUDGET_OPTIONS = ['max-bytes', 'max-objects', 'max-items', 'max-depth', 'max-expansion', 'max-temp'];

const BUDGET_KEYS: Record<string, keyof Budgets> = {
  'max-bytes': 'maxBytes',
  'max-objects': 'maxObjects',
  'max-items': 'maxItems',
  'max-depth': 'maxDepth',
  'max-expansion': 'maxExpansion',
  'max-temp': 'maxTempBytes',
};

/** Budget overrides from `--max-bytes 4G` and friends (sizes take K/M/G/T, powers of 1024). */
export function budgetsFrom(a: ParsedArgs): Partial<Budgets> {
  const out: Partial<Budgets> = {};
  for (const [opt, key] of Object.entries(BUDGET_KEYS)) {
    const raw = a.options.get(opt);
    if (raw === undefined) continue;
    const v = parseBudgetValue(raw);
    if (v === null)
      throw new UsageError(`--${opt} needs a positive number (sizes may end in K, M, G or T), got '${raw}'`);
    out[key] = v;
  }
  return out;
}
