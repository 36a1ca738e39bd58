/**
 * Version migration of BatchNorm state, as a plan first and then applied. Version-1 state (saved
 * before PyTorch 0.4.1 added `num_batches_tracked`) gets a counter and version 2; the reverse drops
 * counters for consumers that do not want them (version set to 1, so PyTorch re-injects on load).
 *
 * Which counter: SPEC.md "Version migration" — the seed (PyTorch ≥ 2.2) keeps the module's own counter
 * when a module is given; a file-level migration has no module, so it injects a 0 int64 scalar, which
 * is what PyTorch ≤ 2.1 (and the 1.13 oracle) fill in.
 */
import { StateDict, type LocalMetadata } from '../nn/stateDict.js';
import { Tensor } from '../tensor/tensor.js';
import { batchNormPrefixes } from './batchnorm.js';

export interface MigrationStep {
  kind: 'inject-counter' | 'drop-counter';
  prefix: string;
  key: string;
  fromVersion: number | null;
  toVersion: number;
  /** Injected counter value (inject-counter only). */
  value?: number;
  reason: string;
}

export interface MigrationPlan {
  steps: MigrationStep[];
  /** Layers left alone, with why (e.g. version 2 but no counter). */
  notes: string[];
}

export interface PlanOptions {
  /** 'upgrade' (default): version 1 → 2 with counters. 'drop-counters': the reverse. */
  direction?: 'upgrade' | 'drop-counters';
  /** The module's own counters by prefix (from a live module), kept as the seed does. */
  moduleCounters?: Map<string, number>;
}

type Keys = { keys(): Iterable<string>; has(k: string): boolean; metadata: Map<string, LocalMetadata> | null };

const join = (p: string, n: string) => (p ? `${p}.${n}` : n);

export function planMigration(sd: Keys, opts: PlanOptions = {}): MigrationPlan {
  const steps: MigrationStep[] = [];
  const notes: string[] = [];
  for (const prefix of batchNormPrefixes(sd as never)) {
    const key = join(prefix, 'num_batches_tracked');
    const version = sd.metadata?.get(prefix)?.version ?? null;
    const has = sd.has(key);
    if (opts.direction === 'drop-counters') {
      if (has) {
        steps.push({
          kind: 'drop-counter',
          prefix,
          key,
          fromVersion: version,
          toVersion: 1,
          reason:
            'counter dropped on request; version set to 1 so PyTorch fills in a counter again when it loads this state',
        });
      }
      continue;
    }
    if (has) continue;
    if (version !== null && version >= 2) {
      notes.push(
        `${prefix}: version ${version} but no num_batches_tracked (edited file, or saved with track_running_stats=False); left as is`,
      );
      continue;
    }
    const own = opts.moduleCounters?.get(prefix);
    steps.push({
      kind: 'inject-counter',
      prefix,
      key,
      fromVersion: version,
      toVersion: 2,
      value: own ?? 0,
      reason:
        own !== undefined
          ? `version ${version ?? 'missing'} BatchNorm state has no num_batches_tracked; keeping the module's own counter (${own}), as PyTorch ≥ 2.2 does`
          : `version ${version ?? 'missing'} BatchNorm state (saved before PyTorch 0.4.1) has no num_batches_tracked; no module to take a counter from, so a 0 int64 scalar is injected, as PyTorch ≤ 2.1 does when loading it (momentum=None layers restart their cumulative average)`,
    });
  }
  return { steps, notes };
}

/** A new StateDict with the plan applied: counters placed after running_var, metadata versions updated. */
export function applyMigration(sd: StateDict, plan: MigrationPlan): StateDict {
  const inject = new Map(
    plan.steps.filter((s) => s.kind === 'inject-counter').map((s) => [join(s.prefix, 'running_var'), s]),
  );
  const drop = new Set(plan.steps.filter((s) => s.kind === 'drop-counter').map((s) => s.key));
  const out = new StateDict();
  for (const [k, t] of sd) {
    if (drop.has(k)) continue;
    out.set(k, t);
    const step = inject.get(k);
    if (step) out.set(step.key, new Tensor(new BigInt64Array([BigInt(step.value ?? 0)]), [], 'int64'));
  }
  const md = new Map<string, LocalMetadata>();
  for (const [p, local] of sd.metadata) md.set(p, { ...local });
  for (const s of plan.steps) md.set(s.prefix, { ...(md.get(s.prefix) ?? {}), version: s.toVersion });
  out.metadata = md;
  return out;
}
