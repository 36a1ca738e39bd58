/**
 * The stepping session: one built stack, its input generator, and the state a person steps through
 * (train/eval flag, step count, snapshots, running-stat history). Runs inside the engine worker.
 */
import {
  buildStack,
  convertSyncBatchnorm,
  Generator,
  manualSeed,
  noGrad,
  objectiveBackward,
  objectiveTarget,
  stepOptimizer,
  specOf,
  specTree,
  Tensor,
  tidy,
  type Sequential,
  type Module,
} from '../../engine/index.js';
import type {
  CompareResult,
  FeatureStatus,
  InputConfig,
  LayerInspection,
  RunResult,
  SessionState,
  StackSummary,
  StateDictView,
  StepResult,
} from '../shared/contract.js';
import type { LayerSpec, StackSpec } from '../shared/stackSpec.js';
import { CancelledError, NotAvailableError } from './errors.js';
import type { HostContext } from './handlers.js';
import { inspectLayer, type Timeline } from './inspect.js';
import { summarize } from './summary.js';
import { isNorm, layerTraces, tracedForward, type Trace } from './trace.js';

interface Snapshot {
  step: number;
  tensors: Map<string, Float32Array | Float64Array | BigInt64Array | Int32Array | Uint8Array>;
}

const MAX_TIMELINE = 5000;

export class Session {
  private model: Module | null = null;
  private spec: StackSpec | null = null;
  private seed = 0;
  private inputShape: number[] = [];
  private input: InputConfig | null = null;
  private x: Tensor | null = null;
  private target: Tensor | null = null;
  private training = true;
  private step = 0;
  private lastLoss: number | null = null;
  private lastTrace: Trace | null = null;
  private snapshots: Snapshot[] = [];
  private timelines = new Map<string, Timeline>();

  constructor(private readonly ctx: HostContext) {}

  engineStatus(): FeatureStatus {
    return { available: true, reason: null };
  }

  private need(): Module {
    if (!this.model) throw new NotAvailableError('no stack is built yet: build one in the Stack builder');
    return this.model;
  }

  /** The built stack and its spec (for loading/exporting state dicts). */
  current(): { model: Module; spec: StackSpec } {
    return { model: this.need(), spec: this.spec! };
  }

  /** What the ranks need: the spec, the session's batch, the seed and the learning rate. */
  rankInputs(lr: number): { spec: StackSpec; shape: number[]; data: Float32Array; seed: number; lr: number } {
    this.need();
    const x = this.x!;
    return {
      spec: this.spec!,
      shape: [...x.shape],
      data: Float32Array.from(x.hostView() as Float32Array),
      seed: this.seed,
      lr,
    };
  }

  /** After a state dict was loaded into the stack: the last forward no longer describes it. */
  invalidate(): void {
    this.lastTrace = null;
  }

  build(spec: StackSpec, inputShape: number[], seed: number): StackSummary {
    manualSeed(seed);
    const model = buildStack(spec);
    model.train(this.training);
    this.model = model;
    this.spec = spec;
    this.seed = seed;
    this.inputShape = [...inputShape];
    this.step = 0;
    this.lastLoss = null;
    this.lastTrace = null;
    this.snapshots = [];
    this.timelines.clear();
    if (!this.input || this.input.shape.join() !== inputShape.join()) {
      this.setInput({ shape: [...inputShape], distribution: 'normal', mean: 0, std: 1, channelShift: 0, seed });
    } else this.target = null; // the output's shape may have changed
    return this.summary();
  }

  private summary(): StackSummary {
    const model = this.need();
    const normLayers = [...model.namedModules()].filter(([, m]) => isNorm(m)).map(([p]) => p);
    let parameterCount = 0;
    for (const p of model.parameters()) parameterCount += p.isUninitialized() ? 0 : p.numel();
    const tree = specTree(this.spec!);
    return {
      tree,
      repr: model.toString(),
      parameterCount,
      normLayers,
      inputShape: [...this.inputShape],
    };
  }

  /**
   * torch.nn.SyncBatchNorm.convert_sync_batchnorm on the built stack: each BatchNorm becomes a
   * SyncBatchNorm sharing its weight, bias, running statistics and counter. Step, snapshots and
   * timelines stay (the state dict's keys do not change); the last forward described other modules.
   */
  convertSync(): { spec: StackSpec; summary: StackSummary; converted: string[] } {
    const before = new Map(this.need().namedModules());
    const model = convertSyncBatchnorm(this.need()) as Sequential;
    const converted = [...model.namedModules()].filter(([p, m]) => before.get(p) !== m).map(([p]) => p);
    this.model = model;
    this.spec = { layers: (specOf(model) as { layers: LayerSpec[] }).layers };
    this.lastTrace = null;
    return { spec: this.spec, summary: this.summary(), converted };
  }

  state(): SessionState {
    return {
      built: this.model !== null,
      step: this.step,
      training: this.training,
      input: this.input,
      snapshots: this.snapshots.length,
      lastLoss: this.lastLoss,
    };
  }

  setInput(cfg: InputConfig): SessionState {
    const n = cfg.shape.reduce((a, b) => a * b, 1);
    if (n > 1 << 24)
      throw new RangeError(`input of ${n} elements is too large for the stepping view (limit 16,777,216)`);
    const g = new Generator(cfg.seed);
    const data = new Float32Array(n);
    const C = cfg.shape.length > 1 ? cfg.shape[1]! : 1;
    const S = cfg.shape.slice(2).reduce((a, b) => a * b, 1);
    for (let i = 0; i < n; i++) {
      const c = Math.floor(i / S) % C;
      const z = cfg.distribution === 'normal' ? g.normal() : (g.uniform() * 2 - 1) * Math.sqrt(3);
      data[i] = cfg.mean + cfg.std * z + c * cfg.channelShift;
    }
    this.input = { ...cfg, shape: [...cfg.shape] };
    this.x = new Tensor(data, cfg.shape);
    this.target = null;
    return this.state();
  }

  setMode(training: boolean): SessionState {
    this.training = training;
    this.model?.train(training);
    return this.state();
  }

  private result(kind: StepResult['kind'], trace: Trace, loss: number | null, t0: number): StepResult {
    return {
      step: this.step,
      mode: this.training ? 'train' : 'eval',
      kind,
      loss,
      layers: layerTraces(trace),
      elapsedMs: performance.now() - t0,
    };
  }

  private recordTimeline(trace: Trace): void {
    for (const r of trace.records) {
      if (!isNorm(r.module) || !r.module.runningMean || !r.module.runningVar) continue;
      let tl = this.timelines.get(r.path);
      if (!tl) this.timelines.set(r.path, (tl = { steps: [], mean: [], var: [] }));
      if (tl.steps.length >= MAX_TIMELINE) continue;
      tl.steps.push(this.step);
      tl.mean.push(summarize(r.module.runningMean).mean ?? NaN);
      tl.var.push(summarize(r.module.runningVar).mean ?? NaN);
    }
  }

  forward(): StepResult {
    const t0 = performance.now();
    const { trace, loss } = this.once(false, 0);
    return this.result('forward', trace, loss, t0);
  }

  trainStep(lr: number): StepResult {
    const t0 = performance.now();
    const { trace, loss } = this.once(true, lr);
    return this.result('train', trace, loss, t0);
  }

  /**
   * One step; the per-layer view for the window is built only by result(), when it is shown. In tidy():
   * the gradients and temporaries of the step go back to the host allocator's cache (the trace, which
   * is returned, keeps the layer outputs it records).
   */
  private once(train: boolean, lr: number): { trace: Trace; loss: number | null } {
    return tidy(() => this.onceUntidy(train, lr));
  }

  private onceUntidy(train: boolean, lr: number): { trace: Trace; loss: number | null } {
    const model = this.need();
    if (!train) {
      const trace = noGrad(() => tracedForward(model, this.x!));
      this.step++;
      this.lastTrace = trace;
      this.lastLoss = null;
      this.recordTimeline(trace);
      return { trace, loss: null };
    }
    model.zeroGrad();
    const trace = tracedForward(model, this.x!);
    // The shared training step (engine/optim/objective.ts): L = ½·mean(y²), then SGD(lr). The zero
    // target is kept, so on a device it goes up once.
    this.target ??= objectiveTarget(trace.output);
    const loss = objectiveBackward(trace.output, this.target);
    // Built after the forward so Lazy layers' parameters are materialized by then.
    stepOptimizer(model.parameters(), lr).step();
    this.step++;
    this.lastTrace = trace;
    this.lastLoss = loss;
    this.recordTimeline(trace);
    return { trace, loss };
  }

  async run(jobId: string, steps: number, lr: number, train: boolean): Promise<RunResult> {
    this.need();
    const losses = new Float64Array(steps).fill(NaN);
    const t0 = performance.now();
    let last: StepResult | null = null;
    let lastEmit = 0;
    let done = 0;
    let cancelled = false;
    for (; done < steps; done++) {
      if (this.ctx.cancelled(jobId)) {
        cancelled = true;
        break;
      }
      const ts = performance.now();
      const { trace, loss } = this.once(train, lr);
      losses[done] = loss ?? NaN;
      const now = performance.now();
      if (now - lastEmit > 50 || done === steps - 1) {
        lastEmit = now;
        last = this.result(train ? 'train' : 'forward', trace, loss, ts);
        this.ctx.emit('progress', { jobId, done: done + 1, total: steps, label: `step ${this.step}` });
        this.ctx.emit('step', last);
        await new Promise((r) => setImmediate(r)); // lets job.cancel through
      }
    }
    const secs = (performance.now() - t0) / 1000;
    return {
      stepsDone: done,
      cancelled,
      last,
      losses: losses.slice(0, done),
      stepsPerSecond: secs > 0 ? done / secs : 0,
    };
  }

  reset(what: 'stats' | 'params' | 'all'): SessionState {
    const model = this.need();
    if (what === 'stats') {
      for (const m of model.modules()) if (isNorm(m)) m.resetRunningStats();
    } else {
      const keepBuffers = what === 'params' ? this.capture(model, 'buffers') : null;
      manualSeed(this.seed);
      this.model = buildStack(this.spec!);
      this.model.train(this.training);
      if (keepBuffers) this.restore(this.model, keepBuffers);
      if (what === 'all') {
        this.step = 0;
        this.timelines.clear();
      }
    }
    this.lastTrace = null;
    return this.state();
  }

  private capture(model: Module, which: 'buffers' | 'all'): Snapshot['tensors'] {
    const out: Snapshot['tensors'] = new Map();
    const sd = model.stateDict();
    for (const [k, t] of sd) if (which === 'all' || !t.isParameter) out.set(k, t.hostView().slice() as never);
    return out;
  }

  private restore(model: Module, tensors: Snapshot['tensors']): void {
    const live = new Map<string, Tensor>([...model.namedParameters(), ...model.namedBuffers()]);
    for (const [k, data] of tensors) {
      const t = live.get(k);
      if (t && t.data.length === data.length) (t.data as { set(a: ArrayLike<unknown>): void }).set(data as never);
    }
  }

  snapshot(): SessionState {
    const model = this.need();
    this.snapshots.push({ step: this.step, tensors: this.capture(model, 'all') });
    return this.state();
  }

  rollback(): SessionState {
    const model = this.need();
    const snap = this.snapshots.pop();
    if (!snap) throw new RangeError('no snapshot to roll back to: take one first');
    this.restore(model, snap.tensors);
    this.step = snap.step;
    // The timeline goes back with the buffers: drop what was recorded after the snapshot.
    for (const tl of this.timelines.values()) {
      let k = tl.steps.length;
      while (k > 0 && tl.steps[k - 1]! > snap.step) k--;
      tl.steps.length = tl.mean.length = tl.var.length = k;
    }
    this.lastTrace = null;
    return this.state();
  }

  /** The same batch in train and in eval, without changing any state (buffers restored after). */
  compare(): CompareResult {
    const model = this.need();
    const saved = this.capture(model, 'buffers');
    const wasTraining = model.training;
    try {
      const train = noGrad(() => tracedForward(model.train(true), this.x!, false));
      this.restore(model, saved);
      const ev = noGrad(() => tracedForward(model.train(false), this.x!, false));
      const rows = train.records.map((r, i) => {
        const e = ev.records[i]!;
        let maxAbsDiff = 0;
        for (let k = 0; k < r.output.numel(); k++)
          maxAbsDiff = Math.max(maxAbsDiff, Math.abs(r.output.getFlat(k) - e.output.getFlat(k)));
        return {
          path: r.path,
          type: r.module.getName(),
          train: summarize(r.output),
          eval: summarize(e.output),
          maxAbsDiff,
        };
      });
      const first = rows.find((r) => !(r.maxAbsDiff <= 1e-6));
      return { rows, firstDivergent: first ? first.path : null };
    } finally {
      this.restore(model, saved);
      model.train(wasTraining);
    }
  }

  inspect(path: string): LayerInspection {
    const model = this.need();
    const mod = [...model.namedModules()].find(([p]) => p === path)?.[1];
    if (!mod || !isNorm(mod)) throw new RangeError(`no BatchNorm layer at ${JSON.stringify(path)}`);
    const rec = this.lastTrace?.records.find((r) => r.path === path) ?? null;
    const firstBad = this.lastTrace?.records.find((r) => !summarize(r.output).finite);
    return inspectLayer(path, mod, rec, this.timelines.get(path) ?? null, firstBad?.path ?? null);
  }

  stateDictView(): StateDictView {
    const model = this.need();
    const sd = model.stateDict();
    const entries = [...sd].map(([key, t]) => ({
      key,
      shape: [...t.shape],
      dtype: t.dtype,
      kind: t.isParameter ? ('parameter' as const) : ('buffer' as const),
    }));
    const params = new Set([...model.namedParameters()].map(([k]) => k));
    for (const e of entries) e.kind = params.has(e.key) ? 'parameter' : 'buffer';
    const metadata = [...sd.metadata].map(([prefix, md]) => ({
      prefix,
      version: typeof md.version === 'number' ? md.version : null,
    }));
    return { entries, metadata };
  }
}

export { CancelledError };
