/** The stepping slice: input, train/eval, single steps, runs of N steps, snapshots, train-vs-eval compare. */
import type { CompareResult, InputConfig, SessionState, StepResult } from '../../../../app/shared/contract';
import { DEFAULT_LR } from '../../../../app/shared/numeric';
import { newJobId, type SliceKit } from '../kit';
import { fieldErrorsUnder } from './app';

/** The loss chart keeps this many recent losses. */
const LOSS_HISTORY = 500;

export interface SteppingSlice {
  session: SessionState | null;
  lastStep: StepResult | null;
  losses: number[];
  lr: number;
  runSteps: number;
  runJob: string | null;
  lastRun: { steps: number; stepsPerSecond: number; cancelled: boolean } | null;
  compare: CompareResult | null;
  steppingError: string | null;
  setLr(lr: number): void;
  setRunSteps(n: number): void;
  setInput(cfg: InputConfig): Promise<void>;
  setMode(training: boolean): Promise<void>;
  forward(): Promise<void>;
  trainStep(): Promise<void>;
  runN(): Promise<void>;
  cancelRun(): Promise<void>;
  reset(what: 'stats' | 'params' | 'all'): Promise<void>;
  snapshot(): Promise<void>;
  rollback(): Promise<void>;
  runCompare(): Promise<void>;
}

/** The loss history with one more loss appended (NaN for a step without one). */
export const withLoss = (losses: number[], loss: number | null): number[] => [
  ...losses.slice(-(LOSS_HISTORY - 1)),
  loss ?? NaN,
];

export function steppingSlice({ set, get, client, attempt, modelChanged }: SliceKit): SteppingSlice {
  /** lr or N typed but not parsing: stepping with the old value would not be what the field shows. */
  const unparsed = (): boolean => {
    const bad = fieldErrorsUnder(get().fieldErrors, 'step:');
    if (bad.length) set({ steppingError: `fix the marked field first: ${bad[0]}` });
    return bad.length > 0;
  };
  const refreshSession = async () => {
    const session = await attempt('steppingError', () => client.call('step.state', {}));
    if (session) set({ session });
  };
  return {
    session: null,
    lastStep: null,
    losses: [],
    lr: DEFAULT_LR,
    runSteps: 100,
    runJob: null,
    lastRun: null,
    compare: null,
    steppingError: null,
    setLr: (lr) => set({ lr }),
    setRunSteps: (runSteps) => set({ runSteps }),
    async setInput(cfg) {
      const session = await attempt('steppingError', () => client.call('step.setInput', cfg));
      // A train-vs-eval table of the old batch no longer describes this one.
      if (session) set({ session, compare: null });
    },
    async setMode(training) {
      const session = await attempt('steppingError', () => client.call('step.setMode', { training }));
      if (session) set({ session });
    },
    async forward() {
      const r = await attempt('steppingError', () => client.call('step.forward', {}));
      if (r) set((s) => ({ lastStep: r, compare: null, session: s.session && { ...s.session, step: r.step } }));
    },
    async trainStep() {
      if (unparsed()) return;
      const r = await attempt('steppingError', () => client.call('step.train', { lr: get().lr }));
      if (r)
        set((s) => ({
          lastStep: r,
          compare: null,
          losses: withLoss(s.losses, r.loss),
          session: s.session && { ...s.session, step: r.step },
        }));
    },
    async runN() {
      if (get().runJob || unparsed()) return;
      const jobId = newJobId('run');
      const train = get().session?.training ?? true;
      set({ runJob: jobId });
      const r = await attempt('steppingError', () =>
        client.call('step.run', { jobId, steps: get().runSteps, lr: get().lr, train }),
      );
      set((s) => {
        const jobs = { ...s.jobs };
        delete jobs[jobId];
        return { runJob: null, jobs };
      });
      if (r) {
        set({
          lastRun: { steps: r.stepsDone, stepsPerSecond: r.stepsPerSecond, cancelled: r.cancelled },
          lastStep: r.last ?? get().lastStep,
          compare: null,
        });
        await refreshSession();
      }
    },
    async cancelRun() {
      const jobId = get().runJob;
      if (jobId) await attempt('steppingError', () => client.call('job.cancel', { jobId }));
    },
    async reset(what) {
      const session = await attempt('steppingError', () => client.call('step.reset', { what }));
      if (session) modelChanged({ session, losses: what === 'all' ? [] : get().losses });
    },
    async snapshot() {
      const session = await attempt('steppingError', () => client.call('step.snapshot', {}));
      if (session) set({ session });
    },
    async rollback() {
      const session = await attempt('steppingError', () => client.call('step.rollback', {}));
      if (session) modelChanged({ session });
    },
    async runCompare() {
      const compare = await attempt('steppingError', () => client.call('step.compare', {}));
      if (compare) set({ compare });
    },
  };
}
