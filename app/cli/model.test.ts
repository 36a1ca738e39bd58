// `normscope model …` as a user runs it (node bin/normscope.mjs, sources on disk): DESIGN.md's JSON
// shapes, exit 2 with a clear message for malformed options, .onnx files, checkpoints and .npy files
// (nothing written, nothing run), and what recalibrate/train write loading in real PyTorch with
// strict=True. Files made by torch come from tools/modelFixtures.ts (skipped, with the reason, without it);
// the option checks need no torch.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { tempDir } from '../../engine/testing.js';
import { checkStateInTorch, modelFixtures } from '../../tools/modelFixtures.js';
import { readNpy, writeNpy } from '../ranks/npy.js';
import { modelCommand } from './model.js';

const BIN = path.resolve('bin/normscope.mjs');
let dir = '';
beforeAll(() => {
  dir = tempDir('normscope-model-cli-');
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function cli(args: string[]) {
  const r = spawnSync(process.execPath, [BIN, 'model', ...args], {
    encoding: 'utf8',
    env: { ...process.env, NORMSCOPE_FROM_SOURCE: '1' },
    timeout: 300_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function refused(args: string[], message: RegExp): void {
  const r = cli(args);
  expect(r.stderr, `stderr of ${args.join(' ')}`).toMatch(message);
  expect(r.code, `exit code of ${args.join(' ')} (stderr: ${r.stderr})`).toBe(2);
  expect(r.stderr).not.toMatch(/internal error|at .*\.ts:\d+/);
}

/**
 * The same check in-process (modelCommand.run, the code bin/normscope.mjs dispatches to): option and file
 * checks need no fresh Node process each, which keeps this file inside the suite's time budget.
 */
async function refusedHere(args: string[], message: RegExp): Promise<void> {
  const err: string[] = [];
  const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    err.push(String(chunk));
    return true;
  });
  let code: number;
  try {
    code = await modelCommand.run(args);
  } finally {
    spy.mockRestore();
  }
  const stderr = err.join('');
  expect(stderr, `stderr of ${args.join(' ')}`).toMatch(message);
  expect(code, `exit code of ${args.join(' ')} (stderr: ${stderr})`).toBe(2);
}

function writeFloatNpy(file: string, shape: number[], fill = (i: number) => Math.sin(i)): string {
  const n = shape.reduce((a, b) => a * b, 1);
  fs.writeFileSync(
    file,
    writeNpy({ shape, dtype: 'float32', data: Float32Array.from({ length: n }, (_, i) => fill(i)) }),
  );
  return file;
}

describe('normscope model: options are checked before anything is read', async () => {
  it('refuses a missing or unknown subcommand, missing paths and unknown options', async () => {
    await refusedHere([], /expected a subcommand: inspect, run, recalibrate or train/);
    await refusedHere(['frobnicate', 'm.onnx'], /unknown subcommand 'frobnicate'/);
    await refusedHere(['inspect'], /expected MODEL.onnx/);
    await refusedHere(['inspect', 'a.onnx', 'b.onnx'], /expected one MODEL.onnx, got 2 paths/);
    await refusedHere(['inspect', 'a.onnx', '--colour'], /unknown option --colour/);
    await refusedHere(['run', 'a.onnx', '--input'], /--input needs a value/);
  });

  it('refuses bad numbers and choices with the option and the budget named', async () => {
    await refusedHere(['run', 'a.onnx', '--input', 'x.npy', '--mode', 'sideways'], /--mode must be eval or train/);
    await refusedHere(
      ['run', 'a.onnx', '--input', 'x.npy', '--passes', '0'],
      /--passes must be an integer from 1 to 10000/,
    );
    await refusedHere(
      ['run', 'a.onnx', '--input', 'x.npy', '--passes', '1e9'],
      /--passes must be an integer from 1 to 10000/,
    );
    await refusedHere(['run', 'a.onnx', '--input', 'x.npy', '--passes', '2.5'], /--passes must be an integer/);
    await refusedHere(['recalibrate', 'a.onnx', '--input', 'x.npy', '--out', 'o.pt'], /--batch-size is required/);
    await refusedHere(
      ['recalibrate', 'a.onnx', '--input', 'x.npy', '--batch-size', '-4', '--out', 'o.pt'],
      /--batch-size must be/,
    );
    await refusedHere(['recalibrate', 'a.onnx', '--input', 'x.npy', '--batch-size', '4'], /--out is required/);
    await refusedHere(
      ['recalibrate', 'a.onnx', '--input', 'x.npy', '--batch-size', '4', '--out', 'o.txt'],
      /cannot tell the output format/,
    );
    const train = ['train', 'a.onnx', '--input', 'x.npy', '--target', 'y.npy'];
    await refusedHere(
      [...train, '--loss', 'hinge', '--lr', '0.1', '--steps', '1'],
      /--loss must be mse or cross-entropy/,
    );
    await refusedHere([...train, '--loss', 'mse', '--lr', 'fast', '--steps', '1'], /--lr must be a number >= 0/);
    await refusedHere([...train, '--loss', 'mse', '--lr', 'NaN', '--steps', '1'], /--lr must be a number >= 0/);
    await refusedHere([...train, '--loss', 'mse', '--lr', '-1', '--steps', '1'], /--lr must be a number >= 0/);
    await refusedHere(
      [...train, '--loss', 'mse', '--lr', '0.1', '--steps', '0'],
      /--steps must be an integer from 1 to 1000000/,
    );
    await refusedHere([...train, '--loss', 'mse', '--steps', '1'], /--lr is required/);
    const sgd = [...train, '--loss', 'mse', '--lr', '0.1', '--steps', '1'];
    await refusedHere([...sgd, '--momentum', 'fast'], /--momentum: "fast" is not a number/);
    await refusedHere([...sgd, '--momentum', '-0.5'], /--momentum must be ≥ 0/);
    await refusedHere([...sgd, '--weight-decay', '2'], /--weight-decay must be ≤ 1/);
  });

  it('refuses an .onnx that is missing, empty, garbage or truncated', async () => {
    await refusedHere(['inspect', path.join(dir, 'nope.onnx')], /no such file|ENOENT/i);
    fs.writeFileSync(path.join(dir, 'empty.onnx'), new Uint8Array(0));
    await refusedHere(['inspect', path.join(dir, 'empty.onnx')], /OnnxError/);
    fs.writeFileSync(
      path.join(dir, 'garbage.onnx'),
      Uint8Array.from({ length: 4096 }, (_, i) => (i * 7919) & 255),
    );
    await refusedHere(['inspect', path.join(dir, 'garbage.onnx')], /OnnxError/);
    await refusedHere(['inspect', dir], /not a regular file|EISDIR/i);
  });
});

const fx = modelFixtures();
if ('skip' in fx) console.log(`normscope model CLI with torch-made models: skipped — ${fx.skip}`);

describe.skipIf('skip' in fx)('normscope model on models exported by torch', () => {
  if ('skip' in fx) return;
  const tiny = (f: string) => path.join(fx.dir, 'tiny', f);
  const onnx = tiny('model.onnx');

  it('inspect --json prints inputs, outputs, ops, parameters and BatchNorm layers with PyTorch momentum', () => {
    const r = cli(['inspect', onnx, '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(Object.keys(j)).toEqual(['inputs', 'outputs', 'ops', 'parameters', 'batchNorm']);
    expect(j.inputs).toEqual([{ name: 'input', shape: [4, 3, 6, 6], dtype: 'float32' }]);
    expect(j.outputs).toEqual([{ name: 'logits', shape: [4, 5], dtype: 'float32' }]);
    expect(j.ops).toEqual({ Conv: 1, BatchNormalization: 1, Relu: 1, GlobalAveragePool: 1, Flatten: 1, Gemm: 1 });
    expect(j.parameters).toBe(3 * 4 * 9 + 4 + 4 + 4 + 4 * 5 + 5);
    expect(j.batchNorm).toEqual([
      { name: '1', numFeatures: 4, eps: expect.closeTo(1e-5, 9), momentum: expect.closeTo(0.1, 6), trainingMode: true },
    ]);
    const human = cli(['inspect', onnx]);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/BatchNorm layers:/);
  });

  it('inspect refuses an unsupported op by name and node, and a truncated export', async () => {
    await refusedHere(['inspect', path.join(fx.dir, 'unsupported_op.onnx')], /Erf/);
    const bytes = fs.readFileSync(onnx);
    for (const cut of [7, Math.floor(bytes.length / 2), bytes.length - 3]) {
      const f = path.join(dir, `cut${cut}.onnx`);
      fs.writeFileSync(f, bytes.subarray(0, cut));
      await refusedHere(['inspect', f], /OnnxError/);
    }
  });

  it('run --json: train passes update the checkpoint statistics; --save-outputs writes output_<i>.npy', () => {
    const outDir = path.join(dir, 'outs');
    const r = cli([
      'run',
      onnx,
      '--weights',
      tiny('checkpoint.pt'),
      '--input',
      tiny('x.npy'),
      '--mode',
      'train',
      '--passes',
      '2',
      '--save-outputs',
      outDir,
      '--json',
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout) as {
      mode: string;
      passes: number;
      outputs: { name: string; shape: number[]; mean: number; std: number; min: number; max: number }[];
      batchNorm: { name: string; runningMean: number[]; runningVar: number[]; numBatchesTracked: number }[];
    };
    expect(Object.keys(j).slice(0, 4)).toEqual(['mode', 'passes', 'outputs', 'batchNorm']);
    expect(j.mode).toBe('train');
    expect(j.passes).toBe(2);
    expect(Object.keys(j.outputs[0]!)).toEqual(['name', 'shape', 'mean', 'std', 'min', 'max']);
    expect(j.outputs[0]!.shape).toEqual([4, 5]);
    expect(Object.keys(j.batchNorm[0]!)).toEqual(['name', 'runningMean', 'runningVar', 'numBatchesTracked']);
    // The checkpoint was saved after one train pass past the export's; 2 more here.
    const ckCount = JSON.parse(
      cli(['run', onnx, '--weights', tiny('checkpoint.pt'), '--input', tiny('x.npy'), '--mode', 'eval', '--json'])
        .stdout,
    ) as typeof j;
    expect(j.batchNorm[0]!.numBatchesTracked).toBe(ckCount.batchNorm[0]!.numBatchesTracked + 2);
    const saved = readNpy(fs.readFileSync(path.join(outDir, 'output_0.npy')));
    expect(saved.shape).toEqual([4, 5]);
    expect(Math.min(...saved.data)).toBeCloseTo(j.outputs[0]!.min, 6);
    expect(Math.max(...saved.data)).toBeCloseTo(j.outputs[0]!.max, 6);
  });

  it('run: inputs by name for a two-input graph; a missing one, a wrong shape or a bad .npy is refused', async () => {
    const two = path.join(fx.dir, 'two_inputs.onnx');
    const a = writeFloatNpy(path.join(dir, 'a.npy'), [4, 3]);
    const b = writeFloatNpy(path.join(dir, 'b.npy'), [4, 3], (i) => i / 7);
    const r = cli(['run', two, '--input', `a=${a}`, '--input', `b=${b}`, '--json']);
    expect(r.code).toBe(0);
    expect((JSON.parse(r.stdout) as { outputs: { name: string }[] }).outputs[0]!.name).toBe('sum');
    await refusedHere(['run', two, '--input', `a=${a}`], /no --input for 'b'/);
    await refusedHere(['run', two, '--input', a], /the model has 2 inputs \(a, b\): give each as --input NAME=X.npy/);
    await refusedHere(['run', two, '--input', `a=${a}`, '--input', `a=${b}`], /input 'a' is given twice/);
    const wrong = writeFloatNpy(path.join(dir, 'wrong.npy'), [4, 5]);
    await refusedHere(
      ['run', two, '--input', `a=${wrong}`, '--input', `b=${b}`],
      /has shape \[4, 5\] but input 'a' is \[4, 3\]/,
    );
    const bytes = fs.readFileSync(a);
    fs.writeFileSync(path.join(dir, 'trunc.npy'), bytes.subarray(0, bytes.length - 5));
    await refusedHere(
      ['run', two, '--input', `a=${path.join(dir, 'trunc.npy')}`, '--input', `b=${b}`],
      /data is truncated/,
    );
    await refusedHere(['run', onnx, '--input', tiny('y.npy')], /dtype "<i8" is not supported/);
  });

  it('a checkpoint that does not fit is refused before anything runs or is written', () => {
    const out = path.join(dir, 'never.pt');
    refused(
      [
        'recalibrate',
        onnx,
        '--weights',
        tiny('checkpoint_wrong_shape.pt'),
        '--input',
        tiny('x.npy'),
        '--batch-size',
        '2',
        '--out',
        out,
      ],
      /1\.running_mean/,
    );
    expect(fs.existsSync(out)).toBe(false);
    fs.writeFileSync(path.join(dir, 'junk.pt'), 'not a checkpoint at all');
    refused(['run', onnx, '--weights', path.join(dir, 'junk.pt'), '--input', tiny('x.npy')], /unrecognized format/);
  });

  it('train --json: losses per step; --out loads strict in torch; an existing --out needs --overwrite', async () => {
    const out = path.join(dir, 'trained.pt');
    const args = [
      'train',
      onnx,
      '--weights',
      tiny('checkpoint.pt'),
      '--input',
      tiny('x.npy'),
      '--target',
      tiny('y.npy'),
      '--loss',
      'cross-entropy',
      '--lr',
      '0.1',
      '--steps',
      '3',
      '--batch-size',
      '2',
      '--momentum',
      '0.9',
      '--weight-decay',
      '1e-3',
      '--out',
      out,
      '--json',
    ];
    const r = cli(args);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout) as { losses: number[]; batchSize: number; out: string };
    expect(j.losses).toHaveLength(3);
    expect(j.losses.every(Number.isFinite)).toBe(true);
    expect(j.batchSize).toBe(2);
    expect(j).toMatchObject({ momentum: 0.9, weightDecay: 1e-3 });
    const torch = checkStateInTorch(fx, 'tiny', out);
    expect(torch).toMatchObject({ missing: [], unexpected: [], bnVersions: [2] });
    await refusedHere(args, /already exists \(pass --overwrite/);
    await refusedHere(
      [
        'train',
        onnx,
        '--input',
        tiny('x.npy'),
        '--target',
        tiny('y_mse.npy'),
        '--loss',
        'cross-entropy',
        '--lr',
        '0.1',
        '--steps',
        '1',
      ],
      /is not a class index/,
    );
    const mse = cli([
      'train',
      onnx,
      '--input',
      tiny('x.npy'),
      '--target',
      tiny('y_mse.npy'),
      '--loss',
      'mse',
      '--lr',
      '0.1',
      '--steps',
      '2',
      '--json',
    ]);
    expect(mse.code).toBe(0);
    expect((JSON.parse(mse.stdout) as { losses: number[] }).losses).toHaveLength(2);
  });

  it('recalibrate writes a state dict ResNet-18 loads strict in torch, with torch’s statistics', () => {
    const out = path.join(dir, 'resnet18_recal.pt');
    const m = (f: string) => path.join(fx.dir, 'resnet18', f);
    const r = cli([
      'recalibrate',
      m('model.onnx'),
      '--weights',
      m('checkpoint.pt'),
      '--input',
      m('x_recal.npy'),
      '--batch-size',
      String(fx.manifest.recalBatch),
      '--out',
      out,
      '--json',
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout) as { samples: number; batches: number; batchNorm: { numBatchesTracked: number }[] };
    expect(j.samples).toBe(6);
    expect(j.batches).toBe(2);
    expect(j.batchNorm.every((b) => b.numBatchesTracked === 2)).toBe(true);
    const torch = checkStateInTorch(fx, 'resnet18', out, m('ref_recal.pt'));
    expect(torch).toMatchObject({ missing: [], unexpected: [], bnVersions: [2] });
    expect(torch.maxStateRelErr).toBeLessThan(1e-4);
    expect(torch.maxOutputRelErr).toBeLessThan(1e-4);
  });
});
