/**
 * The stepping session: one built stack and the state a person steps through (input batch,
 * train/eval flag, step count, snapshots, running-stat history). Runs inside the engine worker.
 * Its parts live beside it: the input batch (sessionInput.ts), the timelines (sessionTimeline.ts),
 * the train-vs-eval comparison (sessionCompare.ts) and the state-dict view (sessionStateDict.ts);
 * state is copied and put back with the engine's StateCopy.
 */
import {
  buildStack,
  convertSyncBatchnorm,
  manualSeed,
  noGrad,
  objectiveBackward,
  objectiveTarget,
  StateCopy,
  stepOptimizer,
  specOf,
  specTree,
  tidy,
  type Module,
  type Sequential,
  type Tensor,
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
import { inspectLayer } from './inspect.js';
import { compareTrainEval } from './sessionCompare.js';
import { generateInput } from './sessionInput.js';
import { stateDictView } from './sessionStateDict.js';
import { StepTimelines } from './sessionTimeline.js';
import { summarize } from './summary.js';
import { isNorm, layerTraces, tracedForward, type Trace } from './trace.js';

/** The state at a step, to roll back to. */
interface Snapshot {
  step: number;
  state: StateCopy;
}

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
  private readonly timelines = new StepTimelines();

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
    this.x = generateInput(cfg);
    this.input = { ...cfg, shape: [...cfg.shape] };
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
      this.timelines.record(trace, this.step);
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
    this.timelines.record(trace, this.step);
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
      const keepBuffers = what === 'params' ? StateCopy.of(model, 'buffers') : null;
      manualSeed(this.seed);
      this.model = buildStack(this.spec!);
      this.model.train(this.training);
      // By key into the rebuilt stack: what the old one's buffers still fit (see StateCopy).
      keepBuffers?.restoreInto(this.model, { strict: false });
      if (what === 'all') {
        this.step = 0;
        this.timelines.clear();
      }
    }
    this.lastTrace = null;
    return this.state();
  }

  snapshot(): SessionState {
    const model = this.need();
    this.snapshots.push({ step: this.step, state: StateCopy.of(model) });
    return this.state();
  }

  rollback(): SessionState {
    const model = this.need();
    const snap = this.snapshots.pop();
    if (!snap) throw new RangeError('no snapshot to roll back to: take one first');
    // By key: the stack may have been rebuilt (reset) or converted since the snapshot; a lazy layer
    // materialized since keeps its parameters.
    snap.state.restoreInto(model, { strict: false });
    this.step = snap.step;
    // The timeline goes back with the buffers: drop what was recorded after the snapshot.
    this.timelines.dropAfter(snap.step);
    this.lastTrace = null;
    return this.state();
  }

  /** The same batch in train and in eval, without changing any state (buffers restored after). */
  compare(): CompareResult {
    return compareTrainEval(this.need(), this.x!);
  }

  inspect(path: string): LayerInspection {
    const model = this.need();
    const mod = [...model.namedModules()].find(([p]) => p === path)?.[1];
    if (!mod || !isNorm(mod)) throw new RangeError(`no BatchNorm layer at ${JSON.stringify(path)}`);
    const rec = this.lastTrace?.records.find((r) => r.path === path) ?? null;
    const firstBad = this.lastTrace?.records.find((r) => !summarize(r.output).finite);
    return inspectLayer(path, mod, rec, this.timelines.get(path), firstBad?.path ?? null);
  }

  stateDictView(): StateDictView {
    return stateDictView(this.need());
  }
}

export { CancelledError };
