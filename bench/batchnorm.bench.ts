/**
 * BatchNorm kernels side by side, in one run on the same data: the TypeScript backend, the native CPU
 * backend, PyTorch's CPU kernels at the same thread count (through /usr/bin/python3 or whichever
 * python imports torch), and a memory-copy reference (TypedArray.set and the addon's pooled memcpy).
 *
 * Ops: forward-train (statistics + normalise + running stats), forward-eval, backward (Σdy and
 * Σ(x−mean)·dy, then dx; PyTorch: native_batch_norm_backward, which also returns dw and db).
 * Bandwidth floors, bytes per element (s = element size): train forward 3·s, eval forward 2·s,
 * backward 5·s; copy moves 2·s. "of copy" = (floor bytes / time) ÷ (copy bytes / copy time).
 * Times are medians of repeated runs after warm-up (minima are kept too). PyTorch runs twice, with
 * OpenMP's default and PASSIVE wait policies, and is credited with the faster of the two per op.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Backend, NCS } from '../engine/backend/backend.js';
import type { FloatArray } from '../engine/tensor/dtype.js';
import { tsBackend } from '../engine/backend/tsKernels.js';
import { loadAddon, loadNativeBackends, setNativeThreads } from '../engine/backend/nativeLoader.js';
import { findTorchPython } from '../tools/torchPython.js';
import { parseBenchArgs, positiveInt, positiveNumber, shapeList, UsageError } from './args.js';
import type { Device, FloatDType } from '../engine/tensor/device.js';
import type { DeviceBuffer } from '../engine/tensor/storage.js';

export type Op = 'train' | 'eval' | 'backward';
export const OPS: Op[] = ['train', 'eval', 'backward'];
export const FLOOR: Record<Op, number> = { train: 3, eval: 2, backward: 5 };
export const DEFAULT_SHAPES: number[][] = [
  [32, 64, 56, 56],
  [256, 1024],
  [8, 256, 28, 28],
  [4, 32, 16, 32, 32],
];

export interface BenchOptions {
  shapes?: number[][];
  dtype?: 'float32' | 'float64';
  threads?: number;
  /** Minimum seconds of timed repetitions per measurement. */
  minSeconds?: number;
  /** Skip PyTorch even when available. */
  noTorch?: boolean;
  log?: (line: string) => void;
}

export interface OpResult {
  /** Median milliseconds per call, per engine; null when that engine did not run. */
  ms: Record<string, number | null>;
  minMs: Record<string, number | null>;
  /** engine ÷ PyTorch time. */
  vsTorch: Record<string, number | null>;
  /** Achieved floor bandwidth ÷ copy bandwidth. */
  ofCopy: Record<string, number | null>;
}

export interface ShapeResult {
  shape: number[];
  dims: NCS;
  elements: number;
  bytesPerElement: number;
  /** Minimum times of TypedArray.set and the pooled native memcpy; bestGBps counts 2·s bytes per element. */
  copy: { typedArraySetMs: number; nativeMs: number | null; bestGBps: number };
  ops: Record<Op, OpResult>;
  /** Max |native − PyTorch| / max(1, |PyTorch|) on this data (y of train, dx of backward). */
  agreement: Record<string, number> | null;
}

export interface BenchResult {
  date: string;
  dtype: string;
  threads: number;
  /** cudaDevice: the CUDA backend's device when it was measured (null when unavailable). */
  machine: { cpus: number; nativeIsa: string | null; cudaDevice: string | null; torch: string | null };
  engines: string[];
  shapes: ShapeResult[];
  notes: string[];
}

function now(): number {
  return performance.now();
}

/** Median and min ms of fn, after warm-up, repeated for at least minSeconds (and ≥ 5 times). */
export function measure(fn: () => void, minSeconds: number): { median: number; min: number } {
  fn();
  fn();
  const times: number[] = [];
  const start = now();
  while (times.length < 5 || (now() - start) / 1000 < minSeconds) {
    const t0 = now();
    fn();
    times.push(now() - t0);
    if (times.length >= 200) break;
  }
  times.sort((a, b) => a - b);
  return { median: times[Math.floor(times.length / 2)]!, min: times[0]! };
}

function fill(a: FloatArray, seed: number, scale: number, offset: number): void {
  let s = seed >>> 0 || 1;
  for (let i = 0; i < a.length; i += 2) {
    // xorshift32 + Box–Muller: normal samples, fast enough for tens of millions of elements
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    const u1 = (s + 0.5) / 4294967296;
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    const u2 = (s + 0.5) / 4294967296;
    const r = Math.sqrt(-2 * Math.log(u1));
    a[i] = offset + scale * r * Math.cos(2 * Math.PI * u2);
    if (i + 1 < a.length) a[i + 1] = offset + scale * r * Math.sin(2 * Math.PI * u2);
  }
}

interface Data {
  x: FloatArray;
  dy: FloatArray;
  y: FloatArray;
  dx: FloatArray;
  w: FloatArray;
  b: FloatArray;
  rm: FloatArray;
  rv: FloatArray;
}

/** One training backward as the engine runs it: reduce (Σdy, Σ(x−mean)·dy), then the elementwise dx. */
function backwardPass(be: Backend, d: Data, dims: NCS, st: { mean: Float64Array; invstd: Float64Array }): void {
  const r = be.backwardReduce({ dy: d.dy, x: d.x, dims, mean: st.mean });
  be.backwardElemt({
    dy: d.dy,
    x: d.x,
    dx: d.dx,
    dims,
    mean: st.mean,
    invstd: st.invstd,
    weight: d.w,
    sumDy: r.sumDy,
    sumDyXmu: r.sumDyXmu,
    count: dims.n * dims.s,
  });
}

function timeBackend(be: Backend, d: Data, dims: NCS, minSeconds: number): Record<Op, { median: number; min: number }> {
  const rm = d.rm.slice();
  const rv = d.rv.slice();
  const trainArgs = {
    x: d.x,
    y: d.y,
    dims,
    weight: d.w,
    bias: d.b,
    runningMean: rm,
    runningVar: rv,
    momentum: 0.1,
    eps: 1e-5,
  };
  // One untimed call gives the statistics the backward timing reuses.
  const st = be.forwardTrain(trainArgs);
  const train = measure(() => be.forwardTrain(trainArgs), minSeconds);
  const evalInv = Float64Array.from(d.rv, (v) => 1 / Math.sqrt(v + 1e-5));
  const evalT = measure(
    () => be.forwardEval({ x: d.x, y: d.y, dims, weight: d.w, bias: d.b, mean: d.rm, invstd: evalInv }),
    minSeconds,
  );
  const backward = measure(() => backwardPass(be, d, dims, st), minSeconds);
  return { train, eval: evalT, backward };
}

/**
 * The CUDA kernels with the tensors already on the device, as a stack's steps run them with residency
 * (no copies): each timed call ends with a device sync.
 */
function timeResident(
  dev: Device,
  d: Data,
  dims: NCS,
  minSeconds: number,
): Record<Op, { median: number; min: number }> {
  const dt: FloatDType = d.x instanceof Float32Array ? 'float32' : 'float64';
  const bufs: DeviceBuffer[] = [];
  const alloc = (bytes: number) => {
    const b = dev.alloc(bytes);
    bufs.push(b);
    return b;
  };
  const up = (a: FloatArray | Float64Array) => {
    const b = alloc(a.byteLength);
    dev.upload(b, a);
    return b;
  };
  const { n, c, s } = dims;
  const [x, dy, w, b, rm, rv] = [d.x, d.dy, d.w, d.b, d.rm.slice(), d.rv.slice()].map(up) as DeviceBuffer[];
  const [y, dx] = [alloc(d.y.byteLength), alloc(d.dx.byteLength)];
  const [mean, invstd, s1, s2] = [0, 0, 0, 0].map(() => alloc(c * 8)) as DeviceBuffer[];
  const evalMean = up(Float64Array.from(d.rm));
  const evalInv = up(Float64Array.from(d.rv, (v) => 1 / Math.sqrt(v + 1e-5)));
  const timed = (fn: () => void) =>
    measure(() => {
      fn();
      dev.sync();
    }, minSeconds);
  try {
    const train = timed(() => dev.bnTrain(dt, x!, y!, n, c, s, w!, b!, rm!, rv!, 0.1, 1e-5, mean!, invstd!));
    const evalT = timed(() => dev.bnEval(dt, x!, y!, n, c, s, w!, b!, evalMean, evalInv));
    const backward = timed(() => {
      dev.bnBackwardReduce(dt, dy!, x!, n, c, s, mean!, s1!, s2!);
      dev.bnBackwardElemt(dt, dy!, x!, dx!, n, c, s, mean!, invstd!, w!, s1!, s2!, n * s);
    });
    return { train, eval: evalT, backward };
  } finally {
    for (const buf of bufs) dev.release(buf);
  }
}

const TORCH_SCRIPT = String.raw`
import json, sys, time, numpy as np, torch, torch.nn.functional as F
cfg = json.load(sys.stdin)
torch.set_num_threads(cfg["threads"])
dt = {"float32": (np.float32, torch.float32), "float64": (np.float64, torch.float64)}[cfg["dtype"]]
def load(name, shape):
    return torch.from_numpy(np.fromfile(cfg["dir"] + "/" + name, dtype=dt[0]).reshape(shape))
def measure(fn, min_s):
    fn(); fn()
    ts = []
    t0 = time.perf_counter()
    while len(ts) < 5 or time.perf_counter() - t0 < min_s:
        a = time.perf_counter(); fn(); ts.append((time.perf_counter() - a) * 1e3)
        if len(ts) >= 200: break
    ts.sort()
    return {"median": ts[len(ts) // 2], "min": ts[0]}
out = {"torch": torch.__version__, "threads": torch.get_num_threads(), "shapes": []}
with torch.no_grad():
    for i, sh in enumerate(cfg["shapes"]):
        c = sh[1]
        x, dy = load(f"x{i}.bin", sh), load(f"dy{i}.bin", sh)
        w, b, rm, rv = (load(f"{k}{i}.bin", [c]) for k in ("w", "b", "rm", "rv"))
        ours_y, ours_dx = load(f"y{i}.bin", sh), load(f"dx{i}.bin", sh)
        rm1, rv1 = rm.clone(), rv.clone()
        r = {}
        r["train"] = measure(lambda: F.batch_norm(x, rm1, rv1, w, b, True, 0.1, 1e-5), cfg["min_s"])
        r["eval"] = measure(lambda: F.batch_norm(x, rm, rv, w, b, False, 0.1, 1e-5), cfg["min_s"])
        y, save_mean, save_invstd = torch.native_batch_norm(x, w, b, rm.clone(), rv.clone(), True, 0.1, 1e-5)
        bw = lambda: torch.ops.aten.native_batch_norm_backward(dy, x, w, rm, rv, save_mean, save_invstd, True, 1e-5, [True, True, True])
        r["backward"] = measure(bw, cfg["min_s"])
        dx = bw()[0]
        def rel(a, ref):
            return float(((a.double() - ref.double()).abs() / ref.double().abs().clamp_min(1.0)).max())
        agree = {"train y": rel(ours_y, y), "backward dx": rel(ours_dx, dx)}
        out["shapes"].append({"times": r, "agreement": agree})
print(json.dumps(out))
`;

interface TorchOut {
  torch: string;
  threads: number;
  shapes: { times: Record<Op, { median: number; min: number }>; agreement: Record<string, number> }[];
}

function ncsOf(shape: number[]): NCS {
  let s = 1;
  for (let i = 2; i < shape.length; i++) s *= shape[i]!;
  return { n: shape[0]!, c: shape[1]!, s };
}

/** `npm run bench -- [batchnorm] …`'s options (bench/run.ts; the flags are listed in bench/README.md). */
export function parseBatchNormArgs(argv: readonly string[]): BenchOptions {
  const a = parseBenchArgs(argv, {
    flags: ['no-torch'],
    options: ['dtype', 'threads', 'seconds'],
    repeatable: ['shape'],
  });
  const o: BenchOptions = {};
  const dtype = a.options.get('dtype');
  if (dtype !== undefined) {
    if (dtype !== 'float32' && dtype !== 'float64')
      throw new UsageError(`--dtype must be float32 or float64, got '${dtype}'`);
    o.dtype = dtype;
  }
  o.threads = positiveInt(a, 'threads');
  o.minSeconds = positiveNumber(a, 'seconds');
  o.shapes = shapeList(a, 'shape', 2, Infinity);
  if (a.flags.has('no-torch')) o.noTorch = true;
  return o;
}

export function runBatchNormBench(opts: BenchOptions = {}): BenchResult {
  const log = opts.log ?? ((l: string) => console.log(l));
  const shapes = opts.shapes ?? DEFAULT_SHAPES;
  const dtype = opts.dtype ?? 'float32';
  const minSeconds = opts.minSeconds ?? 0.4;
  const Arr = dtype === 'float32' ? Float32Array : Float64Array;
  const size = Arr.BYTES_PER_ELEMENT;
  const notes: string[] = [];

  const native = loadNativeBackends();
  const addon = loadAddon().addon;
  const threads = opts.threads ?? native.cpu.status.threads ?? 1;
  if (addon) setNativeThreads(threads);
  else notes.push(`native cpu not measured: ${native.cpu.reason}`);
  const py = opts.noTorch ? null : findTorchPython();
  if (!py)
    notes.push(opts.noTorch ? 'PyTorch skipped (--no-torch)' : 'PyTorch not measured: no python3 that imports torch');

  // The CUDA backend as the engine calls it: host arrays in, host arrays out, so its times include the
  // host↔device copies of every call (what `auto` costs on a GPU machine today).
  const cuda = native.cuda.backend;
  if (!cuda) notes.push(`cuda not measured: ${native.cuda.reason}`);
  // cuda-resident: the same kernels on tensors that stay on the device (a stack's steps with residency).
  const resident = cuda?.device ?? null;
  const engines = [
    'ts',
    ...(native.cpu.backend ? ['cpu'] : []),
    ...(cuda ? ['cuda'] : []),
    ...(resident ? ['cuda-resident'] : []),
    ...(py ? ['torch'] : []),
  ];
  const dir = mkdtempSync(join(tmpdir(), 'ns-bench-'));
  const results: ShapeResult[] = [];
  try {
    shapes.forEach((shape, i) => {
      const dims = ncsOf(shape);
      const total = dims.n * dims.c * dims.s;
      log(`measuring (${shape.join(', ')}) ${dtype}…`);
      const d: Data = {
        x: new Arr(total),
        dy: new Arr(total),
        y: new Arr(total),
        dx: new Arr(total),
        w: new Arr(dims.c),
        b: new Arr(dims.c),
        rm: new Arr(dims.c),
        rv: new Arr(dims.c),
      };
      fill(d.x, 11 + i, 2, 0.5);
      fill(d.dy, 23 + i, 1, 0);
      fill(d.w, 5, 0.2, 1);
      fill(d.b, 7, 0.2, 0);
      fill(d.rm, 9, 0.1, 0.5);
      fill(d.rv, 13, 0.1, 4);
      const per: Record<string, Record<Op, { median: number; min: number }>> = {};
      per.ts = timeBackend(tsBackend, d, dims, minSeconds);
      if (cuda) per.cuda = timeBackend(cuda, d, dims, minSeconds);
      if (resident) per['cuda-resident'] = timeResident(resident, d, dims, minSeconds);
      if (native.cpu.backend) per.cpu = timeBackend(native.cpu.backend, d, dims, minSeconds); // leaves y, dx for the agreement check
      // the copy reference is the best (minimum) time: "of copy" then never flatters the engines
      const copySet = measure(() => d.y.set(d.x), minSeconds).min;
      const copyNative = addon ? measure(() => addon.copy(d.y, d.x), minSeconds).min : null;
      if (native.cpu.backend) {
        // restore native outputs overwritten by the copy measurement, for PyTorch's agreement check
        const st = native.cpu.backend.forwardTrain({
          x: d.x,
          y: d.y,
          dims,
          weight: d.w,
          bias: d.b,
          runningMean: null,
          runningVar: null,
          momentum: 0.1,
          eps: 1e-5,
        });
        backwardPass(native.cpu.backend, d, dims, st);
      }
      const bestCopyMs = Math.min(copySet, copyNative ?? Infinity);
      for (const [k, v] of Object.entries({ x: d.x, dy: d.dy, y: d.y, dx: d.dx, w: d.w, b: d.b, rm: d.rm, rv: d.rv })) {
        writeFileSync(join(dir, `${k}${i}.bin`), new Uint8Array(v.buffer, v.byteOffset, v.byteLength));
      }
      results.push({
        shape,
        dims,
        elements: total,
        bytesPerElement: size,
        copy: { typedArraySetMs: copySet, nativeMs: copyNative, bestGBps: (2 * total * size) / (bestCopyMs * 1e6) },
        ops: Object.fromEntries(
          OPS.map((op) => [
            op,
            {
              ms: Object.fromEntries(Object.entries(per).map(([k, v]) => [k, v[op].median])),
              minMs: Object.fromEntries(Object.entries(per).map(([k, v]) => [k, v[op].min])),
              vsTorch: {},
              ofCopy: {},
            },
          ]),
        ) as Record<Op, OpResult>,
        agreement: null,
      });
    });

    let torchVersion: string | null = null;
    if (py) {
      log(`measuring PyTorch (${py}, ${threads} threads)…`);
      const cfg = { dir, dtype, threads, min_s: minSeconds, shapes };
      // Two runs: OpenMP's default (spinning) wait policy, and PASSIVE. On a shared, loaded machine
      // spinning threads stall each other for whole time slices; PyTorch gets the better of the two
      // per op, so the ratios never flatter the engine.
      const runs: TorchOut[] = [];
      for (const policy of ['default', 'PASSIVE']) {
        const env: NodeJS.ProcessEnv = {
          ...process.env,
          OMP_NUM_THREADS: String(threads),
          MKL_NUM_THREADS: String(threads),
        };
        if (policy === 'PASSIVE') env.OMP_WAIT_POLICY = 'PASSIVE';
        const r = spawnSync(py, ['-c', TORCH_SCRIPT], {
          input: JSON.stringify(cfg),
          encoding: 'utf8',
          maxBuffer: 1 << 24,
          timeout: 900_000,
          env,
        });
        if (r.status !== 0) {
          notes.push(
            `PyTorch run (OMP wait policy ${policy}) failed: ${(r.stderr || r.error?.message || '').trim().split('\n').slice(-3).join(' ')}`,
          );
          continue;
        }
        runs.push(JSON.parse(r.stdout) as TorchOut);
      }
      if (runs.length) {
        torchVersion = `${runs[0]!.torch} (${runs[0]!.threads} threads, best of OMP wait policies)`;
        results.forEach((res, i) => {
          for (const op of OPS) {
            res.ops[op].ms.torch = Math.min(...runs.map((o) => o.shapes[i]!.times[op].median));
            res.ops[op].minMs.torch = Math.min(...runs.map((o) => o.shapes[i]!.times[op].min));
          }
          if (native.cpu.backend) res.agreement = runs[0]!.shapes[i]!.agreement;
        });
      }
    }
    for (const res of results) {
      const copyBps = res.copy.bestGBps * 1e9;
      for (const op of OPS) {
        const o = res.ops[op];
        const floorBytes = FLOOR[op] * res.elements * res.bytesPerElement;
        for (const [k, ms] of Object.entries(o.ms)) {
          o.ofCopy[k] = ms === null ? null : floorBytes / (ms / 1000) / copyBps;
          o.vsTorch[k] = ms === null || !o.ms.torch ? null : ms / o.ms.torch;
        }
      }
    }
    return {
      date: new Date().toISOString(),
      dtype,
      threads,
      machine: {
        cpus: availableParallelism(),
        nativeIsa: addon?.info().isa ?? null,
        cudaDevice: cuda ? (native.cuda.status.device ?? 'unknown device') : null,
        torch: torchVersion,
      },
      engines,
      shapes: results,
      notes,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function f(v: number | null | undefined, digits = 2): string {
  return v === null || v === undefined ? '—' : v.toFixed(digits);
}

/** The result as a plain-text table: times, engine ÷ PyTorch, and share of the copy bandwidth. */
export function formatTable(r: BenchResult): string {
  const lines: string[] = [];
  lines.push(
    `BatchNorm kernels, ${r.dtype}, ${r.threads} thread(s); native ISA ${r.machine.nativeIsa ?? '—'}; PyTorch ${r.machine.torch ?? '—'}`,
  );
  if (r.machine.cudaDevice)
    lines.push(`cuda: ${r.machine.cudaDevice}; through Node, host↔device copies of every call included`);
  if (r.engines.includes('cuda-resident'))
    lines.push('cuda-resident: the same kernels on tensors already on the device (no copies), each call synced');
  lines.push(
    'floors per element: train 3·s, eval 2·s, backward 5·s bytes; copy 2·s (best copy time); times are medians (ms)',
  );
  // One column group per engine that ran (ts, cpu, and cuda where a device was present).
  const mine = r.engines.filter((e) => e !== 'torch');
  const table = (head: string[], rows: string[][]): void => {
    const all = [head, ...rows];
    const widths = head.map((_, i) => Math.max(...all.map((row) => row[i]!.length)));
    for (const row of all)
      lines.push(row.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  '));
  };
  const rows: string[][] = [];
  for (const s of r.shapes) {
    for (const op of OPS) {
      const o = s.ops[op];
      rows.push([
        `(${s.shape.join(',')})`,
        op,
        ...mine.map((e) => f(o.ms[e], 3)),
        f(o.ms.torch, 3),
        ...mine.map((e) => f(o.vsTorch[e])),
        ...mine.map((e) => f(o.ofCopy[e])),
        f(o.ofCopy.torch),
        f(s.copy.bestGBps, 1),
      ]);
    }
  }
  table(
    [
      'shape',
      'op',
      ...mine.map((e) => `${e} ms`),
      'torch ms',
      ...mine.map((e) => `${e}/torch`),
      ...mine.map((e) => `${e} of copy`),
      'torch of copy',
      'copy GB/s',
    ],
    rows,
  );
  // Best-of-run ratios: the machine is shared, and minima are the least disturbed by other load.
  lines.push('');
  lines.push('best-of-run (minimum times): engine ÷ PyTorch');
  const rows2: string[][] = [];
  for (const s of r.shapes) {
    for (const op of OPS) {
      const m = s.ops[op].minMs;
      const ratio = (k: string): number | null => (m[k] && m.torch ? m[k]! / m.torch : null);
      rows2.push([
        `(${s.shape.join(',')})`,
        op,
        ...mine.map((e) => f(m[e], 3)),
        f(m.torch, 3),
        ...mine.map((e) => f(ratio(e))),
      ]);
    }
  }
  table(['shape', 'op', ...mine.map((e) => `${e} min ms`), 'torch min ms', ...mine.map((e) => `${e}/torch`)], rows2);
  for (const s of r.shapes) {
    if (s.agreement) {
      lines.push(
        `agreement native vs PyTorch (${s.shape.join(',')}): ${Object.entries(s.agreement)
          .map(([k, v]) => `${k} ${v.toExponential(1)}`)
          .join(', ')}`,
      );
    }
  }
  for (const n of r.notes) lines.push(`note: ${n}`);
  return lines.join('\n');
}
