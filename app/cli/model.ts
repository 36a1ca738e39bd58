/**
 * `normscope model inspect|run|recalibrate|train MODEL.onnx …`: a PyTorch network exported to ONNX
 * (torch.onnx.export in training mode, see docs/debug-your-model.md), optionally with the weights of a
 * checkpoint (--weights: torch zip/legacy, training dicts, safetensors; `module.`/`_orig_mod.` keys are
 * aligned), run in eval or train mode, recalibrated (precise BatchNorm) or trained with SGD (momentum and
 * weight decay optional).
 * --json prints DESIGN.md's objects. Exit 2 with a message for malformed input (the .onnx, the
 * checkpoint, the .npy files, the options); a checkpoint that does not fit is refused before anything runs.
 */
import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { loadCheckpoint } from '../../engine/index.js';
import { applyWeights, loadOnnxFile, type WeightsReport } from '../../engine/index.js';
import type { GraphModule } from '../../engine/index.js';
import { recalibrate } from '../../engine/index.js';
import { trainSteps, LOSSES, type LossName } from '../../engine/index.js';
import {
  batchNormStats,
  checkpointMetadata,
  modelStateDict,
  modelSummary,
  outputSummaries,
} from '../../engine/index.js';
import type { LocalMetadata } from '../../engine/index.js';
import { stateDictToPy } from '../../engine/index.js';
import { saveSafetensors, saveTorch } from '../../engine/index.js';
import { noGrad, type Tensor } from '../../engine/index.js';
import { NpyError, writeNpy } from '../ranks/npy.js';
import { parseArgs, UsageError, type ParsedArgs } from './args.js';
import { guarded, printJson, EXIT_OK, type Command } from './command.js';
import { fmtNum, fmtShape, progressBar, table } from './format.js';
import { checkNotSource, formatFromExtension } from './output.js';
import { parseInputArgs, readInputs, readTarget } from './modelInputs.js';
import { MODEL_DOMAINS, parseNumeric, type NumericDomain } from '../shared/numeric.js';

const USAGES = {
  inspect: 'normscope model inspect MODEL.onnx [--json]',
  run:
    'normscope model run MODEL.onnx [--weights CKPT] --input X.npy | --input NAME=X.npy … [--mode eval|train] ' +
    '[--passes K] [--save-outputs DIR] [--json]',
  recalibrate:
    'normscope model recalibrate MODEL.onnx [--weights CKPT] --input X.npy --batch-size B --out OUT.pt [--overwrite] [--json]',
  train:
    'normscope model train MODEL.onnx [--weights CKPT] --input X.npy --target Y.npy --loss mse|cross-entropy --lr LR ' +
    '--steps K [--momentum M] [--weight-decay WD] [--batch-size B] [--out OUT.pt] [--overwrite] [--json]',
} as const;
type Sub = keyof typeof USAGES;
const USAGE = Object.values(USAGES).join('\n       ');

/** Budgets: a pass count or step count past these is a typo, not a plan. */
export const MAX_PASSES = 10_000;
export const MAX_STEPS = 1_000_000;

function intOption(a: ParsedArgs, name: string, min: number, max: number): number | undefined {
  const v = a.options.get(name);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!/^\d+$/.test(v.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
    throw new UsageError(`--${name} must be an integer from ${min} to ${max} (got ${JSON.stringify(v)})`);
  }
  return n;
}

/** torch.optim.SGD's momentum / weight_decay: 0 when absent, else checked against the window's domain (one text). */
function sgdOption(a: ParsedArgs, name: string, domain: NumericDomain): number {
  const v = a.options.get(name);
  if (v === undefined) return 0;
  const p = parseNumeric(v, domain, `--${name}`);
  if (!p.ok) throw new UsageError(p.error);
  return p.value!;
}

function required<T>(v: T | undefined, name: string): T {
  if (v === undefined) throw new UsageError(`--${name} is required`);
  return v;
}

function modelPath(a: ParsedArgs): string {
  if (a.positionals.length !== 1) {
    throw new UsageError(
      a.positionals.length ? `expected one MODEL.onnx, got ${a.positionals.length} paths` : 'expected MODEL.onnx',
    );
  }
  return a.positionals[0]!;
}

interface Loaded {
  model: GraphModule;
  weights: WeightsReport | null;
  /** `_metadata` of the checkpoint's state dict (prefix stripped), kept in what we write. */
  metadata: Map<string, LocalMetadata> | null;
  /** Said on stderr (JSON stays on stdout). */
  notes: string[];
}

/** Opens the model and applies --weights; refuses a checkpoint that does not fit before anything runs. */
function openModel(a: ParsedArgs): Loaded {
  const model = loadOnnxFile(modelPath(a));
  const file = a.options.get('weights');
  if (file === undefined) return { model, weights: null, metadata: null, notes: [] };
  const ck = loadCheckpoint(file);
  try {
    const report = applyWeights(model, ck);
    const notes = ck.warnings.map((w) => `${file}: ${w}`);
    return { model, weights: report, metadata: checkpointMetadata(ck, report), notes };
  } finally {
    ck.close();
  }
}

function weightsJson(r: WeightsReport | null): unknown {
  if (!r) return null;
  const { sourcePath, strippedPrefix, missingKeys, unexpectedKeys, shapeMismatch } = r;
  return { sourcePath, strippedPrefix, missingKeys, unexpectedKeys, shapeMismatch };
}

function printNotes(notes: readonly string[]): void {
  for (const n of notes) process.stderr.write(`normscope model: note: ${n}\n`);
}

function inspect(a: ParsedArgs): number {
  const model = loadOnnxFile(modelPath(a));
  const s = modelSummary(model);
  if (a.flags.has('json')) {
    printJson(s);
    return EXIT_OK;
  }
  const io = (xs: typeof s.inputs) => xs.map((v) => [v.name, v.dtype, fmtShape(v.shape as number[])]);
  const lines = [
    `${modelPath(a)}: ${Object.values(s.ops).reduce((x, y) => x + y, 0)} nodes, ${s.parameters} parameters, ${s.batchNorm.length} BatchNorm layers`,
    '',
    'Inputs:',
    table(['name', 'dtype', 'shape'], io(s.inputs)),
    '',
    'Outputs:',
    table(['name', 'dtype', 'shape'], io(s.outputs)),
    '',
    'Ops:',
    table(
      ['op', 'count'],
      Object.entries(s.ops).map(([k, v]) => [k, String(v)]),
    ),
  ];
  if (s.batchNorm.length) {
    lines.push(
      '',
      'BatchNorm layers:',
      table(
        ['name', 'features', 'eps', 'momentum', 'training_mode'],
        s.batchNorm.map((b) => [
          b.name,
          String(b.numFeatures),
          fmtNum(b.eps),
          fmtNum(b.momentum),
          String(b.trainingMode),
        ]),
      ),
    );
  }
  process.stdout.write(lines.join('\n') + '\n');
  return EXIT_OK;
}

function run(argv: readonly string[]): number {
  const a = parseArgs(argv, ['json'], ['weights', 'mode', 'passes', 'save-outputs'], ['input']);
  const inputArgs = a.repeated.get('input') ?? [];
  const mode = a.options.get('mode');
  if (mode !== undefined && mode !== 'eval' && mode !== 'train') {
    throw new UsageError(`--mode must be eval or train (got ${JSON.stringify(mode)})`);
  }
  const passes = intOption(a, 'passes', 1, MAX_PASSES) ?? 1;
  const { model, weights, notes } = openModel(a);
  const x = readInputs(parseInputArgs(inputArgs, model.graphInputs), model.graphInputs, notes);
  model.setBatchNormMode(mode ?? 'as-exported');
  model.setDropout(false);
  let outs: Tensor[] = [];
  noGrad(() => {
    for (let i = 0; i < passes; i++) outs = model.forwardGraph(x);
  });
  const saveDir = a.options.get('save-outputs');
  const saved: string[] = [];
  if (saveDir !== undefined) {
    mkdirSync(saveDir, { recursive: true });
    outs.forEach((t, i) => {
      if (t.dtype !== 'float32' && t.dtype !== 'float64') {
        throw new UsageError(`output ${i} is ${t.dtype}: only float outputs are written as .npy`);
      }
      const file = path.join(saveDir, `output_${i}.npy`);
      writeFileSync(file, writeNpy({ shape: [...t.shape], dtype: t.dtype, data: t.floatData() }));
      saved.push(file);
    });
  }
  printNotes(notes);
  const outputs = outputSummaries(model, outs);
  const batchNorm = batchNormStats(model);
  if (a.flags.has('json')) {
    printJson({ mode: mode ?? 'as-exported', passes, outputs, batchNorm, weights: weightsJson(weights), saved });
    return EXIT_OK;
  }
  const lines = [
    `${modelPath(a)}: ${passes} pass${passes === 1 ? '' : 'es'} (${mode ?? 'BatchNorm as exported'}, dropout off)`,
    '',
    table(
      ['output', 'shape', 'mean', 'std', 'min', 'max'],
      outputs.map((o) => [o.name, fmtShape(o.shape), fmtNum(o.mean), fmtNum(o.std), fmtNum(o.min), fmtNum(o.max)]),
    ),
  ];
  if (batchNorm.length) {
    lines.push(
      '',
      table(
        ['BatchNorm', 'running_mean (mean)', 'running_var (mean)', 'num_batches_tracked'],
        batchNorm.map((b) => [
          b.name,
          fmtNum(avg(b.runningMean)),
          fmtNum(avg(b.runningVar)),
          fmtNum(b.numBatchesTracked),
        ]),
      ),
    );
  }
  lines.push(...saved.map((f) => `wrote ${f}`));
  process.stdout.write(lines.join('\n') + '\n');
  return EXIT_OK;
}

function avg(xs: readonly number[] | null): number | null {
  return xs && xs.length ? xs.reduce((s, v) => s + v, 0) / xs.length : null;
}

/** Writes the model's whole state dict (checkpoint metadata kept, BatchNorm prefixes at version 2). */
function writeState(loaded: Loaded, out: string, overwrite: boolean): void {
  const sd = modelStateDict(loaded.model, loaded.metadata);
  if (formatFromExtension(out) === 'torch') saveTorch(out, stateDictToPy(sd), { overwrite });
  else saveSafetensors(out, sd, { overwrite });
}

function outOption(a: ParsedArgs, need: boolean): string | undefined {
  const out = need ? required(a.options.get('out'), 'out') : a.options.get('out');
  if (out === undefined) return undefined;
  const fmt = formatFromExtension(out);
  if (fmt === 'safetensors-sharded') throw new UsageError('--out: write one .pt or .safetensors file');
  const overwrite = a.flags.has('overwrite');
  const w = a.options.get('weights');
  if (w !== undefined) checkNotSource(w, out, overwrite);
  // Refused now rather than after a long recalibration or training run.
  if (!overwrite && existsSync(out)) throw new UsageError(`${out} already exists (pass --overwrite to replace it)`);
  return out;
}

function fileBytes(f: string): number {
  try {
    return statSync(f).size;
  } catch {
    return 0;
  }
}

function recal(argv: readonly string[]): number {
  const a = parseArgs(argv, ['json', 'overwrite'], ['weights', 'batch-size', 'out'], ['input']);
  const inputArgs = a.repeated.get('input') ?? [];
  const batchSize = required(intOption(a, 'batch-size', 1, Number.MAX_SAFE_INTEGER), 'batch-size');
  const out = outOption(a, true)!;
  const loaded = openModel(a);
  const { model, weights, notes } = loaded;
  const x = readInputs(parseInputArgs(inputArgs, model.graphInputs), model.graphInputs, notes);
  const bar = progressBar('recalibrate', fileBytes(inputArgs[0]!.replace(/^[^=]*=/, '')), 'batches');
  const r = recalibrate(model, x, { batchSize, onProgress: bar });
  bar.end();
  writeState(loaded, out, a.flags.has('overwrite'));
  printNotes(notes);
  const batchNorm = batchNormStats(model);
  if (a.flags.has('json')) {
    printJson({ out, samples: r.samples, batches: r.batches, batchSize, batchNorm, weights: weightsJson(weights) });
  } else {
    process.stdout.write(
      `recalibrated ${r.layers.length} BatchNorm layers over ${r.samples} samples in ${r.batches} batches of ${batchSize}; wrote ${out}\n`,
    );
  }
  return EXIT_OK;
}

function train(argv: readonly string[]): number {
  const a = parseArgs(
    argv,
    ['json', 'overwrite'],
    ['weights', 'target', 'loss', 'lr', 'steps', 'momentum', 'weight-decay', 'batch-size', 'out'],
    ['input'],
  );
  const inputArgs = a.repeated.get('input') ?? [];
  const loss = required(a.options.get('loss'), 'loss');
  if (!LOSSES.includes(loss as LossName)) {
    throw new UsageError(`--loss must be ${LOSSES.join(' or ')} (got ${JSON.stringify(loss)})`);
  }
  const lrText = required(a.options.get('lr'), 'lr');
  const lr = Number(lrText);
  if (lrText.trim() === '' || !Number.isFinite(lr) || lr < 0) {
    throw new UsageError(`--lr must be a number >= 0 (got ${JSON.stringify(lrText)})`);
  }
  const steps = required(intOption(a, 'steps', 1, MAX_STEPS), 'steps');
  const momentum = sgdOption(a, 'momentum', MODEL_DOMAINS.momentum);
  const weightDecay = sgdOption(a, 'weight-decay', MODEL_DOMAINS.weightDecay);
  const batchSize = intOption(a, 'batch-size', 1, Number.MAX_SAFE_INTEGER);
  const targetFile = required(a.options.get('target'), 'target');
  const out = outOption(a, false);
  const loaded = openModel(a);
  const { model, weights, notes } = loaded;
  const x = readInputs(parseInputArgs(inputArgs, model.graphInputs), model.graphInputs, notes);
  const y = readTarget(targetFile, loss as LossName);
  const bar = progressBar('train', fileBytes(inputArgs[0]!.replace(/^[^=]*=/, '')), 'steps');
  const r = trainSteps(model, x, y, {
    loss: loss as LossName,
    lr,
    momentum,
    weightDecay,
    steps,
    batchSize,
    onProgress: (s, n) => bar(s, n),
  });
  bar.end();
  if (out !== undefined) writeState(loaded, out, a.flags.has('overwrite'));
  printNotes(notes);
  if (a.flags.has('json')) {
    printJson({
      loss,
      lr,
      momentum,
      weightDecay,
      steps,
      batchSize: r.batchSize,
      losses: r.losses,
      out: out ?? null,
      weights: weightsJson(weights),
    });
  } else {
    const lines = r.losses.map((l, i) => `step ${i + 1}: ${loss} ${fmtNum(l)}`);
    if (out !== undefined) lines.push(`wrote ${out}`);
    process.stdout.write(lines.join('\n') + '\n');
  }
  return EXIT_OK;
}

const SUBCOMMANDS: Record<Sub, (argv: readonly string[]) => number> = {
  inspect: (argv) => inspect(parseArgs(argv, ['json'], [])),
  run,
  recalibrate: recal,
  train,
};

export const modelCommand: Command = {
  name: 'model',
  summary: 'a PyTorch model exported to ONNX: inspect, run (eval/train), recalibrate BatchNorm, train with SGD',
  usage: USAGE,
  run: (argv) => {
    const sub = argv[0] as Sub | undefined;
    const usage = sub && sub in USAGES ? USAGES[sub] : USAGE;
    return guarded('model', usage, () => {
      if (!sub) throw new UsageError('expected a subcommand: inspect, run, recalibrate or train');
      if (!(sub in SUBCOMMANDS)) throw new UsageError(`unknown subcommand '${sub}' (inspect, run, recalibrate, train)`);
      try {
        return SUBCOMMANDS[sub](argv.slice(1));
      } catch (e) {
        // .npy problems are malformed input like any other: exit 2 with the reader's message.
        if (e instanceof NpyError) throw new UsageError(e.message);
        throw e;
      }
    });
  },
};

export default modelCommand;
