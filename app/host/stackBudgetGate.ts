/**
 * The model budget in front of the handlers (issue 13): every call that would build a stack or size
 * its activations is checked against the engine's StackBudget from the spec and shapes alone, before
 * any tensor exists. stack.build checks the spec with its input shape; step.setInput checks the
 * built spec with the new shape; ranks.start checks one copy per rank with the largest shard.
 * The worker wraps its handlers with this (worker.ts); the budget comes from the host's starter
 * (`normscope serve --max-parameters / --max-activation-mib`, or the default).
 */
import { checkStackBudget, DEFAULT_STACK_BUDGET, type StackBudget } from '../../engine/index.js';
import type { Handlers } from './handlers.js';

export interface BudgetOptions {
  budget?: StackBudget;
  /** Says how to raise the budget (e.g. the serve flags), appended to refusals. */
  raiseWith?: string;
}

export function withStackBudget(handlers: Handlers, o: BudgetOptions = {}): Handlers {
  const budget = o.budget ?? DEFAULT_STACK_BUDGET;
  const check = (spec: unknown, shape: readonly number[] | null, copies = 1) =>
    checkStackBudget(spec, shape, budget, { copies, ...(o.raiseWith ? { flagHint: o.raiseWith } : {}) });
  // The spec and batch shape of the stack the session holds (what setInput and ranks.start size).
  let built: { spec: unknown; shape: number[] } | null = null;
  return {
    ...handlers,
    'stack.build': async (p) => {
      check(p.spec, p.inputShape);
      const out = await handlers['stack.build'](p);
      built = { spec: p.spec, shape: [...p.inputShape] };
      return out;
    },
    'checkpoint.buildStack': async (p) => {
      const out = await handlers['checkpoint.buildStack'](p);
      built = { spec: out.spec, shape: [...out.inputShape] };
      return out;
    },
    'step.setInput': async (p) => {
      if (built) check(built.spec, p.shape);
      const out = await handlers['step.setInput'](p);
      if (built) built = { spec: built.spec, shape: [...p.shape] };
      return out;
    },
    'ranks.start': async (p) => {
      if (built) {
        const n = built.shape[0] ?? 0;
        const largest = p.shards.length ? Math.max(0, ...p.shards) : Math.ceil(n / Math.max(1, p.worldSize));
        check(built.spec, [largest, ...built.shape.slice(1)], p.worldSize);
      }
      return handlers['ranks.start'](p);
    },
  };
}
