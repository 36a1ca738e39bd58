/**
 * Replays a BatchNorm scenario (see tools/parity_fixtures/scenario.py for the format) on the engine
 * and compares every step with what PyTorch recorded. The same replay serves the committed
 * fixtures and the live differential test.
 */
import { BatchNorm1d, BatchNorm2d, BatchNorm3d, SyncBatchNorm, type BatchNorm, type Tensor } from '../../index.js';
import type { DType } from '../../index.js';
import { captureEngine, toTensor, type EncError, type EncTensor } from './fixtures.js';
import { compareError, compareExact, compareTensor } from './compare.js';

export interface ScenarioArgs {
  numFeatures: number;
  eps?: number;
  momentum?: number | null;
  affine?: boolean;
  trackRunningStats?: boolean;
  dtype?: DType;
}

export interface ModuleStateRecord {
  weight?: EncTensor | null;
  bias?: EncTensor | null;
  runningMean: EncTensor | null;
  runningVar: EncTensor | null;
  numBatchesTracked: number | null;
  numBatchesTrackedDtype?: string | null;
}

export interface StepResult {
  output?: EncTensor;
  gradInput?: EncTensor | null;
  gradWeight?: EncTensor | null;
  gradBias?: EncTensor | null;
  error?: EncError;
  /** PyTorch's error from y.backward() (e.g. nothing requires grad). */
  backwardError?: EncError;
  state: ModuleStateRecord;
}

export type ScenarioStep =
  | {
      op: 'forward';
      mode: 'train' | 'eval';
      input: EncTensor;
      gradOut?: EncTensor | null;
      /** Keep weight/bias grads from earlier steps (they add up, as PyTorch's .grad does). */
      accumulate?: boolean;
      /** false: the input does not require grad (only weight/bias grads flow). Default true. */
      inputGrad?: boolean;
      expect?: StepResult;
    }
  | {
      op: 'set';
      /** requiresGrad freezes or unfreezes weight and bias (a frozen BN while fine-tuning). */
      attr: 'trackRunningStats' | 'momentum' | 'eps' | 'requiresGrad';
      value: number | boolean | null;
      expect?: StepResult;
    }
  | { op: 'setBuffer'; name: 'runningMean' | 'runningVar'; value: EncTensor; expect?: StepResult }
  | { op: 'resetRunningStats' | 'resetParameters'; expect?: StepResult };

export interface Scenario {
  name: string;
  area?: number | string;
  class: 'BatchNorm1d' | 'BatchNorm2d' | 'BatchNorm3d' | 'SyncBatchNorm';
  args: ScenarioArgs;
  init?: {
    weight?: EncTensor;
    bias?: EncTensor;
    runningMean?: EncTensor;
    runningVar?: EncTensor;
    numBatchesTracked?: number;
  } | null;
  steps: ScenarioStep[];
  /** 'float64': the expectations are PyTorch's float64 results on these float32 inputs (see the generator). */
  reference?: 'float64';
}

const CLASSES = { BatchNorm1d, BatchNorm2d, BatchNorm3d, SyncBatchNorm };

/** Builds the module with only the options the scenario names (the rest take the engine's defaults). */
export function buildModule(cls: Scenario['class'], args: ScenarioArgs): BatchNorm {
  const opts: Record<string, unknown> = {};
  for (const k of ['eps', 'momentum', 'affine', 'trackRunningStats'] as const) if (k in args) opts[k] = args[k];
  opts.dtype = args.dtype ?? 'float32';
  return new CLASSES[cls](args.numFeatures, opts);
}

function applyInit(m: BatchNorm, init: Scenario['init']): void {
  if (!init) return;
  if (init.weight) m.weight!.copy_(toTensor(init.weight));
  if (init.bias) m.bias!.copy_(toTensor(init.bias));
  if (init.runningMean) m.runningMean!.copy_(toTensor(init.runningMean));
  if (init.runningVar) m.runningVar!.copy_(toTensor(init.runningVar));
  if (init.numBatchesTracked !== undefined) m.numBatchesTracked!.fill_(init.numBatchesTracked);
}

/** The module's state in the fixture's terms. */
export function moduleState(m: BatchNorm): {
  tensors: Record<string, Tensor | null>;
  counter: number | null;
  counterDtype: string | null;
} {
  const nbt = m.numBatchesTracked;
  return {
    tensors: { weight: m.weight, bias: m.bias, runningMean: m.runningMean, runningVar: m.runningVar },
    counter: nbt ? nbt.item() : null,
    counterDtype: nbt ? nbt.dtype : null,
  };
}

/** Compares a module's state with a recorded one. */
export function compareState(problems: string[], what: string, m: BatchNorm, want: ModuleStateRecord): void {
  const s = moduleState(m);
  for (const k of ['weight', 'bias', 'runningMean', 'runningVar'] as const) {
    compareTensor(problems, `${what} ${k}`, s.tensors[k], want[k]);
  }
  compareExact(problems, `${what} numBatchesTracked`, s.counter, want.numBatchesTracked);
  compareExact(problems, `${what} numBatchesTracked dtype`, s.counterDtype, want.numBatchesTrackedDtype);
}

function forwardStep(
  m: BatchNorm,
  step: Extract<ScenarioStep, { op: 'forward' }>,
  label: string,
  problems: string[],
): void {
  const want = step.expect!;
  if (step.mode === 'train') m.train();
  else m.eval();
  const grad = step.gradOut ?? null;
  const x = toTensor(step.input, grad !== null && step.inputGrad !== false);
  if (!step.accumulate) m.zeroGrad();
  const r = captureEngine(() => m.forward(x));
  compareError(problems, `${label} error`, r.error, want.error ?? null);
  if (r.error || !r.value) return;
  const y = r.value;
  compareTensor(problems, `${label} output`, y, want.output);
  if (grad === null) return;
  const b = captureEngine(() => y.backward(toTensor(grad)));
  compareError(problems, `${label} backward error`, b.error, want.backwardError ?? null);
  if (b.error) return;
  compareTensor(problems, `${label} gradInput`, x.grad, want.gradInput);
  compareTensor(problems, `${label} gradWeight`, m.affine ? m.weight!.grad : null, want.gradWeight);
  compareTensor(problems, `${label} gradBias`, m.affine ? m.bias!.grad : null, want.gradBias);
}

/** Replays `sc` on a fresh engine module; returns every mismatch with PyTorch's recorded results. */
export function replayScenario(sc: Scenario, results?: StepResult[]): string[] {
  const problems: string[] = [];
  const m = buildModule(sc.class, sc.args);
  applyInit(m, sc.init);
  sc.steps.forEach((step, i) => {
    const want = results ? results[i]! : step.expect!;
    const label = `step ${i} (${step.op}${step.op === 'forward' ? ` ${step.mode}` : ''})`;
    switch (step.op) {
      case 'forward':
        forwardStep(m, { ...step, expect: want }, label, problems);
        break;
      case 'set':
        if (step.attr === 'requiresGrad') {
          for (const p of m.parameters()) p.requiresGrad = step.value as boolean;
        } else {
          (m as unknown as Record<string, unknown>)[step.attr] = step.value;
        }
        break;
      case 'setBuffer':
        if (step.name === 'runningMean') m.runningMean = toTensor(step.value);
        else m.runningVar = toTensor(step.value);
        break;
      case 'resetRunningStats':
        m.resetRunningStats();
        break;
      case 'resetParameters':
        m.resetParameters();
        break;
    }
    compareState(problems, `${label} state`, m, want.state);
  });
  return problems;
}
