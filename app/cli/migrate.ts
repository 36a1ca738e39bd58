/**
 * `normscope migrate IN OUT [--strip-prefix P|auto] [--drop-counters] [--state-dict PATH] [--overwrite] [--json] [--dry-run]`:
 * strips wrapper prefixes and migrates version-1 BatchNorm state to version 2 (counter injected, with
 * the reason), or drops counters. Prints the plan, then writes OUT atomically (never over IN unless asked).
 */
import { loadCheckpoint } from '../../engine/index.js';
import { applyMapping, applyMigration, detectPrefix, planMigration } from '../../engine/index.js';
import { BUDGET_OPTIONS, budgetsFrom, parseArgs, UsageError } from './args.js';
import { guarded, printJson, EXIT_OK, type Command } from './command.js';
import { checkNotSource, formatFromExtension, prepareOutput, writeOutput } from './output.js';

const USAGE =
  'normscope migrate IN OUT [--strip-prefix P|auto] [--drop-counters] [--state-dict PATH] [--overwrite] [--json] [--dry-run] [--max-bytes N …budgets]';

export const migrateCommand: Command = {
  name: 'migrate',
  summary: 'strip wrapper prefixes and migrate BatchNorm state versions (plan, then write)',
  usage: USAGE,
  run: (argv) =>
    guarded('migrate', USAGE, () => {
      const a = parseArgs(
        argv,
        ['drop-counters', 'overwrite', 'json', 'dry-run', 'placeholders'],
        ['strip-prefix', 'state-dict', ...BUDGET_OPTIONS],
      );
      const budgets = budgetsFrom(a);
      if (a.positionals.length !== 2) throw new UsageError('expected IN and OUT');
      const [input, out] = a.positionals as [string, string];
      const overwrite = a.flags.has('overwrite');
      checkNotSource(input, out, overwrite);
      formatFromExtension(out);
      if (!a.flags.has('dry-run')) prepareOutput(out);
      const ck = loadCheckpoint(input, { placeholders: a.flags.has('placeholders'), budgets });
      try {
        const found = ck.found(a.options.get('state-dict'));
        let sd = ck.stateDict(found.path);
        const strip = a.options.get('strip-prefix');
        const prefix = strip === 'auto' ? detectPrefix(sd.keys()) : (strip ?? '');
        if (prefix) {
          const missing = [...sd.keys()].filter((k) => !k.startsWith(prefix));
          if (missing.length)
            throw new UsageError(`${missing.length} keys do not start with '${prefix}' (e.g. ${missing[0]})`);
          sd = applyMapping(sd, { strip: prefix, add: '' });
        }
        const plan = planMigration(sd, { direction: a.flags.has('drop-counters') ? 'drop-counters' : 'upgrade' });
        const migrated = applyMigration(sd, plan);
        const warnings = a.flags.has('dry-run') ? [] : writeOutput(ck, found.path, migrated, out, overwrite, budgets);
        if (a.flags.has('json')) {
          printJson({
            input,
            output: a.flags.has('dry-run') ? null : out,
            stateDict: found.path,
            strippedPrefix: prefix,
            steps: plan.steps,
            notes: plan.notes,
            warnings,
          });
        } else {
          const lines = [`${input} → ${a.flags.has('dry-run') ? '(dry run, nothing written)' : out}`];
          if (found.path) lines.push(`state dict: ${found.path}`);
          if (prefix) lines.push(`stripped prefix '${prefix}' from ${sd.size} keys (and their _metadata)`);
          if (!plan.steps.length) lines.push('no BatchNorm version migration needed');
          // Steps sharing a reason (every layer of an old file, typically) list their keys under it once.
          const byReason = new Map<string, string[]>();
          for (const s of plan.steps) {
            const line =
              s.kind === 'inject-counter'
                ? `  + ${s.key} = ${s.value} (int64), version ${s.fromVersion ?? 'missing'} → ${s.toVersion}`
                : `  - ${s.key}, version ${s.fromVersion ?? 'missing'} → ${s.toVersion}`;
            byReason.set(s.reason, [...(byReason.get(s.reason) ?? []), line]);
          }
          for (const [reason, stepLines] of byReason) lines.push(`${reason}:`, ...stepLines);
          lines.push(...plan.notes.map((n) => `note: ${n}`), ...warnings.map((w) => `warning: ${w}`));
          process.stdout.write(lines.join('\n') + '\n');
        }
        return EXIT_OK;
      } finally {
        ck.close();
      }
    }),
};

export default migrateCommand;
