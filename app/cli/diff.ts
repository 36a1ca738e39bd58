/**
 * `normscope diff A B [--json] [--strip-prefix P] [--state-dict-a PATH] [--state-dict-b PATH]`:
 * compares the state dicts of two checkpoints after key alignment, tensor by tensor (memory bounded).
 * Exit 0: identical; 1: differences found; 2: refused or malformed input.
 */
import { fileSize } from '../../engine/index.js';
import { loadCheckpoint, refStateDict, type Checkpoint, type TensorRef } from '../../engine/index.js';
import { diffStateDicts, hasDifferences, type DiffResult } from '../../engine/index.js';
import { BUDGET_OPTIONS, budgetsFrom, parseArgs, UsageError } from './args.js';
import { guarded, printJson, EXIT_DIFFERENT, EXIT_OK, type Command } from './command.js';
import { fmtNum, fmtShape, progressBar, table } from './format.js';

const USAGE =
  'normscope diff A B [--json] [--strip-prefix P] [--state-dict-a PATH] [--state-dict-b PATH] [--max-bytes N …budgets]';
const BIG = 100 * 1024 * 1024;

function human(a: string, b: string, d: DiffResult): string {
  const out = [
    `A: ${a}${d.prefixes.a ? ` (prefix ${d.prefixes.a} stripped)` : ''}`,
    `B: ${b}${d.prefixes.b ? ` (prefix ${d.prefixes.b} stripped)` : ''}`,
  ];
  out.push(
    `${d.changed.length} changed, ${d.added.length} added, ${d.removed.length} removed, ${d.unchanged} unchanged`,
  );
  if (d.added.length) out.push('', 'Added (only in B):', ...d.added.map((k) => `  + ${k}`));
  if (d.removed.length) out.push('', 'Removed (only in A):', ...d.removed.map((k) => `  - ${k}`));
  if (d.changed.length) {
    out.push('', 'Changed:');
    out.push(
      table(
        ['key', 'shape A', 'shape B', 'dtype A', 'dtype B', 'max |A-B|', 'rel diff', 'cosine'],
        d.changed.map((c) => [
          c.key,
          fmtShape(c.shapeA),
          fmtShape(c.shapeB),
          c.dtypeA,
          c.dtypeB,
          fmtNum(c.maxAbsDiff),
          fmtNum(c.relDiff),
          fmtNum(c.cosine),
        ]),
      ),
    );
  }
  const moved = d.channels.filter((c) => c.absDiff.some((x) => x !== 0));
  if (moved.length) {
    out.push('', 'BatchNorm buffers, largest per-channel change:');
    out.push(
      table(
        ['key', 'channel', '|A-B|', 'A', 'B'],
        moved.map((c) => {
          let i = 0;
          c.absDiff.forEach((x, j) => (x > c.absDiff[i]! ? (i = j) : 0));
          return [c.key, String(i), fmtNum(c.absDiff[i]), fmtNum(c.a[i]), fmtNum(c.b[i])];
        }),
      ),
    );
  }
  if (d.frozen.length) out.push('', `Frozen BatchNorm layers (running stats identical): ${d.frozen.join(', ')}`);
  return out.join('\n') + '\n';
}

/** The state dict to compare; a file without one is compared tensor by tensor under its full keys. */
function side(ck: Checkpoint, path: string | undefined): Map<string, TensorRef> {
  if (path === undefined && ck.stateDicts().length === 0) return new Map(ck.tensors().map((t) => [t.key, t.ref]));
  return refStateDict(ck.found(path)).tensors;
}

export const diffCommand: Command = {
  name: 'diff',
  summary: 'compare two checkpoints (after aligning key prefixes)',
  usage: USAGE,
  run: (argv) =>
    guarded('diff', USAGE, () => {
      const a = parseArgs(
        argv,
        ['json', 'placeholders'],
        ['strip-prefix', 'state-dict-a', 'state-dict-b', ...BUDGET_OPTIONS],
      );
      const budgets = budgetsFrom(a);
      if (a.positionals.length !== 2) throw new UsageError('expected two files A and B');
      const [fa, fb] = a.positionals as [string, string];
      const open = (f: string): Checkpoint =>
        loadCheckpoint(f, {
          placeholders: a.flags.has('placeholders'),
          mode: fileSize(f) > BIG ? 'windowed' : 'auto',
          budgets,
        });
      const ca = open(fa);
      let cb: Checkpoint | null = null;
      try {
        cb = open(fb);
        const bar = progressBar(`diff ${fa} ${fb}`, Math.max(fileSize(fa), fileSize(fb)));
        const d = diffStateDicts(side(ca, a.options.get('state-dict-a')), side(cb, a.options.get('state-dict-b')), {
          stripPrefix: a.options.get('strip-prefix') ?? 'auto',
          onProgress: bar,
        });
        bar.end();
        if (a.flags.has('json')) {
          printJson({
            added: d.added,
            removed: d.removed,
            changed: d.changed,
            unchanged: d.unchanged,
            prefixes: d.prefixes,
          });
        } else process.stdout.write(human(fa, fb, d));
        return hasDifferences(d) ? EXIT_DIFFERENT : EXIT_OK;
      } finally {
        ca.close();
        cb?.close();
      }
    }),
};

export default diffCommand;
