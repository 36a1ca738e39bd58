/**
 * The paths users take, side by side with PyTorch in one run: BatchNorm modules through the public API
 * (`new BatchNorm2d(C).forward(x)`), not the kernels. Per shape and backend (cpu, wasm, ts):
 *   train forward  `bn.forward(x)` in train mode, under noGrad (PyTorch: `m(x)` under no_grad)
 *   eval forward   the same in eval mode
 *   backward       `y.backward(dy)` of a train-mode forward with x requiring grad (PyTorch: `y.backward(dy)`
 *                  likewise): the autograd engine, the op's backward and the gradient handed to x.grad
 *   backwardOp     the op's backward alone, dx, dw and db from dy, without the engine (NormScope:
 *                  `y.gradFn.backward(dy)`; PyTorch: `torch.ops.aten.native_batch_norm_backward`, the kernel
 *                  autograd calls), so the engine's share of `backward` shows
 * For both backward paths the forward is not timed, and before each call the previous call's output and
 * x.grad are released as PyTorch's are when the Python references drop (NormScope: `dispose()`; JS has
 * no reference counts, so without it they would wait for the garbage collector and every call would get
 * fresh, unmapped memory, which is a measurement of the collector rather than of the path). Then
 * a 10-layer stack step (5 × BatchNorm2d + ReLU, MSE to zeros, backward, SGD). Each NormScope call
 * runs in tidy(), so its outputs go back to the host allocator's cache as PyTorch's go back to its
 * allocator when the Python reference drops. A memory-copy reference (TypedArray.set of the input) is
 * measured in the same run. PyTorch runs in one long-lived process, and the two sides are timed in
 * alternating rounds (`--rounds`), so load from other processes on a shared machine falls on both.
 * Times are medians over all rounds after warm-up (minima kept); ratios are NormScope ÷ PyTorch medians.
 *
 *   npm run bench -- module [--threads N] [--seconds S] [--rounds R] [--shape 32,64,56,56]... [--backends cpu,wasm,ts]
 *                           [--no-torch] [--no-stack]
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, readSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import {
  BatchNorm1d,
  BatchNorm2d,
  BatchNorm3d,
  backendInfo,
  dispose,
  memoryStats,
  mseLoss,
  noGrad,
  ReLU,
  Sequential,
  setBackend,
  SGD,
  Tensor,
  tidy,
  type BackendName,
  type Module,
} from '../engine/index.js';
import { setNativeThreads } from '../engine/backend/nativeLoader.js';
import { findTorchPython } from '../tools/torchPython.js';
import { backendList, benchArgsOrExit, parseBenchArgs, positiveInt, positiveNumber, shapeList } from './args.js';

export type Path = 'train' | 'eval' | 'backward' | 'backwardOp';
export const PATHS: Path[] = ['train', 'eval', 'backward', 'backwardOp'];
export const DEFAULT_SHAPES: number[][] = [
  [32, 64, 56, 56],
  [256, 1024],
  [8, 256, 28, 28],
  [4, 32, 16, 32, 32],
];
export const STACK_SHAPE = [8, 64, 56, 56];
/** Goals of issue 18 (NormScope ÷ PyTorch at equal threads). */
export const GOALS: Record<string, Record<Path, number>> = {
  cpu: { train: 0.5, eval: 1.0, backward: 1.0, backwardOp: 1.0 },
  wasm: { train: 3, eval: 3, backward: 3, backwardOp: 3 },
};

export interface ModuleBenchOptions {
  shapes?: number[][];
  threads?: number;
  /** Minimum seconds per measurement, split over `rounds` alternating NormScope/PyTorch rounds. */
  minSeconds?: number;
  rounds?: number;
  backends?: BackendName[];
  noTorch?: boolean;
  noStack?: boolean;
  /** The stack step's input shape (N, C, H, W); default STACK_SHAPE. */
  stackShape?: number[];
  log?: (line: string) => void;
}

export interface Timing {
  median: number;
  min: number;
}

export interface ModuleShapeResult {
  shape: number[];
  /** TypedArray.set of the input into a warm array of its size. */
  copy: Timing;
  /** Per path, per engine (backends and 'torch'): the timing, or null when it did not run. */
  times: Record<Path, Record<string, Timing | null>>;
  /** Per path, per backend: median ÷ PyTorch's median. */
  vsTorch: Record<Path, Record<string, number | null>>;
  /** Per path, per backend: minimum ÷ PyTorch's minimum (best of each, as issue 18 measured). */
  vsTorchMin: Record<Path, Record<string, number | null>>;
}

export interface ModuleBenchResult {
  date: string;
  /** load: the 1/5/15-minute load averages at the end (the machine is shared). */
  machine: { cpu: string; threads: number; node: string; torch: string | null; load: number[] };
  backends: BackendName[];
  shapes: ModuleShapeResult[];
  stack: {
    shape: number[];
    layers: number;
    times: Record<string, Timing | null>;
    vsTorch: Record<string, number | null>;
    vsTorchMin: Record<string, number | null>;
  } | null;
  /** Per backend and path: how many shapes met the goal by median ratio (and by best-of ratio), the worst. */
  goals: {
    backend: string;
    path: Path;
    goal: number;
    met: number;
    of: number;
    worst: number | null;
    metByMin: number;
    worstByMin: number | null;
  }[];
  memory: ReturnType<typeof memoryStats>;
  notes: string[];
}

/** Times `timed` (after `setup`, untimed) for at least minSeconds and 3 calls, after 2 warm-up calls. */
function samples(minSeconds: number, setup: (() => void) | null, timed: () => void): number[] {
  for (let i = 0; i < 2; i++) {
    setup?.();
    timed();
  }
  const ts: number[] = [];
  const t0 = performance.now();
  while (ts.length < 3 || (performance.now() - t0 < minSeconds * 1000 && ts.length < 200)) {
    setup?.();
    const a = performance.now();
    timed();
    ts.push(performance.now() - a);
  }
  return ts;
}

/** An empty record per path (filled per engine). */
function perPath<T>(): Record<Path, Record<string, T>> {
  return { train: {}, eval: {}, backward: {}, backwardOp: {} };
}

function summary(ts: number[]): Timing {
  const s = [...ts].sort((a, b) => a - b);
  return { median: s[Math.floor(s.length / 2)]!, min: s[0]! };
}

function filled(n: number, seed: number): Float32Array {
  const d = new Float32Array(n);
  for (let i = 0; i < n; i++) d[i] = Math.sin(i * 0.7071 + seed) * 1.7 + ((i * 7 + seed) % 5) * 0.3;
  return d;
}

function moduleFor(shape: number[]): Module & { forward(x: Tensor): Tensor } {
  const c = shape[1]!;
  if (shape.length === 2 || shape.length === 3) return new BatchNorm1d(c);
  if (shape.length === 4) return new BatchNorm2d(c);
  return new BatchNorm3d(c);
}

function stackOf(c: number): Sequential {
  const layers: Module[] = [];
  for (let i = 0; i < 5; i++) layers.push(new BatchNorm2d(c), new ReLU());
  return new Sequential(...layers);
}

// A long-lived PyTorch process answering one request per line over two FIFOs, so that PyTorch and
// NormScope are timed in alternating rounds: on a shared machine the load then falls on both alike.
const TORCH_SERVER = String.raw`
import json, sys, time, torch, torch.nn as nn, torch.nn.functional as F
cfg = json.loads(sys.argv[1])
torch.set_num_threads(cfg["threads"])
def samples(setup, fn, min_s):
    for _ in range(2):
        setup(); fn()
    ts = []
    t0 = time.perf_counter()
    while len(ts) < 3 or (time.perf_counter() - t0 < min_s and len(ts) < 200):
        setup(); a = time.perf_counter(); fn(); ts.append((time.perf_counter() - a) * 1e3)
    return ts
none = lambda: None
def bn_for(sh):
    return {2: nn.BatchNorm1d, 3: nn.BatchNorm1d, 4: nn.BatchNorm2d, 5: nn.BatchNorm3d}[len(sh)](sh[1])
cases, stack = [], {}
for sh in cfg["shapes"]:
    m = bn_for(sh); x = torch.randn(*sh); dy = torch.randn(*sh); xg = x.clone().requires_grad_(True); st = {}
    cases.append((m, x, dy, xg, st))
def run(req):
    if req["path"] == "stack":
        if not stack:
            sh = cfg["stack"]
            stack["seq"] = nn.Sequential(*[l for _ in range(5) for l in (nn.BatchNorm2d(sh[1]), nn.ReLU())])
            stack["x"], stack["target"] = torch.randn(*sh), torch.zeros(*sh)
        seq, x, target = stack["seq"], stack["x"], stack["target"]
        def step():
            seq.zero_grad(set_to_none=True)
            loss = F.mse_loss(seq(x), target); loss.backward()
            torch.optim.SGD(seq.parameters(), lr=0.01).step()
        return samples(none, step, req["min_s"])
    m, x, dy, xg, st = cases[req["shape"]]
    if req["path"] == "train":
        m.train()
        with torch.no_grad(): return samples(none, lambda: m(x), req["min_s"])
    if req["path"] == "eval":
        m.eval()
        with torch.no_grad(): return samples(none, lambda: m(x), req["min_s"])
    m.train()
    if req["path"] == "backwardOp":
        # The kernel autograd runs for NativeBatchNormBackward0 (dx, dw, db), on saved statistics.
        w, b = m.weight.detach(), m.bias.detach()
        with torch.no_grad():
            _, save_mean, save_invstd = torch.native_batch_norm(
                x, w, b, m.running_mean.clone(), m.running_var.clone(), True, m.momentum, m.eps)
        op = torch.ops.aten.native_batch_norm_backward
        def setup_op():
            st.pop("out", None)
        def call_op():
            st["out"] = op(dy, x, w, m.running_mean, m.running_var, save_mean, save_invstd, True, m.eps,
                           [True, True, True])
        return samples(setup_op, call_op, req["min_s"])
    def setup():
        xg.grad = None; m.zero_grad(set_to_none=True); st.pop("y", None); st["y"] = m(xg)
    return samples(setup, lambda: st["y"].backward(dy), req["min_s"])
fin = open(cfg["fin"], "r"); fout = open(cfg["fout"], "w")
fout.write(json.dumps({"torch": torch.__version__, "threads": torch.get_num_threads()}) + "\n"); fout.flush()
for line in fin:
    fout.write(json.dumps(run(json.loads(line))) + "\n"); fout.flush()
`;

/** The PyTorch side: requests answered synchronously through FIFOs (blocking reads, no event loop). */
class TorchServer {
  private readonly dir = mkdtempSync(join(tmpdir(), 'normscope-modbench-'));
  private readonly child: ChildProcess;
  private readonly fdIn: number;
  private readonly fdOut: number;
  private pending = '';
  readonly version: string;

  constructor(py: string, cfg: object) {
    const fin = join(this.dir, 'in');
    const fout = join(this.dir, 'out');
    const mk = spawnSync('mkfifo', [fin, fout]);
    if (mk.status !== 0) throw new Error(`mkfifo failed: ${mk.stderr}`);
    this.child = spawn(py, ['-c', TORCH_SERVER, JSON.stringify({ ...cfg, fin, fout })], {
      stdio: ['ignore', 'inherit', 'inherit'],
      env: { ...process.env, OMP_NUM_THREADS: String((cfg as { threads: number }).threads) },
    });
    this.fdIn = openSync(fin, 'w'); // blocks until the server opens its end
    this.fdOut = openSync(fout, 'r');
    this.version = (JSON.parse(this.readLine()) as { torch: string }).torch;
  }

  private readLine(): string {
    const buf = Buffer.alloc(1 << 16);
    for (;;) {
      const nl = this.pending.indexOf('\n');
      if (nl >= 0) {
        const line = this.pending.slice(0, nl);
        this.pending = this.pending.slice(nl + 1);
        return line;
      }
      const n = readSync(this.fdOut, buf, 0, buf.length, null);
      if (n === 0) throw new Error('the PyTorch process ended (see its error above)');
      this.pending += buf.toString('utf8', 0, n);
    }
  }

  samples(req: { path: Path | 'stack'; shape?: number; min_s: number }): number[] {
    writeSync(this.fdIn, `${JSON.stringify(req)}\n`);
    return JSON.parse(this.readLine()) as number[];
  }

  close(): void {
    closeSync(this.fdIn);
    closeSync(this.fdOut);
    this.child.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function ratio(a: Timing | null | undefined, b: Timing | null | undefined): number | null {
  return a && b ? a.median / b.median : null;
}

function ratioMin(a: Timing | null | undefined, b: Timing | null | undefined): number | null {
  return a && b ? a.min / b.min : null;
}

export function runModuleBench(opts: ModuleBenchOptions = {}): ModuleBenchResult {
  const log = opts.log ?? ((l: string) => console.log(l));
  const shapes = opts.shapes ?? DEFAULT_SHAPES;
  const minSeconds = opts.minSeconds ?? 0.4;
  const rounds = opts.rounds ?? 3;
  const threads = opts.threads ?? availableParallelism();
  const stackShape = opts.stackShape ?? STACK_SHAPE;
  const notes: string[] = [];
  const info = backendInfo();
  const wanted = opts.backends ?? (['cpu', 'wasm', 'ts'] as BackendName[]);
  const backends = wanted.filter((b) => {
    const row = info.backends.find((r) => r.name === b);
    if (!row?.available) notes.push(`${b} not measured: ${row?.reason ?? 'unknown backend'}`);
    return row?.available;
  });
  setNativeThreads(threads);
  const previous = info.requested;

  const py = opts.noTorch ? null : findTorchPython();
  if (!py)
    notes.push(opts.noTorch ? 'PyTorch skipped (--no-torch)' : 'PyTorch not measured: no python3 that imports torch');
  const torch = py ? new TorchServer(py, { shapes, threads, stack: opts.noStack ? null : stackShape }) : null;
  const per = minSeconds / rounds;

  const results: ModuleShapeResult[] = [];
  try {
    shapes.forEach((shape, si) => {
      const n = shape.reduce((a, b) => a * b, 1);
      const xd = filled(n, 1);
      const dyd = filled(n, 2);
      const warm = new Float32Array(n);
      const copy = summary(samples(minSeconds, null, () => warm.set(xd)));
      log(`(${shape.join(',')})…`);
      const mods = new Map(backends.map((b) => [b, moduleFor(shape)]));
      const x = new Tensor(xd, shape, 'float32');
      const xg = new Tensor(xd.slice(), shape, 'float32', true);
      const dy = new Tensor(dyd, shape, 'float32');
      const all = perPath<number[]>();
      const add = (p: Path, e: string, ts: number[]) => (all[p][e] ??= []).push(...ts);
      for (let r = 0; r < rounds; r++) {
        for (const b of backends) {
          setBackend(b);
          const bn = mods.get(b)!;
          bn.train();
          add(
            'train',
            b,
            samples(per, null, () => noGrad(() => tidy(() => void bn.forward(x)))),
          );
          bn.eval();
          add(
            'eval',
            b,
            samples(per, null, () => noGrad(() => tidy(() => void bn.forward(x)))),
          );
          bn.train();
          let y: Tensor | null = null;
          // Before each call, release what the previous one left (PyTorch frees it when the names drop).
          const fresh = () => {
            if (xg.grad) dispose(xg.grad);
            xg.grad = null;
            bn.zeroGrad();
            if (y) dispose(y);
            y = tidy(() => bn.forward(xg));
          };
          add(
            'backward',
            b,
            samples(per, fresh, () => tidy(() => y!.backward(dy))),
          );
          fresh();
          let grads: (Tensor | null)[] | null = null;
          add(
            'backwardOp',
            b,
            samples(
              per,
              () => {
                if (grads) dispose(grads);
                grads = null;
              },
              () => {
                grads = noGrad(() => tidy(() => y!.gradFn!.backward(dy)));
              },
            ),
          );
          dispose([y!, ...(grads ?? [])]);
          if (xg.grad) dispose(xg.grad);
          xg.grad = null;
          y = null;
        }
        if (torch) for (const p of PATHS) add(p, 'torch', torch.samples({ path: p, shape: si, min_s: per }));
      }
      const times = perPath<Timing | null>();
      const vsTorch = perPath<number | null>();
      const vsTorchMin = perPath<number | null>();
      for (const p of PATHS) {
        for (const e of [...backends, 'torch']) times[p][e] = all[p][e] ? summary(all[p][e]!) : null;
        for (const b of backends) {
          vsTorch[p][b] = ratio(times[p][b], times[p].torch);
          vsTorchMin[p][b] = ratioMin(times[p][b], times[p].torch);
        }
      }
      results.push({ shape, copy, times, vsTorch, vsTorchMin });
    });

    let stack: ModuleBenchResult['stack'] = null;
    if (!opts.noStack) {
      const n = stackShape.reduce((a, b) => a * b, 1);
      const x = new Tensor(filled(n, 3), stackShape, 'float32');
      const target = new Tensor(new Float32Array(n), stackShape, 'float32');
      const seqs = new Map(backends.map((b) => [b, stackOf(stackShape[1]!)]));
      const all: Record<string, number[]> = {};
      log('10-layer stack step…');
      for (let r = 0; r < rounds; r++) {
        for (const b of backends) {
          setBackend(b);
          const seq = seqs.get(b)!;
          (all[b] ??= []).push(
            ...samples(per, null, () =>
              tidy(() => {
                seq.zeroGrad();
                mseLoss(seq.forward(x), target).backward();
                new SGD(seq.parameters(), { lr: 0.01 }).step();
              }),
            ),
          );
        }
        if (torch) (all.torch ??= []).push(...torch.samples({ path: 'stack', min_s: per }));
      }
      const st: Record<string, Timing | null> = {};
      for (const e of [...backends, 'torch']) st[e] = all[e] ? summary(all[e]!) : null;
      const vs: Record<string, number | null> = {};
      const vsMin: Record<string, number | null> = {};
      for (const b of backends) {
        vs[b] = ratio(st[b], st.torch);
        vsMin[b] = ratioMin(st[b], st.torch);
      }
      stack = { shape: stackShape, layers: 10, times: st, vsTorch: vs, vsTorchMin: vsMin };
    }

    const goals: ModuleBenchResult['goals'] = [];
    for (const b of backends) {
      const g = GOALS[b];
      if (!g) continue;
      for (const p of PATHS) {
        const rs = results.map((r) => r.vsTorch[p][b]).filter((v): v is number => v !== null);
        const ms = results.map((r) => r.vsTorchMin[p][b]).filter((v): v is number => v !== null);
        goals.push({
          backend: b,
          path: p,
          goal: g[p],
          met: rs.filter((v) => v <= g[p]).length,
          of: rs.length,
          worst: rs.length ? Math.max(...rs) : null,
          metByMin: ms.filter((v) => v <= g[p]).length,
          worstByMin: ms.length ? Math.max(...ms) : null,
        });
      }
    }
    return {
      date: new Date().toISOString(),
      machine: {
        cpu: cpus()[0]?.model?.trim() ?? 'unknown',
        threads,
        node: process.version,
        torch: torch?.version ?? null,
        load: loadavg(),
      },
      backends,
      shapes: results,
      stack,
      goals,
      memory: memoryStats(),
      notes,
    };
  } finally {
    torch?.close();
    setBackend(previous);
  }
}

const f = (v: number | null | undefined, d = 2): string => (v === null || v === undefined ? '—' : v.toFixed(d));

export function formatModuleTable(r: ModuleBenchResult): string {
  const lines: string[] = [];
  const engines = [...r.backends, 'torch'];
  lines.push(
    `module path, float32, ${r.machine.threads} threads, ${r.machine.cpu}; PyTorch ${r.machine.torch ?? 'not measured'}; load ${r.machine.load.map((v) => v.toFixed(1)).join(' ')}`,
  );
  lines.push('times: median / best (ms); ratios: NormScope ÷ PyTorch, median / best');
  const head = `${'shape'.padEnd(17)}${'path'.padEnd(12)}${engines.map((e) => e.padStart(16)).join('')}${r.backends.map((b) => `${b}÷torch`.padStart(14)).join('')}${'copy'.padStart(8)}`;
  lines.push(head);
  const t = (v: Timing | null | undefined) => (v ? `${f(v.median)}/${f(v.min)}` : '—');
  for (const s of r.shapes) {
    for (const p of PATHS) {
      const cells = engines.map((e) => t(s.times[p][e]).padStart(16)).join('');
      const ratios = r.backends.map((b) => `${f(s.vsTorch[p][b])}/${f(s.vsTorchMin[p][b])}`.padStart(14)).join('');
      lines.push(`${`(${s.shape.join(',')})`.padEnd(17)}${p.padEnd(12)}${cells}${ratios}${f(s.copy.min).padStart(8)}`);
    }
  }
  if (r.stack) {
    const cells = engines.map((e) => t(r.stack!.times[e]).padStart(16)).join('');
    const ratios = r.backends
      .map((b) => `${f(r.stack!.vsTorch[b])}/${f(r.stack!.vsTorchMin[b])}`.padStart(14))
      .join('');
    lines.push(`${`stack (${r.stack.shape.join(',')})`.padEnd(29)}${cells}${ratios}`);
  }
  lines.push('goals (shapes meeting the goal by median ratio / by best-of ratio; worst of each):');
  for (const g of r.goals) {
    lines.push(
      `  ${g.backend} ${g.path} ≤ ${g.goal}× PyTorch: ${g.met}/${g.of} / ${g.metByMin}/${g.of} (worst ${f(g.worst)}× / ${f(g.worstByMin)}×)`,
    );
  }
  for (const n of r.notes) lines.push(`note: ${n}`);
  return lines.join('\n');
}

/** `npm run bench -- module …`'s options (the flags are listed in the header above and bench/README.md). */
export function parseModuleArgs(argv: readonly string[]): ModuleBenchOptions {
  const a = parseBenchArgs(argv, {
    flags: ['no-torch', 'no-stack'],
    options: ['threads', 'seconds', 'rounds', 'backends'],
    repeatable: ['shape'],
  });
  const o: ModuleBenchOptions = {
    threads: positiveInt(a, 'threads'),
    minSeconds: positiveNumber(a, 'seconds'),
    rounds: positiveInt(a, 'rounds'),
    shapes: shapeList(a, 'shape', 2, 5),
    backends: backendList(a, 'backends'),
  };
  if (a.flags.has('no-torch')) o.noTorch = true;
  if (a.flags.has('no-stack')) o.noStack = true;
  return o;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const opts = benchArgsOrExit('module', () => parseModuleArgs(process.argv.slice(2)));
  const r = runModuleBench(opts);
  console.log(`\n${formatModuleTable(r)}`);
  const dir = join(dirname(fileURLToPath(import.meta.url)), 'results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `module-${r.date.replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, `${JSON.stringify(r, null, 2)}\n`);
  writeFileSync(join(dir, 'module-latest.json'), `${JSON.stringify(r, null, 2)}\n`);
  console.log(`\nwrote ${file}`);
}
