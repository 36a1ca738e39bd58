/**
 * Argument parsing for the benchmark scripts: the CLI's parser (app/cli/args.ts, on Node's
 * util.parseArgs, strict) so a bench flag is read and refused exactly as a CLI flag is, plus the value
 * checks the benchmarks share (positive integers, seconds, shape lists, backend lists). Every error is a
 * UsageError naming the flag; `benchArgsOrExit` turns one into `bench <suite>: <message>` and exit status 2.
 */
import { parseArgs, UsageError, type ParsedArgs } from '../app/cli/args.js';
import { BACKEND_CHOICES, type BackendName } from '../engine/index.js';

export { UsageError };

export interface BenchArgSpec {
  /** Boolean flags, without the leading `--`. */
  flags?: readonly string[];
  /** Options that take a value (the last one given counts). */
  options?: readonly string[];
  /** Options that may be given more than once (every value kept, in order). */
  repeatable?: readonly string[];
}

/** Parses argv strictly: unknown flags, missing values and stray positionals are UsageErrors. */
export function parseBenchArgs(argv: readonly string[], spec: BenchArgSpec): ParsedArgs {
  const a = parseArgs(argv, spec.flags ?? [], spec.options ?? [], spec.repeatable ?? []);
  if (a.positionals.length) throw new UsageError(`unexpected argument ${a.positionals[0]}`);
  return a;
}

/** `--name N`: an integer in 1..max (a string such as '2.5', '0' or 'x' is refused naming the flag). */
export function positiveInt(a: ParsedArgs, name: string, max = Number.MAX_SAFE_INTEGER): number | undefined {
  const raw = a.options.get(name);
  if (raw === undefined) return undefined;
  const v = Number(raw);
  if (raw.trim() === '' || !Number.isInteger(v) || v < 1 || v > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? 'a positive integer' : `an integer in 1..${max}`;
    throw new UsageError(`--${name} takes ${range}, got '${raw}'`);
  }
  return v;
}

/** `--name S`: a finite number above 0 (seconds, sizes). */
export function positiveNumber(a: ParsedArgs, name: string): number | undefined {
  const raw = a.options.get(name);
  if (raw === undefined) return undefined;
  const v = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(v) || v <= 0)
    throw new UsageError(`--${name} takes a positive number, got '${raw}'`);
  return v;
}

/** A comma-separated list of positive numbers (`--sizes 2,4,100`). */
export function positiveNumberList(a: ParsedArgs, name: string): number[] | undefined {
  const raw = a.options.get(name);
  if (raw === undefined) return undefined;
  const parts = raw.split(',');
  const vs = parts.map((p) => (p.trim() === '' ? NaN : Number(p)));
  if (vs.some((v) => !Number.isFinite(v) || v <= 0))
    throw new UsageError(`--${name} takes comma-separated positive numbers, got '${raw}'`);
  return vs;
}

/** Every `--shape 32,64,56,56` given, each `minRank`..`maxRank` positive integers. */
export function shapeList(a: ParsedArgs, name: string, minRank: number, maxRank: number): number[][] | undefined {
  const raws = a.repeated.get(name);
  if (!raws?.length) return undefined;
  return raws.map((raw) => {
    const dims = raw.split(',').map((p) => (p.trim() === '' ? NaN : Number(p)));
    if (dims.length < minRank || dims.length > maxRank || dims.some((d) => !Number.isInteger(d) || d < 1)) {
      const count = maxRank === Infinity ? `at least ${minRank}` : `${minRank} to ${maxRank}`;
      throw new UsageError(`--${name} takes ${count} comma-separated positive integers, got '${raw}'`);
    }
    return dims;
  });
}

/** `--backends cpu,wasm,ts`: names the engine knows (BACKEND_CHOICES less 'auto'). */
export function backendList(a: ParsedArgs, name: string): BackendName[] | undefined {
  const raw = a.options.get(name);
  if (raw === undefined) return undefined;
  const known = BACKEND_CHOICES.filter((b) => b !== 'auto') as readonly string[];
  const names = raw.split(',');
  const bad = names.find((n) => !known.includes(n));
  if (bad !== undefined)
    throw new UsageError(`--${name} takes a comma-separated list of ${known.join(', ')}, got '${bad}'`);
  return names as BackendName[];
}

/** Parses with `parse`; on a UsageError prints `bench <suite>: <message>` and exits with status 2. */
export function benchArgsOrExit<T>(suite: string, parse: () => T): T {
  try {
    return parse();
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    console.error(`bench ${suite}: ${e.message}`);
    process.exit(2);
  }
}
