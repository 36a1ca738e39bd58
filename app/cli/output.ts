/**
 * Writing a checkpoint for `migrate` and `convert`: the format comes from OUT's extension, writes are
 * atomic, and the source is never replaced unless --overwrite is given.
 */
import * as path from 'node:path';
import { existsSync } from 'node:fs';
import {
  saveSafetensors,
  saveSafetensorsSharded,
  saveTorch,
  replaceAtPath,
  stateDictToPy,
  type Checkpoint,
} from '../../engine/index.js';
import type { StateDict } from '../../engine/index.js';
import { budgetsWith, type Budgets } from '../../engine/index.js';
import { removeStaleTempFiles, setTempFileGuard } from '../../engine/index.js';
import { UsageError } from './args.js';

export type OutFormat = 'torch' | 'safetensors' | 'safetensors-sharded';

export function formatFromExtension(out: string): OutFormat {
  if (out.toLowerCase().endsWith('.index.json')) return 'safetensors-sharded';
  const ext = path.extname(out).toLowerCase();
  if (ext === '.safetensors') return 'safetensors';
  if (['.pt', '.pth', '.bin', '.ckpt', '.tar', '.pkl'].includes(ext)) return 'torch';
  throw new UsageError(
    `cannot tell the output format from '${ext || out}' (use .pt/.pth/.bin/.ckpt for torch, .safetensors, or .safetensors.index.json for shards)`,
  );
}

/** Shard size for `.index.json` outputs: NORMSCOPE_SHARD_MB (default 5 GiB, like Hugging Face). */
function shardBytes(): number {
  const mb = Number(process.env.NORMSCOPE_SHARD_MB);
  return Number.isFinite(mb) && mb > 0 ? mb * 1024 * 1024 : 5 * 1024 ** 3;
}

export function checkNotSource(input: string, out: string, overwrite: boolean): void {
  if (path.resolve(input) === path.resolve(out) && !overwrite) {
    throw new UsageError('OUT is the input file; pass --overwrite to replace it (the write is atomic)');
  }
}

/**
 * Writes `sd` to `out`. For torch output from a checkpoint whose state dict sits inside a larger tree
 * (epoch, optimizer, …), the rest of the tree is kept and only that state dict is replaced.
 * Returns warnings (e.g. what safetensors cannot hold).
 */
/**
 * Prepares a command that writes OUT: temp files that a killed earlier run left next to OUT are
 * removed, and this run's temp files get a watchdog that removes them if this process is killed
 * (SIGINT, SIGTERM) before its write completes.
 */
export function prepareOutput(out: string): void {
  setTempFileGuard(true);
  removeStaleTempFiles(path.dirname(path.resolve(out)));
}

/** The write options a command's budgets give: expansion against the input's size, temp space. */
export function writeBudgets(ck: Checkpoint, budgets: Partial<Budgets>) {
  const b = budgetsWith(budgets);
  return { inputBytes: ck.inputBytes, maxExpansion: b.maxExpansion, maxTempBytes: b.maxTempBytes };
}

export function writeOutput(
  ck: Checkpoint,
  sdPath: string,
  sd: StateDict,
  out: string,
  overwrite: boolean,
  budgets: Partial<Budgets> = {},
): string[] {
  // Said in the CLI's words (the engine's writer says "pass overwrite", the option's name in its API).
  if (!overwrite && existsSync(out)) throw new UsageError(`${out} already exists (pass --overwrite to replace it)`);
  const fmt = formatFromExtension(out);
  const warnings: string[] = [];
  const limits = writeBudgets(ck, budgets);
  if (fmt === 'safetensors' || fmt === 'safetensors-sharded') {
    const others = ck.tensors().length - ck.found(sdPath).keys.length;
    if (sdPath !== '' || others > 0)
      warnings.push(
        `safetensors holds one flat state dict: only '${sdPath || '<root>'}' was written; the rest of the checkpoint is dropped`,
      );
    if (fmt === 'safetensors') saveSafetensors(out, sd, { overwrite, ...limits });
    else saveSafetensorsSharded(out, sd, { overwrite, maxShardBytes: shardBytes(), ...limits });
  } else {
    const root = sdPath === '' ? stateDictToPy(sd) : replaceAtPath(ck.root, sdPath, stateDictToPy(sd));
    saveTorch(out, root, { overwrite, ...limits });
  }
  return warnings;
}
