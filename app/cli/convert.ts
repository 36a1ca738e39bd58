/**
 * `normscope convert IN OUT [--state-dict PATH] [--overwrite]`: rewrites a checkpoint in the format of
 * OUT's extension (torch zip or safetensors), keeping `_metadata`. Torch → torch keeps the whole tree
 * (legacy files become zip files); safetensors output holds the chosen state dict only.
 */
import { loadCheckpoint, saveTorch } from '../../engine/index.js';
import { BUDGET_OPTIONS, budgetsFrom, parseArgs, UsageError } from './args.js';
import { guarded, printJson, EXIT_OK, type Command } from './command.js';
import { checkNotSource, formatFromExtension, prepareOutput, writeBudgets, writeOutput } from './output.js';

const USAGE = 'normscope convert IN OUT [--state-dict PATH] [--overwrite] [--json] [--max-bytes N …budgets]';

export const convertCommand: Command = {
  name: 'convert',
  summary: 'convert between torch.save (zip or legacy) and safetensors, keeping _metadata',
  usage: USAGE,
  run: (argv) =>
    guarded('convert', USAGE, () => {
      const a = parseArgs(argv, ['overwrite', 'json', 'placeholders'], ['state-dict', ...BUDGET_OPTIONS]);
      const budgets = budgetsFrom(a);
      if (a.positionals.length !== 2) throw new UsageError('expected IN and OUT');
      const [input, out] = a.positionals as [string, string];
      const overwrite = a.flags.has('overwrite');
      checkNotSource(input, out, overwrite);
      const fmt = formatFromExtension(out);
      prepareOutput(out);
      const ck = loadCheckpoint(input, { placeholders: a.flags.has('placeholders'), budgets });
      try {
        const limits = writeBudgets(ck, budgets);
        let warnings: string[] = [];
        const sdPath = a.options.get('state-dict');
        if (
          fmt === 'torch' &&
          sdPath === undefined &&
          ck.format !== 'safetensors' &&
          ck.format !== 'safetensors-sharded'
        ) {
          saveTorch(out, ck.root, { overwrite, ...limits });
        } else if (fmt === 'torch' && sdPath !== undefined) {
          // Only the chosen state dict, as a plain torch.save(state_dict) file.
          saveTorch(out, ck.stateDict(ck.found(sdPath).path), { overwrite, ...limits });
        } else {
          const found = ck.found(sdPath);
          warnings = writeOutput(ck, found.path, ck.stateDict(found.path), out, overwrite, budgets);
        }
        if (a.flags.has('json')) printJson({ input, output: out, from: ck.format, to: fmt, warnings });
        else
          process.stdout.write(
            [`${input} (${ck.format}) → ${out} (${fmt})`, ...warnings.map((w) => `warning: ${w}`)].join('\n') + '\n',
          );
        return EXIT_OK;
      } finally {
        ck.close();
      }
    }),
};

export default convertCommand;
