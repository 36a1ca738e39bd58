/**
 * Argument parsing for every CLI command, on Node's util.parseArgs: positionals, boolean flags and
 * `--name value` / `--name=value` options (`repeatable` ones may be given more than once). Errors are
 * UsageErrors in the CLI's words.
 */
import { parseArgs as nodeParseArgs } from 'node:util';
import { parseBudgetValue, type Budgets } from '../../engine/index.js';

export interface ParsedArgs {
  positionals: string[];
  flags: Set<string>;
  /** The last value of each option given. */
  options: Map<string, string>;
  /** Every value of each repeatable option, in order. */
  repeated: Map<string, string[]>;
}

export class UsageError extends Error {}

export function parseArgs(
  argv: readonly string[],
  flags: readonly string[],
  options: readonly string[],
  repeatable: readonly string[] = [],
): ParsedArgs {
  const spec: Record<string, { type: 'boolean' | 'string'; multiple?: boolean }> = {};
  for (const f of flags) spec[f] = { type: 'boolean' };
  for (const o of [...options, ...repeatable]) spec[o] = { type: 'string', multiple: true };
  // A value that starts with '-' (a negative number) follows its option, as `--lr -0.5`: util.parseArgs
  // calls that ambiguous unless written `--lr=-0.5`, so join the two here.
  const args: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      args.push(...argv.slice(i));
      break;
    }
    const next = argv[i + 1];
    const takesValue = a.startsWith('--') && !a.includes('=') && spec[a.slice(2)]?.type === 'string';
    if (takesValue && next !== undefined && next.startsWith('-') && next !== '--') {
      args.push(`${a}=${next}`);
      i++;
    } else args.push(a);
  }
  let parsed: ReturnType<typeof nodeParseArgs>;
  try {
    parsed = nodeParseArgs({ args, options: spec, allowPositionals: true, strict: true });
  } catch (e) {
    throw usageError(e as Error & { code?: string }, argv);
  }
  const out: ParsedArgs = {
    positionals: parsed.positionals,
    flags: new Set(),
    options: new Map(),
    repeated: new Map(),
  };
  for (const [k, v] of Object.entries(parsed.values)) {
    if (v === true) out.flags.add(k);
    else if (Array.isArray(v)) {
      out.repeated.set(k, v as string[]);
      out.options.set(k, (v as string[])[v.length - 1]!);
    }
  }
  return out;
}

/** util.parseArgs's errors in the CLI's words (naming the option as it was typed). */
function usageError(e: Error & { code?: string }, argv: readonly string[]): UsageError {
  const named = /'(-[^' ]+)/.exec(e.message)?.[1] ?? '';
  const typed = argv.find((a) => a === named || a.startsWith(`${named}=`)) ?? named;
  if (e.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' && /argument missing/.test(e.message)) {
    return new UsageError(`${named} needs a value`);
  }
  return new UsageError(`unknown option ${typed}`);
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
