/**
 * `npm run bench -- models`: ResNet-18 (torchvision, random weights) at batch 8, 3×224×224, float32,
 * through the model runner (ONNX → GraphModule) vs PyTorch at the same thread count, in one run:
 *   eval forward   model in eval mode, forward under noGrad (PyTorch: `model.eval()(x)` under no_grad)
 *   train step     trainSteps(..., { loss: 'cross-entropy', steps: 1 }): forward + loss + backward + SGD
 *                  (PyTorch: the same four with torch.optim.SGD)
 * The ONNX file is exported by /usr/bin/python3 (torch.onnx.export in training mode, as
 * tools/make_model_fixtures.py does) and cached under .tmp/models/bench. The machine may be shared:
 * times are best-of `--reps` (after one warm-up), and the 1-minute load average is recorded.
 * Goals (issue 16): cpu ≤ 1.5× PyTorch on eval forward, ≤ 2× on the train step.
 *
 *   npm run bench -- models [--threads N] [--reps R] [--backends cpu,ts]
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { backendInfo, loadOnnxFile, noGrad, setBackend, Tensor, tidy, trainSteps } from '../engine/index.js';
import { setNativeThreads } from '../engine/backend/nativeLoader.js';
import { findTorchPython } from '../tools/torchPython.js';
import { backendList, benchArgsOrExit, parseBenchArgs, positiveInt } from './args.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const SHAPE = [8, 3, 224, 224];
const CLASSES = 1000;
const LR = 0.01;
const GOALS = { eval: 1.5, train: 2 };

// Shared by both sides: the export and PyTorch's timings. argv: onnx path, threads, reps, mode.
const PY = `
import sys, json, time, torch, torchvision
path, threads, reps, mode = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
torch.manual_seed(0)
model = torchvision.models.resnet18(weights=None)
x = torch.randn(${SHAPE.join(', ')})
if mode == 'export':
    torch.onnx.export(model.train(), x, path, training=torch.onnx.TrainingMode.TRAINING, do_constant_folding=False,
                      opset_version=13, input_names=['input'], output_names=['logits'])
    sys.exit(0)
torch.set_num_threads(threads)
y = torch.randint(0, ${CLASSES}, (${SHAPE[0]},))
opt = torch.optim.SGD(model.parameters(), lr=${LR})
def ev():
    model.eval()
    with torch.no_grad(): model(x)
def tr():
    model.train(); opt.zero_grad()
    torch.nn.functional.cross_entropy(model(x), y).backward(); opt.step()
out = {}
for name, fn in (('eval', ev), ('train', tr)):
    fn(); best = float('inf')
    for _ in range(reps):
        t = time.perf_counter(); fn(); best = min(best, time.perf_counter() - t)
    out[name] = best * 1000
print(json.dumps({'ms': out, 'threads': torch.get_num_threads(), 'torch': torch.__version__}))
`;

function python(args: string[]): string {
  const py = findTorchPython();
  if (!py) throw new Error('models bench: no Python with torch (set NORMSCOPE_PYTHON or install python3-torch)');
  const r = spawnSync(py, ['-c', PY, ...args], { encoding: 'utf8', maxBuffer: 16 << 20 });
  if (r.status !== 0) throw new Error(`models bench: python failed: ${(r.stderr ?? '').trim().slice(-2000)}`);
  return r.stdout;
}

function best(reps: number, fn: () => void): number {
  fn(); // warm-up
  let b = Infinity;
  for (let i = 0; i < reps; i++) {
    const t = performance.now();
    fn();
    b = Math.min(b, performance.now() - t);
  }
  return b;
}

function main(): void {
  const a = benchArgsOrExit('models', () =>
    parseBenchArgs(process.argv.slice(2), { options: ['threads', 'reps', 'backends'] }),
  );
  const threads = benchArgsOrExit('models', () => positiveInt(a, 'threads', 256)) ?? Math.min(cpus().length, 2);
  const reps = benchArgsOrExit('models', () => positiveInt(a, 'reps', 100)) ?? 3;
  const backends: string[] = benchArgsOrExit('models', () => backendList(a, 'backends')) ?? ['cpu', 'ts'];

  const dir = join(root, '.tmp', 'models', 'bench');
  mkdirSync(dir, { recursive: true });
  const onnxPath = join(dir, `resnet18-b${SHAPE[0]}.onnx`);
  if (!existsSync(onnxPath)) python([onnxPath, '1', '1', 'export']);
  const load0 = loadavg()[0]!;
  const date = new Date().toISOString();
  const torch = JSON.parse(python([onnxPath, String(threads), String(reps), 'time'])) as {
    ms: { eval: number; train: number };
    threads: number;
    torch: string;
  };
  console.log(
    `PyTorch ${torch.torch} (${torch.threads} threads): eval ${torch.ms.eval.toFixed(0)} ms, train ${torch.ms.train.toFixed(0)} ms`,
  );

  setNativeThreads(threads);
  const n = SHAPE.reduce((p, d) => p * d, 1);
  const xData = new Float32Array(n);
  for (let i = 0; i < n; i++) xData[i] = Math.sin(i * 0.618) * 1.5;
  const yData = BigInt64Array.from({ length: SHAPE[0]! }, (_, i) => BigInt((i * 131) % CLASSES));
  const rows: Record<string, { eval: number; train: number; evalRatio: number; trainRatio: number; gemm: boolean }> =
    {};
  const write = (): void => {
    const result = {
      date,
      model: 'resnet18',
      shape: SHAPE,
      dtype: 'float32',
      threads,
      reps,
      timing: 'best-of reps after one warm-up (ts: best of 1)',
      load1AtStart: load0,
      load1AtEnd: loadavg()[0],
      cpu: cpus()[0]?.model,
      torch,
      normscope: rows,
      goals: GOALS,
      backends: backendInfo().backends.map((s) => ({ name: s.name, available: s.available })),
    };
    const out = join(here, 'results', `models-${result.date.slice(0, 10)}.json`);
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
    console.log(`wrote ${out}`);
  };
  for (const name of backends) {
    const b = setBackend(name as 'cpu' | 'ts');
    const model = loadOnnxFile(onnxPath);
    const x = new Tensor(xData, SHAPE, 'float32');
    const y = new Tensor(yData, [SHAPE[0]!], 'int64');
    const r = name === 'ts' ? 1 : reps; // the TypeScript GEMM takes tens of seconds per train step
    const evalMs = best(r, () => {
      model.eval();
      tidy(() => noGrad(() => model.forward(x)));
    });
    const trainMs = best(r, () => {
      model.train();
      tidy(() => trainSteps(model, x, y, { loss: 'cross-entropy', lr: LR, steps: 1 }));
    });
    rows[name] = {
      eval: evalMs,
      train: trainMs,
      evalRatio: evalMs / torch.ms.eval,
      trainRatio: trainMs / torch.ms.train,
      gemm: !!b.gemm,
    };
    console.log(
      `${name}${b.gemm ? ' (OpenBLAS gemm)' : ''}: eval ${evalMs.toFixed(0)} ms (${rows[name].evalRatio.toFixed(2)}× PyTorch), ` +
        `train ${trainMs.toFixed(0)} ms (${rows[name].trainRatio.toFixed(2)}× PyTorch)`,
    );
    write(); // after every backend, so stopping a long ts run keeps the cpu numbers
  }
}

main();
