/**
 * The CUDA backend as the engine uses it — through Node and the addon — checked against the native CPU
 * backend (itself checked against PyTorch by the parity suite) and timed, copies included. For a GPU
 * machine without Node or npm: tools/prepare-gpu-node-check.mjs bundles this file with the engine into
 * one script and packs a Node binary and the built addon next to it; native/gpu-check/node-run.sh runs
 * them there. Without a GPU it says why CUDA is unavailable and checks nothing else (exit 0).
 *
 *   node node-check.mjs OUT.json [--pair cpu,ts]     (NORMSCOPE_ADDON names the addon)
 *
 * `--pair A,B` checks backend A against B instead of cuda against cpu: with cpu,ts this runs the whole
 * check on a machine without a GPU, which is how the script itself is tested (nodeCheck.test.ts).
 */
import { writeFileSync } from 'node:fs';
import type { Backend, NCS } from '../../engine/backend/backend.js';
import { loadNativeBackends } from '../../engine/backend/nativeLoader.js';
import { tsBackend } from '../../engine/backend/tsKernels.js';
import { measure } from '../../bench/batchnorm.bench.js';
import type { FloatArray } from '../../engine/tensor/dtype.js';
import type { BackendName } from '../../engine/backend/backend.js';
import { checkResidency } from './residencyCheck.js';

type Ctor = Float32ArrayConstructor | Float64ArrayConstructor;

/**
 * Deterministic normal-ish data (sum of uniforms) with per-channel means from −3·offset to 3·offset, so
 * the shift matters. (Means thousands of standard deviations away, or weights in the thousands, make
 * float32's y = x·α + β cancel catastrophically in PyTorch's formulation, on every backend alike.)
 */
function data(T: Ctor, { n, c, s }: NCS, seed: number, offset: number): FloatArray {
  const a = new T(n * c * s);
  let st = seed >>> 0 || 1;
  const u = () => {
    st ^= st << 13;
    st ^= st >>> 17;
    st ^= st << 5;
    return (st >>> 0) / 4294967296;
  };
  for (let i = 0; i < a.length; i++) a[i] = offset * (((Math.floor(i / s) % c) % 7) - 3) + (u() + u() + u() - 1.5) * 2;
  return a;
}

function maxRel(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!) / Math.max(1, Math.abs(b[i]!)));
  return a.length === b.length ? m : Infinity;
}

interface CaseResult {
  shape: string;
  dtype: string;
  worst: Record<string, number>;
  ok: boolean;
}

/** Every kernel on CUDA and on the CPU backend with the same inputs; the largest relative difference. */
function compare(cuda: Backend, cpu: Backend, T: Ctor, dims: NCS, tol: number): CaseResult {
  const { c } = dims;
  const x = data(T, dims, 11, 3);
  const dy = data(T, dims, 12, 0);
  const w = data(T, { n: 1, c, s: 1 }, 13, 0).map((v: number) => 1 + v / 4);
  const b = data(T, { n: 1, c, s: 1 }, 14, 0);
  const worst: Record<string, number> = {};
  const note = (k: string, v: number) => (worst[k] = Math.max(worst[k] ?? 0, v));
  const run = (be: Backend) => {
    const y = new T(x.length);
    const rm = new T(c).fill(0.1);
    const rv = new T(c).fill(2);
    const st = be.batchStats(x, dims);
    const tr = be.forwardTrain({
      x,
      y,
      dims,
      weight: w,
      bias: b,
      runningMean: rm,
      runningVar: rv,
      momentum: 0.1,
      eps: 1e-5,
    });
    const ye = new T(x.length);
    be.forwardEval({
      x,
      y: ye,
      dims,
      weight: w,
      bias: b,
      mean: rm,
      invstd: Float64Array.from(rv, (v) => 1 / Math.sqrt(v + 1e-5)),
    });
    const red = be.backwardReduce({ dy, x, dims, mean: tr.mean });
    const dx = new T(x.length);
    be.backwardElemt({
      dy,
      x,
      dx,
      dims,
      mean: tr.mean,
      invstd: tr.invstd,
      weight: w,
      sumDy: red.sumDy,
      sumDyXmu: red.sumDyXmu,
      count: dims.n * dims.s,
    });
    const dxe = new T(x.length);
    be.backwardEvalElemt({ dy, dx: dxe, dims, invstd: tr.invstd, weight: w });
    return { st, tr, y, rm, rv, ye, red, dx, dxe };
  };
  const g = run(cuda);
  const h = run(cpu);
  note('batch mean', maxRel(g.st.mean, h.st.mean));
  note('batch var', maxRel(g.st.varBiased, h.st.varBiased));
  note('saved invstd', maxRel(g.tr.invstd, h.tr.invstd));
  note('train y', maxRel(g.y, h.y));
  note('running stats', Math.max(maxRel(g.rm, h.rm), maxRel(g.rv, h.rv)));
  note('eval y', maxRel(g.ye, h.ye));
  note('sum dy', maxRel(g.red.sumDy, h.red.sumDy) / Math.max(1, Math.sqrt(dims.n * dims.s)));
  note('sum dy·xmu', maxRel(g.red.sumDyXmu, h.red.sumDyXmu) / Math.max(1, Math.sqrt(dims.n * dims.s)));
  // dx = invstd·w·(dy − mean(dy) − x̂·mean(dy·x̂)): compared without the invstd·w factor, which only
  // scales the rounding of the bracket (huge when a channel's few samples nearly coincide).
  const unscale = (dx: FloatArray) =>
    Float64Array.from(
      dx,
      (v, i) => v / (h.tr.invstd[Math.floor(i / dims.s) % c]! * Math.abs(w[Math.floor(i / dims.s) % c]!)),
    );
  note('dx', maxRel(unscale(g.dx), unscale(h.dx)));
  note('eval dx', maxRel(g.dxe, h.dxe));
  const ok = Object.values(worst).every((v) => v <= tol);
  return { shape: `(${dims.n},${dims.c},${dims.s})`, dtype: T.name.replace('Array', '').toLowerCase(), worst, ok };
}

const out = process.argv[2] ?? 'node-check.json';
const pairAt = process.argv.indexOf('--pair');
const [nameA, nameB] = (pairAt > 0 ? process.argv[pairAt + 1]! : 'cuda,cpu').split(',') as [string, string];
const backends = loadNativeBackends();
const byName: Record<string, Backend | null> = {
  cuda: backends.cuda.backend,
  cpu: backends.cpu.backend,
  ts: tsBackend,
};
const reasons: Record<string, string | null> = { cuda: backends.cuda.reason, cpu: backends.cpu.reason, ts: null };
const report: Record<string, unknown> = {
  node: process.version,
  cudaDevice: backends.cuda.status.device ?? null,
  pair: [nameA, nameB],
  cpu: backends.cpu.reason ?? 'available',
  cuda: backends.cuda.reason ?? 'available',
};
let failed = 0;
const checked = byName[nameA];
const reference = byName[nameB];
if (!checked || !reference) {
  const missing = !checked ? nameA : nameB;
  console.log(`node-check: ${missing} through Node is unavailable here: ${reasons[missing] ?? 'unknown backend'}`);
} else {
  const cuda = checked;
  const cpu = reference;
  const device = (name: string) => (name === 'cuda' || name === 'cpu' ? backends[name].status.device : undefined);
  console.log(
    `node-check: ${nameA} (${device(nameA) ?? 'TypeScript'}) against ${nameB} (${device(nameB) ?? 'TypeScript'})`,
  );
  const shapes: NCS[] = [
    { n: 4, c: 3, s: 1 },
    { n: 256, c: 1024, s: 1 },
    { n: 16, c: 8192, s: 1 },
    { n: 70000, c: 2, s: 1 },
    { n: 8, c: 64, s: 15 },
    { n: 8, c: 256, s: 784 },
    { n: 32, c: 64, s: 3136 },
    { n: 3, c: 1, s: 200000 },
    { n: 5, c: 7, s: 1025 },
  ];
  const cases: CaseResult[] = [];
  for (const dims of shapes) {
    cases.push(compare(cuda, cpu, Float32Array, dims, 2e-5));
    cases.push(compare(cuda, cpu, Float64Array, dims, 1e-10));
  }
  for (const r of cases) {
    if (!r.ok) failed++;
    const top = Object.entries(r.worst).sort((p, q) => q[1] - p[1])[0]!;
    console.log(`${r.ok ? 'ok  ' : 'FAIL'} ${r.dtype} ${r.shape}: worst ${top[0]} ${top[1].toExponential(2)}`);
  }
  // Errors are engine errors, never crashes.
  let typed = false;
  try {
    cuda.forwardEval({
      x: new Float32Array(5),
      y: new Float32Array(5),
      dims: { n: 2, c: 2, s: 2 },
      weight: null,
      bias: null,
      mean: new Float64Array(2),
      invstd: new Float64Array(2),
    });
  } catch (e) {
    typed = (e as Error).name === 'RuntimeError';
  }
  if (!typed) failed++;
  // Through Node, copies included (the CUDA wrapper copies host arrays to the device and back per call).
  const timing = [
    [32, 64, 3136],
    [256, 1024, 1],
    [8, 256, 784],
    [4, 32, 16384],
  ].map(([n, c, s]) => {
    const dims = { n: n!, c: c!, s: s! };
    const x = data(Float32Array, dims, 1, 1);
    const y = new Float32Array(x.length);
    const args = (be: Backend) => () =>
      be.forwardTrain({
        x,
        y,
        dims,
        weight: null,
        bias: null,
        runningMean: null,
        runningVar: null,
        momentum: 0.1,
        eps: 1e-5,
      });
    const gpu = measure(args(cuda), 0.3).median;
    const host = measure(args(cpu), 0.3).median;
    console.log(
      `train (${n},${c},${s}) float32: ${nameA} via Node ${gpu.toFixed(3)} ms, ${nameB} ${host.toFixed(3)} ms`,
    );
    return { shape: [n, c, s], [`${nameA}Ms`]: gpu, [`${nameB}Ms`]: host };
  });
  // A stack's tensors stay on the device between steps (only when the checked backend has a device).
  let residency: unknown = `skipped: ${nameA} keeps tensors on the host`;
  if (cuda.device) {
    const r = checkResidency(nameA as BackendName, nameB as BackendName, /emulator/i.test(device(nameA) ?? ''));
    if (!r.ok) failed++;
    const s0 = r.perStep[0];
    console.log(
      `${r.ok ? 'ok  ' : 'FAIL'} residency: stack ${r.shape.join('×')} × ${r.steps} steps, worst loss ${r.worstLoss.toExponential(2)}, ` +
        `param ${r.worstParam.toExponential(2)}; per step ${s0?.up} B up / ${s0?.down} B down (boundary ${s0?.boundaryUp} / ${s0?.boundaryDown}); ` +
        `step ${r.deviceStepMs.toFixed(2)} ms on ${nameA}, ${r.hostStepMs.toFixed(2)} ms on ${nameB}`,
    );
    residency = r;
  }
  Object.assign(report, { cases, typedErrors: typed, trainTiming: timing, residency, failed });
}
writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
console.log(`node-check: ${failed === 0 ? 'passed' : `${failed} FAILED`}; wrote ${out}`);
process.exitCode = failed === 0 ? 0 : 1;
