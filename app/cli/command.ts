/**
 * The shape every `normscope` subcommand file exports (default export), and the common error policy:
 * refused or malformed input (checkpoint errors, engine errors, usage errors) → message on stderr and
 * exit code 2 (DESIGN.md); 1 is reserved for "differences found" (diff).
 */
import { CheckpointError, RefusedGlobalError } from '../../engine/index.js';
import { EngineError } from '../../engine/index.js';
import { UsageError } from './args.js';

export interface Command {
  name: string;
  summary: string;
  usage?: string;
  run(argv: readonly string[]): Promise<number> | number;
}

export const EXIT_OK = 0;
export const EXIT_DIFFERENT = 1;
export const EXIT_REFUSED = 2;

/** Runs a command body, mapping expected failures to exit code 2 with a one-line message. */
export async function guarded(name: string, usage: string, body: () => Promise<number> | number): Promise<number> {
  try {
    return await body();
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`normscope ${name}: ${e.message}\nusage: ${usage}\n`);
      return EXIT_REFUSED;
    }
    if (e instanceof RefusedGlobalError) {
      process.stderr.write(
        `normscope ${name}: refused: ${e.message}\n` +
          `nothing from the file was executed. Use --placeholders to browse its tensors anyway, or --scan to list every global it names.\n`,
      );
      return EXIT_REFUSED;
    }
    if (e instanceof CheckpointError || e instanceof EngineError) {
      process.stderr.write(`normscope ${name}: ${e.name}: ${e.message}\n`);
      return EXIT_REFUSED;
    }
    const err = e as NodeJS.ErrnoException;
    if (err && typeof err.code === 'string') {
      process.stderr.write(`normscope ${name}: ${err.message}\n`);
      return EXIT_REFUSED;
    }
    throw e;
  }
}

export function printJson(v: unknown): void {
  process.stdout.write(`${JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? Number(x) : x))}\n`);
}
