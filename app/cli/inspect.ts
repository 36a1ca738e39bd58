/**
 * `normscope inspect FILE [--json] [--header-only] [--placeholders] [--scan]`: what is in a checkpoint —
 * tensors with summaries, state dicts with their `_metadata`, BatchNorm layers with a health scan.
 * `--json` prints DESIGN.md's object; `--scan` lists the pickle's globals and opcodes without loading.
 */
import { fileSize } from '../../engine/index.js';
import { loadCheckpoint, scanCheckpointFile } from '../../engine/index.js';
import { inspectCheckpoint, type InspectReport } from '../../engine/index.js';
import { BUDGET_OPTIONS, budgetsFrom, parseArgs, UsageError } from './args.js';
import { guarded, printJson, EXIT_OK, EXIT_REFUSED, type Command } from './command.js';
import { fmtBytes, fmtNum, fmtShape, progressBar, table } from './format.js';

const USAGE =
  'normscope inspect FILE [--json] [--header-only] [--placeholders] [--scan] [--max-bytes N --max-objects N --max-items N --max-depth N]';

export function jsonReport(r: InspectReport): unknown {
  return {
    format: r.format,
    tensors: r.tensors.map(({ key, dtype, shape, min, max, mean, std, finite }) => ({
      key,
      dtype,
      shape,
      min,
      max,
      mean,
      std,
      finite,
    })),
    stateDicts: r.stateDicts.map(({ path, keys, metadata }) => ({ path, keys, metadata })),
    batchNorm: r.batchNorm.map(({ prefix, numFeatures, version, hasNumBatchesTracked, numBatchesTracked, health }) => ({
      prefix,
      numFeatures,
      version,
      hasNumBatchesTracked,
      numBatchesTracked,
      health,
    })),
    warnings: r.warnings,
  };
}

function human(file: string, bytes: number, r: InspectReport): string {
  const out: string[] = [`${file}: ${r.format}, ${fmtBytes(bytes)}, ${r.tensors.length} tensors`];
  if (r.stateDicts.length) {
    out.push('', 'State dicts:');
    out.push(
      table(
        ['path', 'keys', 'wrapper prefix', '_metadata'],
        r.stateDicts.map((s) => [
          s.path || '<root>',
          String(s.keys),
          s.prefix || '—',
          s.metadata ? `${Object.keys(s.metadata).length} prefixes` : 'none',
        ]),
      ),
    );
  }
  if (r.batchNorm.length) {
    out.push('', 'BatchNorm layers:');
    out.push(
      table(
        ['prefix', 'features', 'version', 'num_batches_tracked', 'health'],
        r.batchNorm.map((b) => [
          (r.stateDicts.length > 1 && b.stateDict ? `${b.stateDict}: ` : '') + b.prefix,
          String(b.numFeatures),
          b.version === null ? '—' : String(b.version),
          b.hasNumBatchesTracked ? fmtNum(b.numBatchesTracked) : 'absent',
          b.health.length ? b.health[0]! : 'ok',
        ]),
      ),
    );
    for (const b of r.batchNorm) for (const h of b.health.slice(1)) out.push(`  ${b.prefix}: ${h}`);
  }
  out.push('', 'Tensors:');
  out.push(
    table(
      ['key', 'dtype', 'shape', 'min', 'max', 'mean', 'std', 'finite'],
      r.tensors.map((t) => [
        t.key,
        t.dtype,
        fmtShape(t.shape),
        fmtNum(t.min),
        fmtNum(t.max),
        fmtNum(t.mean),
        fmtNum(t.std),
        t.finite === null ? '—' : t.finite ? 'yes' : 'NO',
      ]),
    ),
  );
  if (r.warnings.length) out.push('', 'Warnings:', ...r.warnings.map((w) => `  ${w}`));
  return out.join('\n') + '\n';
}

function scan(file: string, json: boolean): number {
  const s = scanCheckpointFile(file);
  if (json) printJson(s);
  else {
    const lines = [`${file}: ${s.format}`];
    for (const p of s.pickles) {
      lines.push(
        '',
        `${p.name}: protocol ${p.protocol}, ${p.safe ? 'only allowed globals' : 'NAMES GLOBALS OUTSIDE THE ALLOW-LIST'}`,
      );
      if (p.globals.length) {
        lines.push(
          table(
            ['offset', 'opcode', 'global', 'allowed'],
            p.globals.map((g) => [String(g.offset), g.opcode, g.name, g.allowed ? 'yes' : 'REFUSED']),
          ),
        );
      }
      lines.push(
        `opcodes: ${Object.entries(p.opcodes)
          .map(([k, v]) => `${k}×${v}`)
          .join(' ')}`,
      );
    }
    process.stdout.write(lines.join('\n') + '\n');
  }
  return s.pickles.every((p) => p.safe) ? EXIT_OK : EXIT_REFUSED;
}

export const inspectCommand: Command = {
  name: 'inspect',
  summary: 'tensors, state dicts, BatchNorm layers and their health in a checkpoint',
  usage: USAGE,
  run: (argv) =>
    guarded('inspect', USAGE, () => {
      const a = parseArgs(argv, ['json', 'header-only', 'placeholders', 'scan'], BUDGET_OPTIONS);
      const budgets = budgetsFrom(a);
      if (a.positionals.length !== 1) throw new UsageError('expected exactly one FILE');
      const file = a.positionals[0]!;
      const json = a.flags.has('json');
      if (a.flags.has('scan')) return scan(file, json);
      const headerOnly = a.flags.has('header-only');
      const bytes = fileSize(file);
      const ck = loadCheckpoint(file, {
        placeholders: a.flags.has('placeholders'),
        mode: headerOnly ? 'windowed' : 'auto',
        budgets,
      });
      try {
        const bar = progressBar(`inspect ${file}`, bytes);
        const report = inspectCheckpoint(ck, { headerOnly, onProgress: bar });
        bar.end();
        if (json) printJson(jsonReport(report));
        else process.stdout.write(human(file, bytes, report));
        return EXIT_OK;
      } finally {
        ck.close();
      }
    }),
};

export default inspectCommand;
